import { describe, expect, it } from 'vitest';
import { bootstrapInterval } from '../../src/judge/bootstrap.js';
import { exactPermutationTest, permutationTest, smallestPValue } from '../../src/judge/permutation.js';
import { mulberry32 } from '../../src/judge/random.js';
import { compareStage, DEFAULT_REGRESSION } from '../../src/judge/regression.js';
import { summarize } from '../../src/judge/statistics.js';

describe('variance and standard deviation (known answers)', () => {
  it('uses n − 1: 1, 2, 3, 4 has sample variance 5/3', () => {
    const s = summarize([1, 2, 3, 4])!;
    expect(s.stddev ** 2).toBeCloseTo(5 / 3, 12);
    expect(s.stddev).toBeCloseTo(1.2909944487358056, 12);
  });

  it('stays exact far from zero, where the sum-of-squares shortcut loses every digit', () => {
    // Deviations 4, 7, 13, 16 from 1e9 are 1e9 + {−6, −3, 3, 6} around the mean: variance (36+9+9+36)/3 = 30.
    const s = summarize([1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16])!;
    expect(s.stddev ** 2).toBeCloseTo(30, 6);
  });

  it('gives zero for identical samples', () => {
    expect(summarize([250, 250, 250])!.stddev).toBe(0);
  });
});

describe('permutation test', () => {
  it('exact enumeration: 1,2,3 vs 4,5,6 is one of the 2 most extreme splits of 20', () => {
    const exact = exactPermutationTest([1, 2, 3], [4, 5, 6])!;
    expect(exact.resamples).toBe(20);
    expect(exact.observed).toBe(3);
    expect(exact.pValue).toBeCloseTo(2 / 20, 12);
  });

  it('exact enumeration counts ties with the observed difference as extreme', () => {
    // Every split of four equal values has difference 0, so p = 1.
    expect(exactPermutationTest([5, 5], [5, 5])!.pValue).toBe(1);
  });

  const cases: Array<[string, number[], number[]]> = [
    ['separated 5 vs 5', [101, 97, 110, 104, 99], [131, 128, 140, 125, 133]],
    ['overlapping 5 vs 5', [101, 97, 110, 104, 99], [103, 108, 96, 112, 105]],
    ['unequal sizes 4 vs 7', [20.5, 22.1, 19.8, 21.0], [21.9, 23.4, 22.8, 20.9, 24.1, 22.2, 23.0]],
    ['with ties 6 vs 6', [10, 10, 11, 12, 12, 13], [11, 12, 12, 13, 14, 14]],
  ];
  for (const [label, base, head] of cases) {
    it(`matches exact enumeration within Monte Carlo error: ${label}`, () => {
      const exact = exactPermutationTest(base, head)!;
      const estimate = permutationTest(base, head)!;
      expect(estimate.resamples).toBe(10_000);
      expect(estimate.observed).toBeCloseTo(exact.observed, 12);
      // 4 standard errors of a binomial proportion over 10,000 draws, plus the +1/(R+1) of the estimator.
      const se = Math.sqrt((exact.pValue * (1 - exact.pValue)) / 10_000);
      expect(Math.abs(estimate.pValue - exact.pValue)).toBeLessThanOrEqual(4 * se + 1 / 10_001);
    });
  }

  it('is deterministic for a given seed and input', () => {
    const base = [101, 97, 110, 104, 99];
    const head = [103, 108, 96, 112, 105];
    expect(permutationTest(base, head)!.pValue).toBe(permutationTest(base, head)!.pValue);
    expect(permutationTest(base, head, { seed: 1 })!.pValue).toBe(permutationTest(base, head, { seed: 1 })!.pValue);
  });

  it('knows the smallest p-value each sample size allows', () => {
    expect(smallestPValue(5, 5)).toBeCloseTo(2 / 252, 12);
    expect(smallestPValue(6, 6)).toBeCloseTo(2 / 924, 12);
    expect(smallestPValue(1, 1)).toBe(1);
  });

  it('keeps the false-positive rate at the threshold on identical distributions (simulation, fixed seed)', () => {
    // Boot-like samples: a 100 ms stage with right-skewed noise (log-normal, σ ≈ 15%), 8 passes a side.
    const random = mulberry32(42);
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const draw = (n: number) => Array.from({ length: n }, () => 100 * Math.exp(0.15 * normal()));
    const trials = 1000;
    const alpha = 0.05;
    let rejected = 0;
    let flagged = 0;
    for (let t = 0; t < trials; t++) {
      const base = draw(8);
      const head = draw(8);
      if (permutationTest(base, head, { seed: t })!.pValue <= alpha) rejected++;
      const verdict = compareStage(
        'userspace',
        base,
        head,
        { ...DEFAULT_REGRESSION, pValue: alpha, maxIncrease: 0 },
        t,
      )!.verdict;
      if (verdict !== 'no change') flagged++;
    }
    const rate = rejected / trials;
    const sigma = Math.sqrt((alpha * (1 - alpha)) / trials);
    // At the threshold: not above it (a false alarm machine), and not far below it (a test that cannot reject).
    expect(rate).toBeLessThanOrEqual(alpha + 3 * sigma);
    expect(rate).toBeGreaterThanOrEqual(alpha - 3 * sigma);
    expect(flagged / trials).toBeLessThanOrEqual(alpha + 3 * sigma);
  });

  it('detects a 30% shift with 6 passes a side', () => {
    const random = mulberry32(7);
    const draw = (n: number, scale: number) => Array.from({ length: n }, () => scale * (1 + 0.1 * (random() - 0.5)));
    const result = compareStage('userspace', draw(6, 100), draw(6, 130), DEFAULT_REGRESSION)!;
    expect(result.verdict).toBe('regression');
    expect(result.pValue).toBeLessThanOrEqual(0.01);
  });
});

describe('bootstrap interval', () => {
  it('is seeded, brackets the sample statistic and lies within the sample range', () => {
    const samples = [80, 91, 98, 101, 124, 97, 88];
    const a = bootstrapInterval(samples, 'median')!;
    const b = bootstrapInterval(samples, 'median')!;
    expect(a).toEqual(b);
    expect(a.low).toBeLessThanOrEqual(97);
    expect(a.high).toBeGreaterThanOrEqual(97);
    expect(a.low).toBeGreaterThanOrEqual(80);
    expect(a.high).toBeLessThanOrEqual(124);
    expect(a.low).toBeLessThan(a.high);
  });

  it('collapses to a point for one sample or identical samples', () => {
    expect(bootstrapInterval([412], 'mean')).toMatchObject({ low: 412, high: 412 });
    expect(bootstrapInterval([5, 5, 5], 'p90')).toMatchObject({ low: 5, high: 5 });
    expect(bootstrapInterval([], 'mean')).toBeNull();
  });
});
