/**
 * Two-sided permutation test on the difference of means of two sample sets (base vs head).
 *
 * Why means and not medians: with the few passes a boot benchmark affords, a difference of medians takes so few
 * distinct values that it cannot reach a small p-value at all. With 5 passes a side, six of the 252 splits share the
 * most extreme difference of medians, so its p-value never drops below 12/252 = 0.048; the difference of means has a
 * unique extreme and reaches 2/252 = 0.008. The effect size that a verdict also needs is measured on medians (see
 * regression.ts), so one slow outlier pass moves the p-value but cannot by itself make a regression.
 *
 * Under the null hypothesis (both sides come from one distribution) every split of the pooled samples is equally
 * likely, so the p-value is the share of splits whose |difference| is at least the observed one. Monte Carlo with the
 * (count + 1) / (resamples + 1) estimate keeps the false-positive rate at or below the threshold (Phipson & Smyth 2010).
 */
import { mulberry32, randomIndex } from './random.js';

export const DEFAULT_RESAMPLES = 10_000;
export const DEFAULT_SEED = 0x0b007b06;

export interface PermutationResult {
  /** mean(head) − mean(base), ms. */
  observed: number;
  pValue: number;
  /** Resamples drawn, or the number of splits enumerated by the exact test. */
  resamples: number;
}

const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

/** Splits whose statistic equals the observed one only up to rounding must still count as "at least as extreme". */
function tolerance(pooled: readonly number[]): number {
  return 1e-9 * Math.max(1, ...pooled.map(Math.abs));
}

interface Split {
  pooled: number[];
  n: number;
  k: number;
  /** mean(head') − mean(base') from the sum of the k values taken as head'. */
  diff: (headSum: number) => number;
  observed: number;
  /** |diff| at or above this counts as at least as extreme as observed. */
  threshold: number;
}

function splitOf(base: readonly number[], head: readonly number[]): Split {
  const pooled = [...base, ...head];
  const n = pooled.length;
  const k = head.length;
  const total = sum(pooled);
  const diff = (headSum: number) => headSum / k - (total - headSum) / (n - k);
  const observed = diff(sum(head));
  return { pooled, n, k, diff, observed, threshold: Math.abs(observed) - tolerance(pooled) };
}

export function permutationTest(
  base: readonly number[],
  head: readonly number[],
  options: { resamples?: number; seed?: number } = {},
): PermutationResult | null {
  if (base.length === 0 || head.length === 0) return null;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const random = mulberry32(options.seed ?? DEFAULT_SEED);
  const { pooled, n, k, diff, observed, threshold } = splitOf(base, head);
  const work = [...pooled];
  let extreme = 0;
  for (let r = 0; r < resamples; r++) {
    // A partial Fisher–Yates shuffle: the first k slots become a uniformly random k-subset.
    let headSum = 0;
    for (let i = 0; i < k; i++) {
      const j = i + randomIndex(random, n - i);
      const t = work[i]!;
      work[i] = work[j]!;
      work[j] = t;
      headSum += work[i]!;
    }
    if (Math.abs(diff(headSum)) >= threshold) extreme++;
  }
  return { observed, pValue: (extreme + 1) / (resamples + 1), resamples };
}

/** The exact p-value over every split; C(n, k) grows fast, so this is for small samples and for testing the above. */
export function exactPermutationTest(base: readonly number[], head: readonly number[]): PermutationResult | null {
  if (base.length === 0 || head.length === 0) return null;
  const { pooled, n, k, diff, observed, threshold } = splitOf(base, head);
  let splits = 0;
  let extreme = 0;
  const choose = (start: number, left: number, headSum: number): void => {
    if (left === 0) {
      splits++;
      if (Math.abs(diff(headSum)) >= threshold) extreme++;
      return;
    }
    for (let i = start; i <= n - left; i++) choose(i + 1, left - 1, headSum + pooled[i]!);
  };
  choose(0, k, 0);
  return { observed, pValue: extreme / splits, resamples: splits };
}

/** The smallest p-value an exact two-sided test can give for these sample sizes: 2 / C(n + m, n). */
export function smallestPValue(baseCount: number, headCount: number): number {
  let combinations = 1;
  for (let i = 1; i <= headCount; i++) combinations = (combinations * (baseCount + i)) / i;
  return Math.min(1, 2 / combinations);
}
