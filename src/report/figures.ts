/**
 * Words and figures that every report writes the same way: a count with its noun, and a stage's spread. One pass has
 * no spread, so its `± 0.00 ms`, `654 ms–654 ms` and `0.0%` would claim a boot that never varies; those stay empty.
 */
import type { Summary } from '../judge/statistics.js';
import { formatMs } from '../scenario/duration.js';

/** `1 pass`, `3 passes`. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

export const passCount = (n: number) => count(n, 'pass', 'passes');

export interface SpreadCells {
  /** `654 ms ± 12 ms`, or the mean alone for one sample. */
  meanSigma: string;
  /** `σ` alone, empty for one sample. */
  sigma: string;
  /** `640 ms–671 ms`, empty for one sample. */
  range: string;
  /** `1.8%`, empty for one sample. */
  cov: string;
}

export function spreadCells(s: Summary): SpreadCells {
  if (s.n < 2) return { meanSigma: formatMs(s.mean), sigma: '', range: '', cov: '' };
  return {
    meanSigma: `${formatMs(s.mean)} ± ${formatMs(s.stddev)}`,
    sigma: formatMs(s.stddev),
    range: `${formatMs(s.min)}–${formatMs(s.max)}`,
    cov: `${(s.cov * 100).toFixed(1)}%`,
  };
}
