import type { ScenarioResult } from '../judge/types.js';
import type { PassTimeline } from '../measure/pass-timeline.js';

const totalOf = (pass: PassTimeline) => {
  const total = pass.stages.find((s) => s.name === 'total');
  return total ? total.endT - total.startT : Math.max(0, ...pass.stages.map((s) => s.endT));
};

/**
 * The index of the pass whose total is closest to the median total: the boot the timeline reports show first, as the
 * stage table's offending spans also come from a typical pass. -1 when the result has no timeline.
 */
export function medianPassIndex(timeline: readonly PassTimeline[] | undefined): number {
  if (!timeline?.length) return -1;
  const totals = timeline.map(totalOf);
  const sorted = [...totals].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return totals.indexOf(median);
}

/** The sides a result has timelines for: B then A in an A/B (the scenario first), else the one side. */
export function timelineSides(result: ScenarioResult): { label: string; timeline: PassTimeline[] }[] {
  const sides: { label: string; timeline: PassTimeline[] }[] = [];
  if (result.timeline?.length) sides.push({ label: result.baseline ? 'B' : '', timeline: result.timeline });
  if (result.baseline?.timeline?.length) sides.push({ label: 'A', timeline: result.baseline.timeline });
  return sides;
}
