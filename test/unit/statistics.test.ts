import { describe, expect, it } from 'vitest';
import { quantile, summarize } from '../../src/judge/statistics.js';

describe('summarize', () => {
  it('matches hand-computed figures for a known sample', () => {
    // mean 5, deviations² sum to 32, sample variance 32/7, as in the textbook example 2,4,4,4,5,5,7,9.
    const s = summarize([2, 4, 4, 4, 5, 5, 7, 9])!;
    expect(s.n).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.median).toBe(4.5);
    expect(s.stddev).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
    expect(s.cov).toBeCloseTo(Math.sqrt(32 / 7) / 5, 12);
    // position 0.9 * 7 = 6.3 → 7 + 0.3 * (9 - 7)
    expect(s.p90).toBeCloseTo(7.6, 12);
  });

  it('does not depend on input order and handles odd counts', () => {
    const s = summarize([30, 10, 20])!;
    expect(s.median).toBe(20);
    expect(s.stddev).toBe(10);
  });

  it('gives zero spread for one sample and null for none', () => {
    expect(summarize([412])).toMatchObject({ median: 412, mean: 412, stddev: 0, cov: 0, p90: 412 });
    expect(summarize([])).toBeNull();
  });

  it('interpolates quantiles between ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
  });
});
