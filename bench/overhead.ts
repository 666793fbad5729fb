/**
 * Harness overhead: one pass through boot-budget (runPass streaming into StreamingMeasure, as the core's
 * passes run them) against
 * QEMU run directly with the identical argv and initramfs, its console going to /dev/null: the physical limit on
 * this machine. Interleaved A B, B A so that drift in machine load hits both sides alike; the figure is the ratio of
 * median wall times, with the median of the per-round ratios and its 95% bootstrap interval: single TCG boots here
 * differ by ±15%, so the interval says whether 1.02 is within reach of what was measured. CPU time is boot-budget's
 * own (process.cpuUsage): QEMU is a child, so none of it is counted.
 *
 *   npx tsx bench/overhead.ts [--quick]
 */
import { openSync, closeSync } from 'node:fs';
import { runPass } from '../src/boot/pass-runner.js';
import { spawnOwned } from '../src/boot/processes.js';
import type { HypervisorCommand } from '../src/boot/types.js';
import { StreamingMeasure } from '../src/measure/stream.js';
import { bootstrapInterval } from '../src/judge/bootstrap.js';
import { bundledCommand, fmtMs, fmtRatio, median, note, quick, table, writeResult } from './lib.js';

const ROUNDS = quick ? 1 : 20;

interface Sample {
  wallMs: number;
  /** This process's CPU (user + system) during the pass, ms. */
  cpuMs: number;
  /** Of which in the measure step (its per-line pushes and its finish). */
  measureCpuMs: number;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

async function viaBootBudget(command: HypervisorCommand, scenarioTimeoutMs: number): Promise<Sample> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const measure = new StreamingMeasure([], undefined, { machine: 'pc', cmdline: command.cmdline, firmware: 'qboot' });
  let lineCpuMs = 0;
  const trace = await runPass(command, {
    accel: 'tcg',
    timeoutMs: scenarioTimeoutMs,
    keepLines: false,
    onLine: (line) => {
      const before = process.cpuUsage();
      measure.push(line);
      lineCpuMs += cpuMs(process.cpuUsage(before));
    },
  });
  const cpu1 = process.cpuUsage();
  const m = measure.finish(trace);
  const t1 = process.hrtime.bigint();
  const measureCpu = cpuMs(process.cpuUsage(cpu1)) + lineCpuMs;
  if (trace.reached !== 'shutdown' && trace.reached !== 'ready')
    throw new Error(`boot-budget pass failed: ${JSON.stringify(trace.outcome)}`);
  if (!m.stages.some((s) => s.name === 'total')) throw new Error('the pass has no total stage');
  return { wallMs: Number(t1 - t0) / 1e6, cpuMs: cpuMs(process.cpuUsage(cpu0)), measureCpuMs: measureCpu };
}

/** QEMU alone: same argv, console to /dev/null, timed from spawn to exit. */
function direct(command: HypervisorCommand): Promise<Sample> {
  const devnull = openSync('/dev/null', 'w');
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const child = spawnOwned(command.file, command.args, { stdio: ['ignore', devnull, devnull] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      const t1 = process.hrtime.bigint();
      closeSync(devnull);
      if (code !== 0) reject(new Error(`direct QEMU exited with ${code}`));
      else resolve({ wallMs: Number(t1 - t0) / 1e6, cpuMs: cpuMs(process.cpuUsage(cpu0)), measureCpuMs: 0 });
    });
  });
}

const { command, accel, scenario } = await bundledCommand();
note(`overhead: ${ROUNDS} × (boot-budget, direct QEMU) on ${accel}; argv: ${command.args.join(' ')}`);
// One unmeasured round first, so that the page cache holds the kernel and initramfs for both sides.
await viaBootBudget(command, scenario.timeoutMs);
await direct(command);

const a: Sample[] = [];
const b: Sample[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Alternate which side goes first, so neither always follows the other's page-cache or CPU-frequency state.
  if (round % 2 === 0) {
    a.push(await viaBootBudget(command, scenario.timeoutMs));
    b.push(await direct(command));
  } else {
    b.push(await direct(command));
    a.push(await viaBootBudget(command, scenario.timeoutMs));
  }
  note(`  round ${round + 1}/${ROUNDS}: boot-budget ${fmtMs(a.at(-1)!.wallMs)}, direct ${fmtMs(b.at(-1)!.wallMs)}`);
}

const ratio = median(a.map((s) => s.wallMs)) / median(b.map((s) => s.wallMs));
const perRound = a.map((s, i) => s.wallMs / b[i]!.wallMs);
const perRoundMs = a.map((s, i) => s.wallMs - b[i]!.wallMs);
const ratioInterval = bootstrapInterval(perRound, 'median');
const msInterval = bootstrapInterval(perRoundMs, 'median');
const figures = {
  accel,
  rounds: ROUNDS,
  argv: [command.file, ...command.args],
  bootBudget: {
    wallMs: a.map((s) => s.wallMs),
    cpuMs: a.map((s) => s.cpuMs),
    measureCpuMs: a.map((s) => s.measureCpuMs),
  },
  direct: { wallMs: b.map((s) => s.wallMs), cpuMs: b.map((s) => s.cpuMs) },
  medianWallRatio: ratio,
  medianPairedRatio: median(perRound),
  pairedRatio95: ratioInterval,
  medianPairedMs: median(perRoundMs),
  pairedMs95: msInterval,
  medianCpuMsPerPass: median(a.map((s) => s.cpuMs)),
  medianMeasureCpuMsPerPass: median(a.map((s) => s.measureCpuMs)),
  target: { medianWallRatio: 1.02 },
  met: ratio <= 1.02,
};

console.log(`\nHarness overhead: one pass of the bundled scenario, ${ROUNDS} interleaved rounds, ${accel}`);
console.log(
  table(
    ['', 'median wall', 'min', 'max', 'own CPU/pass (median)', 'of which measure'],
    [
      [
        'boot-budget (runPass → StreamingMeasure)',
        fmtMs(median(figures.bootBudget.wallMs)),
        fmtMs(Math.min(...figures.bootBudget.wallMs)),
        fmtMs(Math.max(...figures.bootBudget.wallMs)),
        fmtMs(figures.medianCpuMsPerPass),
        fmtMs(figures.medianMeasureCpuMsPerPass),
      ],
      [
        'QEMU direct (console → /dev/null)',
        fmtMs(median(figures.direct.wallMs)),
        fmtMs(Math.min(...figures.direct.wallMs)),
        fmtMs(Math.max(...figures.direct.wallMs)),
        fmtMs(median(figures.direct.cpuMs)),
        '-',
      ],
    ],
  ),
);
console.log(
  `ratio of medians ${fmtRatio(ratio)} (target ≤ 1.02), median of paired ratios ${fmtRatio(figures.medianPairedRatio)}`,
);
if (ratioInterval && msInterval) {
  console.log(
    `95% interval of the paired ratio ${fmtRatio(ratioInterval.low)}–${fmtRatio(ratioInterval.high)}; boot-budget's extra wall time per pass ${fmtMs(figures.medianPairedMs)} (95% interval ${fmtMs(msInterval.low)} to ${fmtMs(msInterval.high)})`,
  );
}
console.log(`written ${writeResult('overhead', figures)}`);
