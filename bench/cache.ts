/**
 * Cache.
 * - Cold against warm: runs the build-from-source scenario (bench/tiny-built.yaml) twice through the real CLI, first
 *   with an empty cache (unpack, configure, compile), then with the cache it left (no make at all). Fails when warm
 *   is over 5% of cold. Takes ~6-7 minutes on 2 cores, so --quick leaves it out.
 * - Verifying a hit: the store re-hashes every file of an entry (sha256) each time it is read, so a hit costs time
 *   in proportion to the entry's size. Timed with ArtifactStore.read on entries of growing size, each read twice
 *   (the second from the page cache, which is the usual case for a warm hit).
 *
 *   npx tsx bench/cache.ts [--quick] [--keep]     (--keep leaves the temp cache dirs for inspection)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactStore, hashParts } from '../src/artifacts/cache/store.js';
import { startCli } from '../test/helpers/cli.js';
import { fmtMs, median, note, quick, repo, table, writeResult } from './lib.js';

const keep = process.argv.includes('--keep');
const MIB = 2 ** 20;
const SIZES_MIB = quick ? [1, 16] : [1, 16, 64, 256];

/** Wall time of one run of the CLI from source, its progress echoed with `label`. */
async function runCli(cacheDir: string, label: string): Promise<number> {
  const { child, done } = startCli(['run', join(repo, 'bench/tiny-built.yaml'), '--cache-dir', cacheDir]);
  child.stderr!.on('data', (d: Buffer) =>
    process.stderr.write(`[${label}] ${d.toString().replace(/\n(?=.)/g, `\n[${label}] `)}`),
  );
  const run = await done;
  if (run.code !== 0)
    throw new Error(`${label} run exited with ${run.code}:\n${run.stderr.split('\n').slice(-10).join('\n')}`);
  return run.ms;
}

async function coldWarm(): Promise<{ coldMs: number; warmMs: number; ratio: number }> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'boot-budget-bench-'));
  try {
    const coldMs = await runCli(cacheDir, 'cold');
    const warmMs = await runCli(cacheDir, 'warm');
    return { coldMs, warmMs, ratio: warmMs / coldMs };
  } finally {
    if (keep) note(`cache kept in ${cacheDir}`);
    else rmSync(cacheDir, { recursive: true, force: true });
  }
}

async function verifyBySize(): Promise<Array<{ mib: number; firstMs: number; warmMs: number; mibPerS: number }>> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'boot-budget-bench-verify-'));
  const store = new ArtifactStore({ cacheDir, warn: (m) => note(`warning: ${m}`) });
  const rows = [];
  try {
    for (const mib of SIZES_MIB) {
      const key = hashParts(['bench-verify', String(mib)]);
      // A kernel-like entry: one large file and a small one (what a kernel build entry holds: the image, its config).
      await store.get('bench', key, `${mib} MiB`, async (dir) => {
        writeFileSync(join(dir, 'image'), randomBytes(mib * MIB));
        writeFileSync(join(dir, 'config'), randomBytes(64 * 1024));
      });
      const times: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t0 = process.hrtime.bigint();
        const manifest = await store.read('bench', key);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (!manifest) throw new Error(`entry of ${mib} MiB failed verification`);
      }
      const warmMs = median(times.slice(1));
      rows.push({ mib, firstMs: times[0]!, warmMs, mibPerS: mib / (warmMs / 1000) });
    }
  } finally {
    if (keep) note(`verify cache kept in ${cacheDir}`);
    else rmSync(cacheDir, { recursive: true, force: true });
  }
  return rows;
}

const verify = await verifyBySize();
console.log('\nCache hit verification (ArtifactStore.read re-hashes every file with sha256):');
console.log(
  table(
    ['entry size', 'first read', 'warm read (median of 3)', 'throughput'],
    verify.map((r) => [`${r.mib} MiB`, fmtMs(r.firstMs), fmtMs(r.warmMs), `${r.mibPerS.toFixed(0)} MiB/s`]),
  ),
);

let build: Awaited<ReturnType<typeof coldWarm>> | null = null;
if (!quick) {
  build = await coldWarm();
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log('\nbuild-from-source scenario (bench/tiny-built.yaml), artifacts + 1 boot, through the CLI:');
  console.log(
    table(
      ['run', 'wall'],
      [
        ['cold (empty cache: unpack, configure, compile)', s(build.coldMs)],
        ['warm (cached: no make)', s(build.warmMs)],
        ['warm / cold', `${(build.ratio * 100).toFixed(1)} % (must be ≤ 5%)`],
      ],
    ),
  );
  if (build.ratio > 0.05) process.exitCode = 1;
} else {
  console.log('(--quick: the cold kernel build, ~6 min, is left out)');
}
console.log(
  `written ${writeResult('cache', { verify, build, target: { warmOverCold: 0.05 }, met: build ? build.ratio <= 0.05 : null })}`,
);
