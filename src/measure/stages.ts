import { Marker } from '../agent/protocol.js';
import { BUILTIN_STAGES, type BuiltinStage, type TimelineAnchor } from '../scenario/builtin-stages.js';
import type { StageDef } from '../scenario/types.js';
import { initcallLabel, type Initcall } from './initcalls.js';
import type { Timeline } from './timeline.js';
import type { BootEvent, Span, StageTiming } from './types.js';

/** Where the kernel hands over to userspace, best first. */
export const KERNEL_END_PATTERNS: readonly RegExp[] = [/^Run \/\S+ as init process/, /^Freeing unused kernel/];

function findKernelEnd(events: readonly BootEvent[], readyT: number | undefined): BootEvent | undefined {
  for (const pattern of KERNEL_END_PATTERNS) {
    const matches = events.filter(
      (e) => e.source !== 'host' && pattern.test(e.text) && (readyT === undefined || e.t <= readyT),
    );
    // "Freeing unused kernel …" repeats; the handover is after the last one. "Run … as init" appears once.
    const found = matches[matches.length - 1];
    if (found) return found;
  }
  return undefined;
}

export interface AnchorPoint {
  t: number;
  /** What happened there, as the edge of a span: the log line itself where there is one. */
  label: string;
}

function resolveAnchors(timeline: Timeline): Partial<Record<TimelineAnchor, AnchorPoint>> {
  const { marks, alignment, events } = timeline;
  const kernelEnd = findKernelEnd(events, marks.ready);
  const at = (t: number | undefined, label: string) => (t === undefined ? undefined : { t, label });
  return {
    spawn: { t: 0, label: '(hypervisor spawned)' },
    'kernel-zero': at(alignment?.kernelZeroT, '(kernel clock zero)'),
    'kernel-end': kernelEnd ? { t: kernelEnd.t, label: kernelEnd.text } : at(marks.init, Marker.init),
    ready: at(marks.ready, '(ready)'),
    'dump-end': at(marks.dumpEnd, Marker.dmesgEnd) ?? at(marks.ready, '(ready)'),
    exit: at(marks.exit, '(hypervisor exited)'),
    doorbell: at(marks.doorbell, '(ready doorbell)'),
  };
}

/** The largest gap between consecutive events in [startT, endT]; the stage's edges count as events. */
export function largestGap(
  events: readonly BootEvent[],
  startT: number,
  endT: number,
  edgeNames: [string, string],
): Span | null {
  const inside = events.filter((e) => e.t >= startT && e.t <= endT);
  const points: Array<{ t: number; text: string }> = [];
  if (inside[0]?.t !== startT) points.push({ t: startT, text: edgeNames[0] });
  // Not push(...inside): a flooded console puts ~10^6 events in one stage, past the engine's argument limit.
  for (const event of inside) points.push(event);
  if (inside[inside.length - 1]?.t !== endT) points.push({ t: endT, text: edgeNames[1] });
  let best: Span | null = null;
  for (let i = 1; i < points.length; i++) {
    const from = points[i - 1]!;
    const to = points[i]!;
    const ms = to.t - from.t;
    if (best === null || ms > best.ms) best = { from: from.text, to: to.text, fromT: from.t, toT: to.t, ms };
  }
  return best;
}

/** A stage's edges, before its span is known. */
export interface StageBounds {
  name: string;
  start: AnchorPoint;
  end: AnchorPoint;
  /** Which events may split its span; a custom stage's, all. */
  spanEvents: BuiltinStage['spanEvents'];
}

/** The offending span of a stage, given its edges. */
export type SpanOf = (stage: StageBounds) => Span | null;

/** largestGap over the timeline's events, without the kernel's where the stage says so. */
function largestGapOf(timeline: Timeline): SpanOf {
  let userspaceEvents: BootEvent[] | undefined;
  return (stage) => {
    const events =
      stage.spanEvents === 'userspace'
        ? (userspaceEvents ??= timeline.events.filter((e) => e.origin !== 'kernel'))
        : timeline.events;
    return largestGap(events, stage.start.t, stage.end.t, [stage.start.label, stage.end.label]);
  };
}

/**
 * Splits one boot into stages. A stage whose anchors were not both seen (no kernel log to align, a guest that did
 * not power itself off) is left out rather than guessed. Spans are the largest gap between the timeline's events
 * unless `spanOf` says otherwise: the streaming step keeps only summaries of most records, and walks those instead.
 */
export function computeStages(timeline: Timeline, custom: readonly StageDef[], spanOf?: SpanOf): StageTiming[] {
  const span = spanOf ?? largestGapOf(timeline);
  const timing = (bounds: StageBounds): StageTiming => ({
    name: bounds.name,
    startT: bounds.start.t,
    endT: bounds.end.t,
    ms: bounds.end.t - bounds.start.t,
    span: span(bounds),
  });
  const anchors = resolveAnchors(timeline);
  const stages: StageTiming[] = [];
  for (const stage of BUILTIN_STAGES) {
    const start = anchors[stage.from];
    const end = anchors[stage.to];
    if (start === undefined || end === undefined || end.t < start.t) continue;
    stages.push(timing({ name: stage.name, start, end, spanEvents: stage.spanEvents }));
  }
  for (const def of custom) {
    const from = timeline.events.find((e) => e.source !== 'host' && def.from.test(e.text));
    if (!from) continue;
    const to = timeline.events.find((e) => e.source !== 'host' && e.t >= from.t && e !== from && def.to.test(e.text));
    if (!to) continue;
    stages.push(
      timing({
        name: def.name,
        start: { t: from.t, label: from.text },
        end: { t: to.t, label: to.text },
        spanEvents: 'all',
      }),
    );
  }
  return stages;
}

/** An initcall this large explains its stage better than any gap between two records. */
const INITCALL_SPAN_SHARE = 0.1;

/** The slowest initcall inside the stage becomes its offending span when it is ≥ 10% of the stage and longer than
 *  the largest gap: the gap only says where the log went quiet, the initcall says who was running. */
export function withInitcallSpan(stage: StageTiming, initcalls: readonly Initcall[]): StageTiming {
  let slowest: Initcall | undefined;
  for (const call of initcalls) {
    if (call.startT < stage.startT || call.endT > stage.endT) continue;
    if (!slowest || call.ms > slowest.ms) slowest = call;
  }
  if (!slowest || slowest.ms < INITCALL_SPAN_SHARE * stage.ms || slowest.ms <= (stage.span?.ms ?? 0)) return stage;
  const label = initcallLabel(slowest);
  return {
    ...stage,
    span: {
      from: `calling ${label}`,
      to: `initcall ${label} returned`,
      fromT: slowest.endT - slowest.ms,
      toT: slowest.endT,
      ms: slowest.ms,
      kind: 'initcall',
    },
  };
}
