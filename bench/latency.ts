/**
 * Timestamp latency: how late boot-budget stamps a console line. A child writes lines on its stdout at
 * instants it records itself (CLOCK_MONOTONIC through process.hrtime, the same clock the parent stamps with on
 * Linux), one byte per write like QEMU's serial backend; the parent is the real runPass, so the bytes go through the
 * same console FIFO (the child's stdout), 'data' handler and ConsoleSplitter as a boot's console. Latency = stamp − write instant, measured
 * idle and with busy loops on the other core (and on both).
 *
 *   npx tsx bench/latency.ts [--quick]
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { runPass } from '../src/boot/pass-runner.js';
import { spawnOwned } from '../src/boot/processes.js';
import { fmtUs, note, percentile, quick, repo, table, writeResult } from './lib.js';

const LINES = quick ? 200 : 3000;
const INTERVAL_MS = 2;

function spinners(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawnOwned(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

async function measure(
  label: string,
  busy: number,
): Promise<{ label: string; busy: number; lines: number; latencyMs: number[] }> {
  const load = spinners(busy);
  // Let the spinners reach full speed before the first line.
  await new Promise((r) => setTimeout(r, busy ? 300 : 0));
  let startNs = 0n;
  try {
    const trace = await runPass(
      {
        file: process.execPath,
        args: [join(repo, 'bench', 'latency-writer.mjs'), String(LINES), String(INTERVAL_MS)],
        cmdline: '',
      },
      { accel: 'tcg', timeoutMs: 120_000, onSpawn: (ns) => (startNs = ns) },
    );
    const latencyMs: number[] = [];
    for (const line of trace.lines) {
      const match = /^bench (\d+) (\d+)$/.exec(line.text);
      if (!match) continue;
      const stampNs = startNs + BigInt(Math.round(line.t * 1e6));
      latencyMs.push(Number(stampNs - BigInt(match[2]!)) / 1e6);
    }
    if (latencyMs.length !== LINES) throw new Error(`${label}: ${latencyMs.length} of ${LINES} lines arrived`);
    return { label, busy, lines: latencyMs.length, latencyMs };
  } finally {
    for (const child of load) child.kill('SIGKILL');
  }
}

note(`latency: ${LINES} lines per condition, ~${INTERVAL_MS} ms apart, through runPass`);
const runs = [
  await measure('idle', 0),
  await measure('busy loop on 1 core', 1),
  await measure('busy loops on 2 cores', 2),
];
const rows = runs.map((r) => {
  const s = {
    p50: percentile(r.latencyMs, 0.5),
    p90: percentile(r.latencyMs, 0.9),
    p99: percentile(r.latencyMs, 0.99),
    max: Math.max(...r.latencyMs),
    min: Math.min(...r.latencyMs),
  };
  return { ...r, ...s };
});
console.log(`\nTimestamp latency: stamp − write, console FIFO → runPass → ConsoleSplitter, ${LINES} lines each`);
console.log(
  table(
    ['load', 'min', 'p50', 'p90', 'p99', 'max'],
    rows.map((r) => [r.label, fmtUs(r.min), fmtUs(r.p50), fmtUs(r.p90), fmtUs(r.p99), fmtUs(r.max)]),
  ),
);
const idle = rows[0]!;
console.log(`idle p99 ${fmtUs(idle.p99)} (target ≤ 1 ms)`);
const figures = {
  lines: LINES,
  intervalMs: INTERVAL_MS,
  conditions: rows.map(({ latencyMs, ...rest }) => ({ ...rest, samples: latencyMs.length })),
  target: { p99Ms: 1 },
  met: rows.filter((r) => r.busy < 2).every((r) => r.p99 <= 1),
};
console.log(`written ${writeResult('latency', figures)}`);
