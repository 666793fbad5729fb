/**
 * A seeded pseudo-random generator, so that every resampling statistic gives the same answer for the same input:
 * a p-value that moves between two runs of `compare` on the same files would be noise dressed up as a result.
 *
 * mulberry32 (Tommy Ettinger, public domain): 32 bits of state, passes gjrand's and PractRand's tests up to the sizes
 * we draw (10,000 resamples of at most a few hundred values), and fits in a few lines with no dependency.
 */
export type Random = () => number;

/** A generator of floats in [0, 1). */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number in [0, n). */
export function randomIndex(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** FNV-1a: a stable seed per scenario and stage, so two stages never share one random stream by accident. */
export function seedFrom(text: string, base = 0): number {
  let hash = (0x811c9dc5 ^ base) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
