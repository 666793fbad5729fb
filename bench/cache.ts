/**
 * Cold against warm: runs the build-from-source scenario (bench/tiny-built.yaml) twice through the real CLI, first
 * with an empty cache (unpack, configure, compile), then again with the cache it left (no make at all), and prints
 * both wall times. Fails when warm is over 5% of cold. Takes ~6-7 minutes on 2 cores.
 *
 *   npx tsx bench/cache.ts [--keep]     (--keep leaves the temp cache dir for inspection)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const cacheDir = mkdtempSync(join(tmpdir(), 'boot-budget-bench-'));
const keep = process.argv.includes('--keep');

function run(label: string): Promise<number> {
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repo, 'src/cli/main.ts'), 'run', join(repo, 'bench/tiny-built.yaml'), '--cache-dir', cacheDir],
    { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    process.stderr.write(`[${label}] ${d.toString().replace(/\n(?=.)/g, `\n[${label}] `)}`);
  });
  return new Promise((resolvePromise, reject) => {
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) reject(new Error(`${label} run exited with ${code}:\n${stderr.split('\n').slice(-10).join('\n')}`));
      else resolvePromise(ms);
    });
  });
}

try {
  const cold = await run('cold');
  const warm = await run('warm');
  const ratio = warm / cold;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log('\nbuild-from-source scenario (bench/tiny-built.yaml), artifacts + 1 boot, through the CLI:');
  console.log(`  cold (empty cache: unpack, configure, compile)  ${s(cold).padStart(9)}`);
  console.log(`  warm (cached: no make)                          ${s(warm).padStart(9)}`);
  console.log(`  warm / cold                                     ${(ratio * 100).toFixed(1).padStart(7)} %   (must be ≤ 5%)`);
  if (ratio > 0.05) process.exitCode = 1;
} finally {
  if (keep) console.log(`cache kept in ${cacheDir}`);
  else rmSync(cacheDir, { recursive: true, force: true });
}
