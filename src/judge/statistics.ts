/** Summary statistics over one stage's samples (ms). Pure functions, tested against known answers. */
export interface Summary {
  n: number;
  median: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single sample. */
  stddev: number;
  min: number;
  max: number;
  /** Coefficient of variation, stddev / mean. */
  cov: number;
  p90: number;
}

/** Linear interpolation between closest ranks (the "R-7" definition used by numpy and spreadsheets). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const weight = position - lower;
  return sorted[lower]! * (1 - weight) + sorted[upper]! * weight;
}

export function summarize(samples: readonly number[]): Summary | null {
  const n = samples.length;
  if (n === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((sum, x) => sum + x, 0) / n;
  const variance = n > 1 ? samples.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1) : 0;
  const stddev = Math.sqrt(variance);
  return {
    n,
    median: quantile(sorted, 0.5),
    mean,
    stddev,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    cov: mean === 0 ? 0 : stddev / mean,
    p90: quantile(sorted, 0.9),
  };
}
