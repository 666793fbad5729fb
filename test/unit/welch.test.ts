import { describe, expect, it } from 'vitest';
import { VIRTUAL_EARLY_STOP, variesLittle } from '../../src/judge/adaptive.js';
import { mulberry32, type Random } from '../../src/judge/random.js';
import { summarize } from '../../src/judge/statistics.js';
import type { StageResult } from '../../src/judge/types.js';
import { compareStage, DEFAULT_VIRTUAL_REGRESSION, defaultRegression } from '../../src/judge/regression.js';
import { regularizedBeta, studentTwoSidedP, welchTest } from '../../src/judge/welch.js';

// Known answers from SciPy 1.17.1: stats.ttest_ind(a, b, equal_var=False) and 2 * stats.t.sf(t, df).

describe("Student's t two-sided p (known answers)", () => {
  const cases: Array<[number, number, number]> = [
    [2.0, 10, 0.07338803477074037],
    [3.0, 4, 0.03994196807171883],
    [1.5, 2.5, 0.24783645308629618],
    [10, 3, 0.0021283990584141503],
    [0.5, 30, 0.6207230048851272],
  ];
  it.each(cases)('t = %d, df = %d', (t, df, p) => {
    expect(studentTwoSidedP(t, df)).toBeCloseTo(p, 12);
    expect(studentTwoSidedP(-t, df)).toBeCloseTo(p, 12);
  });

  it('I_x(a, b) at its edges and its symmetry', () => {
    expect(regularizedBeta(0, 2, 3)).toBe(0);
    expect(regularizedBeta(1, 2, 3)).toBe(1);
    // I_x(1, 1) = x; I_x(a, b) = 1 − I_{1−x}(b, a).
    expect(regularizedBeta(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(regularizedBeta(0.2, 2.5, 0.5) + regularizedBeta(0.8, 0.5, 2.5)).toBeCloseTo(1, 14);
  });
});

describe("Welch's t-test (known answers)", () => {
  const cases: Array<[string, number[], number[], number, number, number]> = [
    ['1,2,3 vs 4,5,6', [1, 2, 3], [4, 5, 6], -3.6742346141747673, 4, 0.021311641128756713],
    ['three a side, 1% apart', [100, 100.1, 99.9], [101, 101.1, 100.9], -12.247448713916587, 4, 0.00025521674944186995],
    [
      'unequal sizes',
      [1620.1, 1621.3, 1619.8, 1620.5],
      [1636.2, 1637.0],
      -31.38410987970229,
      2.406525765092183,
      0.00033365197757657315,
    ],
    [
      'unequal variances',
      [10.0, 10.0, 10.1],
      [9.0, 9.5, 9.9, 9.2],
      3.188889161527423,
      3.1724354940213955,
      0.046034782648688266,
    ],
  ];
  it.each(cases)('%s', (_, a, b, t, df, p) => {
    // SciPy's t is mean(a) − mean(b); ours is head − base, so b against a.
    const result = welchTest(a, b)!;
    expect(result.t).toBeCloseTo(-t, 9);
    expect(result.df).toBeCloseTo(df, 9);
    expect(result.pValue).toBeCloseTo(p, 12);
  });

  it('identical samples on both sides: p = 1, t = 0, never NaN', () => {
    const same = welchTest([1624.956, 1624.956, 1624.956], [1624.956, 1624.956, 1624.956])!;
    expect(same).toEqual({ t: 0, df: 4, pValue: 1 });
  });

  it('two constant sides that differ: p = 0, t = ±∞', () => {
    expect(welchTest([5, 5, 5], [6, 6, 6])).toEqual({ t: Number.POSITIVE_INFINITY, df: 4, pValue: 0 });
    expect(welchTest([6, 6, 6], [5, 5, 5])!.t).toBe(Number.NEGATIVE_INFINITY);
  });

  it('one constant side is an ordinary test (SciPy: 5,5,5 vs 5,5,6 → p = 0.4226)', () => {
    expect(welchTest([5, 5, 5], [5, 5, 6])!.pValue).toBeCloseTo(0.42264973081037466, 12);
  });

  it('needs two samples a side', () => {
    expect(welchTest([1], [2, 3])).toBeNull();
  });
});

/** A normal deviate by Box–Muller from the seeded generator. */
function gaussian(random: Random): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

function sampleSide(random: Random, n: number, mean: number, cov: number): number[] {
  return Array.from({ length: n }, () => mean * (1 + cov * gaussian(random)));
}

/** How often the virtual clock's rule says "regression" or "improvement" over `runs` seeded A/B pairs. */
function alarmRate(runs: number, n: number, shift: number, cov: number, seed: number): number {
  const random = mulberry32(seed);
  let alarms = 0;
  for (let i = 0; i < runs; i++) {
    const base = sampleSide(random, n, 1625, cov);
    const head = sampleSide(random, n, 1625 * (1 + shift), cov);
    if (compareStage('kernel', base, head, DEFAULT_VIRTUAL_REGRESSION)!.verdict !== 'no change') alarms++;
  }
  return alarms / runs;
}

describe("the virtual clock's regression rule (Welch p ≤ 0.01 and a ≥ 0.5% change of the median)", () => {
  it('is the default for virtual time only', () => {
    expect(defaultRegression('virtual')).toMatchObject({ test: 'welch', maxIncrease: 0.005, pValue: 0.01 });
    expect(defaultRegression('wall').test).toBeUndefined();
  });

  it('flags a 1% change with 3 passes a side, where the permutation test cannot reach p < 0.1', () => {
    // Real virtual-time `total` samples from three boots here (ms), and the same plus 1%.
    const base = [1749.994, 1750.17, 1749.978];
    const head = base.map((x) => x * 1.01);
    const virtual = compareStage('total', base, head, DEFAULT_VIRTUAL_REGRESSION)!;
    expect(virtual.verdict).toBe('regression');
    expect(virtual.pValue).toBeLessThan(1e-6);
    const permutation = compareStage('total', base, head, { ...DEFAULT_VIRTUAL_REGRESSION, test: 'permutation' })!;
    // Its exact floor is 2 / 20 = 0.1; 10,000 seeded resamples land within a few thousandths of it.
    expect(permutation.pValue).toBeGreaterThan(0.09);
    expect(permutation.verdict).toBe('no change');
  });

  it('calls identical sides no change, with finite numbers', () => {
    const side = [1624.956, 1624.956, 1624.956];
    const same = compareStage('kernel', side, [...side], DEFAULT_VIRTUAL_REGRESSION)!;
    expect(same).toMatchObject({ verdict: 'no change', deltaMs: 0, deltaPct: 0, pValue: 1, withinNoise: false });
  });

  // 20,000 seeded A/A pairs per noise level. The measured CoV of virtual-time stages here is ≤ 0.4% (userspace, a
  // 4.5 ms stage) and ~0.01% for kernel and total; 0.5% is worse than any of them.
  it.each([0.0001, 0.001, 0.004, 0.005])('false alarms on identical sides stay ≤ 1%% at CoV %d', (cov) => {
    expect(alarmRate(20_000, 3, 0, cov, 7)).toBeLessThanOrEqual(0.01);
  });

  it("Welch's p alone is calibrated: ~1% of identical sides reach p ≤ 0.01", () => {
    const random = mulberry32(11);
    let significant = 0;
    const runs = 20_000;
    for (let i = 0; i < runs; i++)
      if (welchTest(sampleSide(random, 3, 1625, 0.001), sampleSide(random, 3, 1625, 0.001))!.pValue <= 0.01)
        significant++;
    expect(significant / runs).toBeGreaterThan(0.004);
    expect(significant / runs).toBeLessThan(0.016);
  });

  it('finds a 1% change with 3 a side: always at the measured CoV (0.01%), in ≥ 97% of runs at ten times that', () => {
    // With 3 samples a side the sample spread itself varies a lot (χ² with 2 df), so now and then a side looks noisy
    // and Welch's p stays above 0.01: that costs power, never false alarms.
    expect(alarmRate(5_000, 3, 0.01, 0.0001, 3)).toBe(1);
    expect(alarmRate(5_000, 3, 0.01, 0.001, 3)).toBeGreaterThanOrEqual(0.97);
    expect(alarmRate(5_000, 3, 0.02, 0.002, 5)).toBeGreaterThanOrEqual(0.97);
  });
});

describe('virtual-clock passes stop early only when they agree closely', () => {
  const stage = (name: string, samples: number[]) => ({ name, samples, summary: summarize(samples) }) as StageResult;
  // Samples of real virtual-clock passes here (ms): three that agree, and two whose kernel stage differs by a jiffy.
  const agreeing = [
    stage('kernel', [1625.003, 1625.172, 1624.956]),
    stage('userspace', [4.537, 4.545, 4.569]),
    stage('total', [1749.994, 1750.17, 1749.978]),
  ];
  const jiffyApart = [stage('kernel', [1629.061, 1625.119, 1625.0]), stage('total', [1754.099, 1750.124, 1750.0])];

  it('stops when every stage has CoV ≤ 0.1% or σ ≤ 50 µs', () => {
    expect(variesLittle([agreeing], VIRTUAL_EARLY_STOP)).toBe(true);
    expect(variesLittle([agreeing, jiffyApart], VIRTUAL_EARLY_STOP)).toBe(false);
    expect(variesLittle([[stage('userspace', [4.5, 4.7, 4.6])]], VIRTUAL_EARLY_STOP)).toBe(false);
  });
});
