import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.js';

// dist/ is committed so that `uses: org/boot-budget@v1` and `npx boot-budget` work without a build. It must be exactly
// what the sources build to; otherwise the Action tests below it would vouch for code nobody can see.
const out = mkdtempSync(join(tmpdir(), 'boot-budget-dist-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('committed bundles', () => {
  for (const [name, entry] of [
    ['cli', 'src/cli/main.ts'],
    ['action', 'src/action/main.ts'],
  ] as const) {
    it(`dist/${name}/index.js matches a fresh build of ${entry}`, () => {
      execFileSync(
        join(REPO, 'node_modules', '.bin', 'ncc'),
        ['build', entry, '-o', join(out, name), '--target', 'es2022', '-q'],
        { cwd: REPO, stdio: 'pipe' },
      );
      const fresh = readFileSync(join(out, name, 'index.js'));
      const committed = readFileSync(join(REPO, 'dist', name, 'index.js'));
      expect(fresh.equals(committed), `dist/${name}/index.js is stale: run \`npm run build\` and commit dist/`).toBe(
        true,
      );
    }, 120_000);
  }
});
