/**
 * The virtual clock against the wall clock, on this machine (README, Performance):
 *
 * 1. On the same icount boots, each stage timed both ways (one console, two measure steps): the CoV of every stage in
 *    wall time and in virtual time, idle and with a busy loop on every core.
 * 2. `--jobs`: the wall time of N virtual-clock passes one at a time and two at a time.
 * 3. A 2% regression (a busy loop in B's `run:`) as a same-job A/B of 3 passes a side with every core busy: its verdict
 *    and the wall time it took; then the false-alarm rate of the virtual clock's rule on identical sides, resampled
 *    (seeded) from the virtual-time samples of step 1, and how often the wall clock's rule finds the 2% in its own.
 *
 *   npx tsx bench/virtual.ts [--quick] [--boots N] [--only cov,jobs,ab]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defaultCacheDir } from '../src/artifacts/cache-dir.js';
import { runPass } from '../src/boot/pass-runner.js';
import type { HypervisorCommand } from '../src/boot/types.js';
import { runLimited } from '../src/core/pool.js';
import { runScenarios } from '../src/core/run-scenarios.js';
import { mulberry32, randomIndex } from '../src/judge/random.js';
import { compareStage, DEFAULT_REGRESSION, DEFAULT_VIRTUAL_REGRESSION } from '../src/judge/regression.js';
import { summarize } from '../src/judge/statistics.js';
import { StreamingMeasure } from '../src/measure/stream.js';
import { silentReporter } from '../src/report/reporter.js';
import { loadScenarioFile } from '../src/scenario/load.js';
import { bundledCommand, fmtMs, note, quick, repo, table, writeResult } from './lib.js';

const bootsArg = process.argv.indexOf('--boots');
const BOOTS = bootsArg > 0 ? Number(process.argv[bootsArg + 1]) : quick ? 1 : 4;
const onlyArg = process.argv.indexOf('--only');
const parts = onlyArg > 0 ? process.argv[onlyArg + 1]!.split(',') : ['cov', 'jobs', 'ab'];
const STAGES = ['firmware', 'kernel', 'userspace', 'shutdown', 'total'] as const;
/** 2% of the ~1.75 s boot: 3,000 rounds of this loop measured 41 ms of virtual time here. */
const TWO_PERCENT_LOOP = 'i=0; while [ $i -lt 2600 ]; do i=$((i+1)); done';

type Samples = Record<string, number[]>;

/** A busy loop per core, as other jobs on a shared runner would be. */
function busyLoops(): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
}

/** One icount boot, measured on both clocks from the same console. */
async function bootBothWays(command: HypervisorCommand, wall: Samples, virtual: Samples): Promise<void> {
  const context = { machine: 'pc' as const, cmdline: command.cmdline, firmware: 'qboot' as const };
  const onWall = new StreamingMeasure([], undefined, context);
  const onVirtual = new StreamingMeasure([], undefined, { ...context, clock: 'virtual' });
  const trace = await runPass(command, {
    accel: 'tcg',
    timeoutMs: 300_000,
    keepLines: false,
    onLine: (line) => {
      onWall.push(line);
      onVirtual.push(line);
    },
  });
  if (trace.reached !== 'ready' && trace.reached !== 'shutdown') throw new Error(`boot failed: ${trace.outcome.kind}`);
  for (const [samples, measure] of [
    [wall, onWall],
    [virtual, onVirtual],
  ] as const)
    for (const stage of measure.finish(trace).stages) (samples[stage.name] ??= []).push(stage.ms);
}

const cov = (xs: number[] | undefined) => {
  const s = xs && summarize(xs);
  return s ? `${(s.cov * 100).toFixed(3)}%` : '–';
};

async function covRun(command: HypervisorCommand, busy: boolean) {
  const wall: Samples = {};
  const virtual: Samples = {};
  const loops = busy ? busyLoops() : [];
  try {
    for (let i = 0; i < BOOTS; i++) {
      await bootBothWays(command, wall, virtual);
      note(`  ${busy ? 'busy' : 'idle'}: boot ${i + 1}/${BOOTS}`);
    }
  } finally {
    for (const loop of loops) loop.kill('SIGKILL');
  }
  return { wall, virtual };
}

/** Identical sides resampled from real virtual samples: how often the rule calls a change. */
function alarmRate(pool: number[], shift: number, rule: typeof DEFAULT_REGRESSION, runs: number, seed: number) {
  if (runs === 0 || pool.length < 2) return Number.NaN;
  const random = mulberry32(seed);
  const draw = () => Array.from({ length: 3 }, () => pool[randomIndex(random, pool.length)]!);
  let alarms = 0;
  for (let i = 0; i < runs; i++) {
    const head = draw().map((x) => x * (1 + shift));
    if (compareStage('total', draw(), head, rule)!.verdict !== 'no change') alarms++;
  }
  return alarms / runs;
}

// The bundled scenario switched to the virtual clock, as --clock virtual does.
const { command, scenario } = await bundledCommand(undefined, 'virtual');
note(`${scenario.name} with -icount, ${BOOTS} boots per condition`);

