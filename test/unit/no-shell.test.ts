import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

// Scenarios are untrusted: no host process may be started through a shell, where a value from a scenario could be
// interpolated. Every spawn takes an argv array. This greps the source so that a new call site cannot slip in.
// (The guest agent's /init is a shell script by design; it runs inside the VM, and quotes every word: agent-script.)

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|mts|cts|js)$/.test(entry.name) ? [path] : [];
  });
}

const FORBIDDEN: ReadonlyArray<[what: string, pattern: RegExp]> = [
  ['shell: true', /\bshell\s*:\s*(true|['"`])/],
  // A bare exec( or execSync( anywhere (RegExp's .exec( is a method call, so a preceding dot is allowed for exec only).
  [
    'child_process exec() (runs a shell)',
    /(?:(?<![.\w])exec|\bexecSync|\b(?:child_process|childProcess|cp)\.exec)\s*\(/,
  ],
  ['an exec/execSync import', /import\s*\{[^}]*\b(?:exec|execSync)\b[^}]*\}\s*from\s*['"](?:node:)?child_process['"]/],
  ['a shell -c command built on the host', /['"`](?:\/bin\/)?(?:ba)?sh['"`]\s*,\s*\[\s*['"`]-c['"`]/],
  [
    'spawnSync/execFileSync with a single string command',
    /\b(?:spawn|spawnSync|execFile|execFileSync)\s*\(\s*`[^`]*\s[^`]*`\s*[,)]/,
  ],
];

/** Lines of host code; the agent script (guest side) and comments are not host calls. */
function codeLines(file: string): Array<{ line: number; text: string }> {
  const guest = relative(REPO, file).startsWith(join('src', 'agent'));
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ line: i + 1, text }))
    .filter(({ text }) => !/^\s*(\/\/|\*|\/\*)/.test(text))
    .filter(({ text }) => !(guest && /sh -c/.test(text)));
}

describe('no shell on the host', () => {
  const files = sources(join(REPO, 'src'));

  it('scans the whole source tree', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('never spawns through a shell: argv arrays only', () => {
    const found: string[] = [];
    for (const file of files) {
      for (const { line, text } of codeLines(file)) {
        for (const [what, pattern] of FORBIDDEN) {
          // @actions/exec's exec(tool, args) takes an argv array and runs no shell; it is allowed when given one.
          if (
            what.startsWith('child_process exec()') &&
            /\bexec\.exec\s*\(\s*[\w'"`]+\s*,\s*(\[|args\b|\w+)/.test(text)
          )
            continue;
          if (pattern.test(text)) found.push(`${relative(REPO, file)}:${line}: ${what}: ${text.trim()}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('catches each forbidden form (the patterns are not vacuous)', () => {
    const samples = [
      "spawn('qemu', args, { shell: true })",
      'exec(`qemu-system-x86_64 ${args}`)',
      "execSync('rm -rf ' + dir)",
      "import { exec } from 'node:child_process';",
      "spawn('sh', ['-c', cmd])",
      'execFileSync(`tar -xf ${file}`)',
    ];
    for (const sample of samples)
      expect(
        FORBIDDEN.some(([, p]) => p.test(sample)),
        sample,
      ).toBe(true);
    expect(FORBIDDEN.some(([, p]) => p.test("execFile('qemu-system-x86_64', ['--version'])"))).toBe(false);
  });
});
