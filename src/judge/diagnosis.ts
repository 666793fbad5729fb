/**
 * The "why" next to each verdict: hints, the slowest initcalls and how the offending span varied, gathered over the
 * measured passes. Like the offending span, hints come from the pass closest to the median, so they explain a
 * typical boot rather than an outlier.
 */
import { initcallLabel } from '../measure/initcalls.js';
import type { PassMeasurement, Span } from '../measure/types.js';
import { summarize, type Summary } from './statistics.js';

/** How many initcalls a stage reports. */
export const SLOWEST_INITCALLS = 10;

export interface InitcallResult {
  /** `name` or `name [module]`. */
  name: string;
  samples: number[];
  summary: Summary;
  /** Mean host time at which it started, for the boot chart. */
  meanStartT: number;
  /** Mean duration as a share of the stage's mean. */
  share: number;
}

export function representativePass(
  passes: readonly PassMeasurement[],
  stage: string,
  median: number,
): PassMeasurement | undefined {
  let best: { distance: number; pass: PassMeasurement } | undefined;
  for (const pass of passes) {
    const timing = pass.stages.find((s) => s.name === stage);
    if (!timing) continue;
    const distance = Math.abs(timing.ms - median);
    if (!best || distance < best.distance) best = { distance, pass };
  }
  return best?.pass;
}

/** The same span (same begin and end lines) in every pass that has it as its stage's span: how much it varies. */
export function spanSummary(
  passes: readonly PassMeasurement[],
  stage: string,
  span: Span | null,
): { summary: Summary; meanStartT: number } | null {
  if (!span) return null;
  const same = passes
    .map((p) => p.stages.find((s) => s.name === stage)?.span)
    .filter((s): s is Span => !!s && s.from === span.from && s.to === span.to);
  const summary = summarize(same.map((s) => s.ms));
  return summary ? { summary, meanStartT: same.reduce((sum, s) => sum + s.fromT, 0) / same.length } : null;
}

/** The initcalls that ran inside `stage`, matched by name across passes, slowest (by mean) first. */
export function slowestInitcalls(
  passes: readonly PassMeasurement[],
  stage: string,
  stageMean: number,
  n = SLOWEST_INITCALLS,
): InitcallResult[] {
  const byName = new Map<string, { samples: number[]; starts: number[] }>();
  for (const pass of passes) {
    const timing = pass.stages.find((s) => s.name === stage);
    if (!timing) continue;
    for (const call of pass.initcalls) {
      // Half-open: console initcalls run before the clock starts and so sit exactly on kernel clock zero, which is
      // where firmware ends and kernel begins; they belong to kernel.
      if (call.endT < timing.startT || call.endT >= timing.endT) continue;
      const label = initcallLabel(call);
      const entry = byName.get(label) ?? { samples: [], starts: [] };
      entry.samples.push(call.ms);
      entry.starts.push(call.startT);
      byName.set(label, entry);
    }
  }
  return [...byName.entries()]
    .map(([name, { samples, starts }]) => {
      const summary = summarize(samples)!;
      return {
        name,
        samples,
        summary,
        meanStartT: starts.reduce((a, b) => a + b, 0) / starts.length,
        share: stageMean > 0 ? summary.mean / stageMean : 0,
      };
    })
    .sort((a, b) => b.summary.mean - a.summary.mean)
    .slice(0, n);
}

/** The alignment's uncertainty over all passes: the fewest pairs and the widest spread. */
export function alignmentSummary(passes: readonly PassMeasurement[]): { pairs: number; spreadMs: number } | null {
  const alignments = passes.map((p) => p.alignment).filter((a) => a !== null);
  if (alignments.length === 0) return null;
  return {
    pairs: Math.min(...alignments.map((a) => a.pairs)),
    spreadMs: Math.max(...alignments.map((a) => a.spreadMs)),
  };
}
