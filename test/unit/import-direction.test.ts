/**
 * The folders are the pipeline, and imports flow one way: a folder may import from the folders before it, never from
 * one after it (docs/architecture.md). core, cli and action sit on top; cli and action never import each other.
 * Files directly under src/ (errors.ts, version.ts) are shared by all and import no folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

/**
 * Each folder's layer. `agent` is the guest side of the protocol (the generated /init and its markers), which the
 * artifacts step packs and the boot and measure steps read, so it sits with scenario at the bottom.
 */
const LAYER: Record<string, number> = {
  scenario: 0,
  agent: 0,
  artifacts: 1,
  boot: 2,
  measure: 3,
  judge: 4,
  report: 5,
  core: 6,
  cli: 7,
  action: 7,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The folder under src/ a file lives in, or null for a file directly under src/. */
function folderOf(file: string): string | null {
  const parts = relative(SRC, file).split('/');
  return parts.length > 1 ? parts[0]! : null;
}

/** Relative specifiers of static imports, re-exports and dynamic imports. */
function importsOf(text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gms),
    ...text.matchAll(/^\s*import\s+'(\.[^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g),
  ];
  return specifiers.map((m) => m[1]!);
}

/** Every import that runs against the pipeline, as `file → specifier (from → to)`. */
export function backArrows(files: readonly string[], read: (file: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = folderOf(file);
    for (const specifier of importsOf(read(file))) {
      const to = folderOf(resolve(dirname(file), specifier));
      if (to === from || to === null) continue;
      const allowed = from !== null && LAYER[from] !== undefined && LAYER[to]! < LAYER[from]!;
      if (!allowed) found.push(`${relative(SRC, file)} → ${specifier} (${from ?? 'src/'} → ${to})`);
    }
  }
  return found;
}

describe('imports flow one way through the pipeline', () => {
  const files = sourceFiles(SRC);

  it('every folder under src/ has a layer', () => {
    const folders = new Set(files.map(folderOf).filter((f): f is string => f !== null));
    expect([...folders].filter((f) => LAYER[f] === undefined)).toEqual([]);
  });

  it('no file imports from a later step of the pipeline', () => {
    expect(backArrows(files, (file) => readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('finds a back-arrow, a sideways arrow and a shared file importing a folder', () => {
    const fake: Record<string, string> = {
      [join(SRC, 'scenario', 'x.ts')]: "import { y } from '../artifacts/y.js';",
      [join(SRC, 'cli', 'x.ts')]: "import type { Z } from '../action/z.js';",
      [join(SRC, 'errors.ts')]: "export { w } from './judge/w.js';",
      [join(SRC, 'report', 'x.ts')]: "const m = await import('../judge/m.js');\nimport '../core/side-effect.js';",
    };
    expect(backArrows(Object.keys(fake), (file) => fake[file]!)).toEqual([
      'scenario/x.ts → ../artifacts/y.js (scenario → artifacts)',
      'cli/x.ts → ../action/z.js (cli → action)',
      'errors.ts → ./judge/w.js (src/ → judge)',
      'report/x.ts → ../core/side-effect.js (report → core)',
    ]);
  });
});