const none = { wall: {} as Samples, virtual: {} as Samples };
const idle = parts.includes('cov') ? await covRun(command, false) : none;
const busy = quick || !parts.includes('cov') ? idle : await covRun(command, true);
const rows = STAGES.map((stage) => [
  stage,
  fmtMs(summarize(idle.virtual[stage] ?? [])?.median ?? Number.NaN),
  cov(idle.wall[stage]),
  cov(idle.virtual[stage]),
  cov(busy.wall[stage]),
  cov(busy.virtual[stage]),
]);
if (parts.includes('cov')) {
  console.log(`\nCoV per stage over ${BOOTS} icount boots, each timed on both clocks (same console):`);
  console.log(
    table(['stage', 'virtual median', 'wall idle', 'virtual idle', 'wall busy', 'virtual busy'], rows as string[][]),
  );
}

// --jobs: the same number of virtual-clock passes, one and two at a time.
const jobsBoots = quick || !parts.includes('jobs') ? 0 : 2;
const timed = async (jobs: number) => {
  const t0 = Date.now();
  await runLimited(
    Array.from({ length: jobsBoots }, () => () => bootBothWays(command, {}, {})),
    jobs,
  );
  return (Date.now() - t0) / 1000;
};
const oneAtATime = jobsBoots ? await timed(1) : 0;
const twoAtATime = jobsBoots ? await timed(2) : 0;
if (jobsBoots)
  console.log(
    `\n--jobs: ${jobsBoots} passes took ${oneAtATime.toFixed(0)} s one at a time, ${twoAtATime.toFixed(0)} s two at a time: ${(oneAtATime / twoAtATime).toFixed(2)}× (${availableParallelism()} cores)`,
  );

// A 2% regression, 3 passes a side, with every core busy: the verdict and the wall time it took.
let abFigures: { verdict: string; deltaPct: number; pValue: number; seconds: number } | null = null;
if (!quick && parts.includes('ab')) {
  const loaded = await loadScenarioFile(join(repo, 'scenarios', 'debian-cloud-busybox.yaml'), repo);
  const ab = {
    ...loaded,
    name: 'virtual-2pct',
    clock: 'virtual' as const,
    kvm: 'off' as const,
    passes: 3,
    warmup: 0,
    maxPasses: 3,
    // An icount pass on a loaded 2-core machine with both cores busy took over 60 s of wall time here.
    timeoutMs: 600_000,
    budgets: [],
    run: [TWO_PERCENT_LOOP],
    baseline: { run: [], pos: { line: 1, column: 1 } },
  };
  const loops = busyLoops();
  const t0 = Date.now();
  try {
    const results = await runScenarios([ab], { cacheDir: defaultCacheDir() }, { reporter: silentReporter });
    const total = results.scenarios[0]!.comparison?.stages.find((s) => s.stage === 'total');
    abFigures = {
      verdict: total?.verdict ?? results.scenarios[0]!.error ?? 'not measured',
      deltaPct: total?.deltaPct ?? Number.NaN,
      pValue: total?.pValue ?? Number.NaN,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    for (const loop of loops) loop.kill('SIGKILL');
  }
  console.log(
    `\n2% regression, 3 passes a side, every core busy: total ${abFigures.verdict} (Δ ${(abFigures.deltaPct * 100).toFixed(2)}%, p = ${abFigures.pValue.toPrecision(2)}) in ${abFigures.seconds.toFixed(0)} s of wall time`,
  );
}

// False alarms and power from the real samples of step 1 (idle and busy pooled), 3 a side, seeded.
const virtualPool = [...(idle.virtual.total ?? []), ...(quick ? [] : (busy.virtual.total ?? []))];
const wallPool = [...(idle.wall.total ?? []), ...(quick ? [] : (busy.wall.total ?? []))];
const runs = virtualPool.length < 2 ? 0 : quick ? 200 : 20_000;
const rates = {
  virtualFalseAlarms: alarmRate(virtualPool, 0, DEFAULT_VIRTUAL_REGRESSION, runs, 1),
  virtualFinds2pct: alarmRate(virtualPool, 0.02, DEFAULT_VIRTUAL_REGRESSION, runs, 2),
  wallFalseAlarms: alarmRate(wallPool, 0, DEFAULT_REGRESSION, runs, 3),
  wallFinds2pct: alarmRate(wallPool, 0.02, DEFAULT_REGRESSION, runs, 4),
};
if (runs === 0)
  console.log(
    parts.includes('cov')
      ? `\nno seeded A/B draws: ${virtualPool.length} \`total\` sample per clock is too few to resample (run without --quick)`
      : '\nno seeded A/B draws: they resample the CoV boots, which --only left out',
  );
else
  console.log(
    `\n${runs} seeded A/B draws of 3 a side from the measured \`total\` samples (${virtualPool.length} per clock):` +
      `\n  virtual clock (Welch, ≥ 0.5%): false alarms ${(rates.virtualFalseAlarms * 100).toFixed(2)}%, finds +2% in ${(rates.virtualFinds2pct * 100).toFixed(1)}%` +
      `\n  wall clock (permutation, ≥ 5%): false alarms ${(rates.wallFalseAlarms * 100).toFixed(2)}%, finds +2% in ${(rates.wallFinds2pct * 100).toFixed(1)}%`,
  );

console.log(
  `\nwritten: ${writeResult('virtual', { boots: BOOTS, idle, busy, jobs: { boots: jobsBoots, oneAtATime, twoAtATime }, ab: abFigures, rates, scenario: scenario.name })}`,
);
