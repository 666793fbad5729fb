/**
 * Welch's t-test: the regression test for virtual time. A permutation test cannot serve there: with 3 passes a side
 * its smallest two-sided p-value is 2 / C(6, 3) = 0.1, whatever the data, and virtual-time passes are so repeatable
 * that 3 a side is all a change should need. Welch's test uses the spread of each side rather than the ranks, so
 * three samples 1% apart with a spread of 0.1% reach p ≈ 0.0003 (test/unit/welch.test.ts). It assumes roughly normal
 * noise; virtual-time noise comes from the few events that still depend on the host (interrupt timing around I/O),
 * and its false-alarm rate on identical sides is measured in test/unit/welch.test.ts and bench/virtual.ts.
 *
 * Pure functions over numbers, checked against SciPy's `ttest_ind(equal_var=False)` and `t.sf`.
 */

export interface WelchResult {
  /** (mean(b) − mean(a)) / standard error; ±Infinity when both sides are constant and differ. */
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided. */
  pValue: number;
}

/** ln Γ(x) for x > 0, Lanczos' approximation (g = 7, 9 terms): ~15 significant digits. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** The continued fraction of the incomplete beta function, by the modified Lentz method. */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The fraction converges fast only on one side of the mean of the beta distribution; use the symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(|T| ≥ |t|) for Student's t with `df` degrees of freedom. */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? 1 : 0;
  return regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

function meanAndVariance(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/**
 * Welch's test of mean(b) against mean(a). Null with fewer than two samples on a side (no spread to judge by).
 * Both sides constant: p = 1 when they are equal (identical virtual-time passes are "no change", never NaN), 0 when
 * they differ (a deterministic difference; the effect threshold still decides whether it matters).
 */
export function welchTest(a: readonly number[], b: readonly number[]): WelchResult | null {
  if (a.length < 2 || b.length < 2) return null;
  const sa = meanAndVariance(a);
  const sb = meanAndVariance(b);
  const va = sa.variance / a.length;
  const vb = sb.variance / b.length;
  const diff = sb.mean - sa.mean;
  const se2 = va + vb;
  // Relative to the means' size: rounding leaves a variance of ~1e-30 where the samples are all equal.
  const scale = Math.max(Math.abs(sa.mean), Math.abs(sb.mean), 1e-300);
  if (se2 <= (scale * 1e-12) ** 2) {
    const same = Math.abs(diff) <= scale * 1e-12;
    return {
      t: same ? 0 : Math.sign(diff) * Number.POSITIVE_INFINITY,
      df: a.length + b.length - 2,
      pValue: same ? 1 : 0,
    };
  }
  const t = diff / Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
  return { t, df, pValue: studentTwoSidedP(t, df) };
}
