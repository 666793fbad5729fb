/** The one signal clean-up both entry points install (src/core/signals.ts), in a real child process. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');

/** A process that registers a temp dir, installs the clean-up, says it is ready and waits for a signal. */
const CHILD = `
import { trackTempDir } from './src/boot/processes.js';
import { cleanUpOnTermination } from './src/core/signals.js';
trackTempDir(process.argv[1]);
cleanUpOnTermination((signal, code) => { process.stdout.write('finish ' + signal + ' ' + code + '\\n'); process.exit(code); });
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

describe('cleanUpOnTermination', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`on ${signal}: removes what was registered, then lets the entry point exit with ${code}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'bb-signal-'));
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, dir], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      await new Promise<void>((resolve) =>
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('ready')) resolve();
        }),
      );
      const exit = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
      child.kill(signal);
      expect(await exit).toBe(code);
      expect(out).toContain(`finish ${signal} ${code}`);
      expect(existsSync(dir)).toBe(false);
    }, 30_000);
  }
});
