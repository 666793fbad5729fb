/**
 * Regression verdicts from two sample sets of one stage, and the "within noise" rules that decide whether more passes
 * could change a verdict. Pure functions over numbers; the core and `compare` feed them.
 */
import type { Statistic } from '../scenario/types.js';
import { bootstrapInterval, type Interval } from './bootstrap.js';
import { DEFAULT_SEED, permutationTest } from './permutation.js';
import { seedFrom } from './random.js';
import { summarize, type Summary } from './statistics.js';
import { welchTest } from './welch.js';

export interface RegressionSettings {
  /** The largest increase of the median that is not a regression, as a fraction: 0.05 for `max-increase: 5%`. */
  maxIncrease: number;
  /** A change counts only when the permutation test's p-value is at most this. */
  pValue: number;
  /** And only when the medians differ by at least this many ms. */
  minMs: number;
  /** Which test gives the p-value: the permutation test for wall time (the default), Welch's t-test for virtual time. */
  test?: 'permutation' | 'welch';
}

/**
 * Wall time: the permutation test, 5%, and a floor of 10 ms. A wall-time stage is the gap between two host stamps of
 * console output, and each stamp moves with the host's scheduling: measured here under load, the shutdown stage of two
 * identical guests (1.0 ms of guest work on the virtual clock, both sides) differed by 9 ms and by 14 ms between the
 * sides, once with p = 0.0065. Without a floor, 5% of a 30 ms stage is 1.5 ms, and such a stage is flagged by chance.
 */
export const DEFAULT_REGRESSION: RegressionSettings = { maxIncrease: 0.05, pValue: 0.01, minMs: 10 };

/**
 * Virtual time: Welch's t-test (welch.ts), since 3 passes a side must be able to show a change, and a noise floor of
 * 0.5% and 0.1 ms. Measured here (bench/virtual.ts), the kernel and total stages vary by ~0.01% between passes, now
 * and then by one 4 ms timer tick (0.25%), so medians 0.5% apart are beyond what noise does; the few-ms stages
 * (userspace, shutdown) vary by ~20 µs, and differ between two images by tens of µs of real but unimportant work.
 */
export const DEFAULT_VIRTUAL_REGRESSION: RegressionSettings = {
  maxIncrease: 0.005,
  pValue: 0.01,
  minMs: 0.1,
  test: 'welch',
};

/** The defaults for a clock; a scenario's `regression:` and flags go on top. */
export function defaultRegression(clock: 'wall' | 'virtual' | undefined): RegressionSettings {
  return clock === 'virtual' ? DEFAULT_VIRTUAL_REGRESSION : DEFAULT_REGRESSION;
}

/** The clock's defaults, then each key a scenario's `regression:` sets, then each key a flag sets. */
export function regressionSettings(
  clock: 'wall' | 'virtual' | undefined,
  ...layers: ReadonlyArray<Partial<RegressionSettings> | undefined>
): RegressionSettings {
  const settings = { ...defaultRegression(clock) };
  for (const layer of layers) {
    if (layer?.maxIncrease !== undefined) settings.maxIncrease = layer.maxIncrease;
    if (layer?.pValue !== undefined) settings.pValue = layer.pValue;
    if (layer?.minMs !== undefined) settings.minMs = layer.minMs;
  }
  return settings;
}

/** A p-value up to this many times the threshold is "within noise": more passes might still make it significant. */
export const NOISE_FACTOR = 10;

export type RegressionVerdict = 'regression' | 'improvement' | 'no change';

export interface StageComparison {
  stage: string;
  base: Summary;
  head: Summary;
  /** median(head) − median(base). */
  deltaMs: number;
  /** deltaMs / median(base); 0 when both medians are 0. */
  deltaPct: number;
  /** Two-sided: the permutation test on the difference of means (10,000 seeded resamples), or Welch's t-test. */
  pValue: number;
  verdict: RegressionVerdict;
  /** The effect is large enough but p lies in (threshold, 10 × threshold]: more passes could decide it. */
  withinNoise: boolean;
}

function relative(deltaMs: number, baseMedian: number): number {
  if (baseMedian === 0) return deltaMs === 0 ? 0 : Math.sign(deltaMs) * Number.POSITIVE_INFINITY;
  return deltaMs / baseMedian;
}

/** Both a significant p-value and a large enough effect, in either direction; a regression needs all three. */
export function compareStage(
  stage: string,
  base: readonly number[],
  head: readonly number[],
  settings: RegressionSettings,
  seed = seedFrom(stage, DEFAULT_SEED),
): StageComparison | null {
  const baseSummary = summarize(base);
  const headSummary = summarize(head);
  const test =
    settings.test === 'welch' ? (welchTest(base, head) ?? { pValue: 1 }) : permutationTest(base, head, { seed });
  if (!baseSummary || !headSummary || !test) return null;
  const deltaMs = headSummary.median - baseSummary.median;
  const deltaPct = relative(deltaMs, baseSummary.median);
  const effect = Math.abs(deltaPct) > settings.maxIncrease && Math.abs(deltaMs) >= settings.minMs && deltaMs !== 0;
  const significant = test.pValue <= settings.pValue;
  const verdict: RegressionVerdict = effect && significant ? (deltaMs > 0 ? 'regression' : 'improvement') : 'no change';
  const withinNoise = effect && !significant && test.pValue <= settings.pValue * NOISE_FACTOR;
  return { stage, base: baseSummary, head: headSummary, deltaMs, deltaPct, pValue: test.pValue, verdict, withinNoise };
}

/** The worst of the stage verdicts: a regression anywhere outranks an improvement elsewhere. */
export function overallVerdict(stages: readonly StageComparison[]): RegressionVerdict {
  if (stages.some((s) => s.verdict === 'regression')) return 'regression';
  if (stages.some((s) => s.verdict === 'improvement')) return 'improvement';
  return 'no change';
}

export interface BudgetNoise {
  interval: Interval;
  /** The 95% interval contains the budget: the verdict could flip with more passes. */
  withinNoise: boolean;
}

/** The statistic's 95% bootstrap interval against the budget. One sample gives a point, never "within noise". */
export function budgetNoise(
  stage: string,
  samples: readonly number[],
  statistic: Statistic,
  maxMs: number,
): BudgetNoise | null {
  const interval = bootstrapInterval(samples, statistic, { seed: seedFrom(stage, DEFAULT_SEED) });
  if (!interval) return null;
  return { interval, withinNoise: interval.low <= maxMs && maxMs <= interval.high && interval.low < interval.high };
}

/** `5%` → 0.05. */
export function parsePercent(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a percentage; write e.g. 5%`);
  return Number(match[1]) / 100;
}
