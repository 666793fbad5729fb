/**
 * Percentile bootstrap intervals for the statistic a budget checks, used to tell a verdict that is clear from one that
 * is within noise of its budget. Seeded, so the same passes always give the same interval and the same decision.
 */
import type { Statistic } from '../scenario/types.js';
import { mulberry32, randomIndex } from './random.js';
import { quantile } from './statistics.js';
import { DEFAULT_SEED } from './permutation.js';

export const BOOTSTRAP_RESAMPLES = 10_000;

export interface Interval {
  low: number;
  high: number;
  /** 0.95 for a 95% interval. */
  level: number;
}

/** The statistic of an ascending-sorted sample, with the same definitions as summarize(). */
export function statisticOfSorted(sorted: readonly number[], statistic: Statistic): number {
  switch (statistic) {
    case 'median':
      return quantile(sorted, 0.5);
    case 'mean':
      return sorted.reduce((s, x) => s + x, 0) / sorted.length;
    case 'p90':
      return quantile(sorted, 0.9);
    case 'max':
      return sorted[sorted.length - 1]!;
  }
}

export function bootstrapInterval(
  samples: readonly number[],
  statistic: Statistic,
  options: { resamples?: number; level?: number; seed?: number } = {},
): Interval | null {
  const n = samples.length;
  if (n === 0) return null;
  const resamples = options.resamples ?? BOOTSTRAP_RESAMPLES;
  const level = options.level ?? 0.95;
  const random = mulberry32(options.seed ?? DEFAULT_SEED);
  const values = new Float64Array(resamples);
  const draw = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) draw[i] = samples[randomIndex(random, n)]!;
    draw.sort((a, b) => a - b);
    values[r] = statisticOfSorted(draw, statistic);
  }
  values.sort();
  const sorted = Array.from(values);
  return { low: quantile(sorted, (1 - level) / 2), high: quantile(sorted, (1 + level) / 2), level };
}
