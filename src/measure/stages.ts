import { Marker } from '../agent/protocol.js';
import { BUILTIN_STAGES, type BuiltinStage, type TimelineAnchor } from '../scenario/builtin-stages.js';
import type { StageDef } from '../scenario/types.js';
import { initcallLabel, type Initcall } from './initcalls.js';
import type { Timeline } from './timeline.js';
import type { BootEvent, Span, StageTiming } from './types.js';

/**
 * Where the firmware starts the boot loader, best first, with the source each names in results. OVMF prints the
 * BdsDxe lines on the serial console (after screen-clearing escapes, on the same line, so they are not anchored);
 * SeaBIOS prints `Booting from Hard Disk...` to its debug console; GRUB's own banner comes last.
 */
export const LOADER_START_EDGES: ReadonlyArray<{ pattern: RegExp; source: string }> = [
  { pattern: /BdsDxe: starting /, source: 'OVMF (BdsDxe: starting)' },
  { pattern: /Booting from Hard Disk/, source: 'SeaBIOS (Booting from Hard Disk)' },
  // The first line of the GRUB images boot-budget builds (src/artifacts/image/grub.ts), then GRUB's own menu header.
  { pattern: /GRUB: reading \/grub\/grub\.cfg/, source: 'GRUB console (its first line)' },
  { pattern: /Welcome to GRUB!|GNU GRUB +version/, source: 'GRUB console (menu)' },
];

/** Where an initramfs hands over to the real root: systemd's and busybox/klibc's words for it. */
export const ROOT_SWITCH_PATTERNS: readonly RegExp[] = [/^Switching root\.?$/, /^run-init: |switch_root: /];

/** Which stages a boot lists in its reports, in boot-chart order: disk boots add `loader` and `initrd`. */
export function stageOrderFor(boot: 'kernel' | 'disk'): string[] {
  return BUILTIN_STAGES.filter((s) => s.listed === 'always' || (boot === 'disk' && s.listed === 'disk-boot')).map(
    (s) => s.name,
  );
}

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
  /** What placed it, for results: `OVMF (BdsDxe: starting)`, `kernel log`, …; set on whole-disk edges. */
  source?: string;
}

function resolveAnchors(timeline: Timeline): Partial<Record<TimelineAnchor, AnchorPoint>> {
  const { marks, alignment, events } = timeline;
  const kernelEnd = findKernelEnd(events, marks.ready);
  const at = (t: number | undefined, label: string) => (t === undefined ? undefined : { t, label });
  const kernelZeroT = alignment?.kernelZeroT;
  let loaderStart: AnchorPoint | undefined;
  for (const edge of LOADER_START_EDGES) {
    const found = events.find(
      (e) =>
        e.source === 'console' &&
        e.guestT === undefined &&
        (kernelZeroT === undefined || e.t <= kernelZeroT) &&
        edge.pattern.test(e.text),
    );
    if (found) {
      loaderStart = { t: found.t, label: found.text, source: edge.source };
      break;
    }
  }
  const switchEvent = kernelEnd
    ? events.find(
        (e) =>
          e.source !== 'host' &&
          e.t >= kernelEnd.t &&
          (marks.ready === undefined || e.t <= marks.ready) &&
          ROOT_SWITCH_PATTERNS.some((p) => p.test(e.text)),
      )
    : undefined;
  return {
    spawn: { t: 0, label: '(hypervisor spawned)' },
    'loader-start': loaderStart,
    'root-switch': switchEvent ? { t: switchEvent.t, label: switchEvent.text, source: 'kernel log' } : undefined,
    'kernel-zero':
      kernelZeroT === undefined
        ? undefined
        : { t: kernelZeroT, label: '(kernel clock zero)', source: 'kernel log (clock aligned to the console)' },
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
  const first = (which: TimelineAnchor | readonly TimelineAnchor[]) =>
    (typeof which === 'string' ? [which] : which).map((a) => anchors[a]).find((p) => p !== undefined);
  // A whole-disk boot (one whose loader was seen) says in results what placed each edge.
  const diskBoot = anchors['loader-start'] !== undefined;
  for (const stage of BUILTIN_STAGES as readonly BuiltinStage[]) {
    const start = first(stage.from);
    const end = first(stage.to);
    if (start === undefined || end === undefined || end.t < start.t) continue;
    const stageTiming = timing({ name: stage.name, start, end, spanEvents: stage.spanEvents });
    if (diskBoot) stageTiming.edges = { from: start.source ?? start.label, to: end.source ?? end.label };
    stages.push(stageTiming);
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
