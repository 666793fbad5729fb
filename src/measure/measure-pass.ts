import type { BootTrace } from '../boot/types.js';
import { Marker } from '../agent/protocol.js';
import type { Firmware, Machine, StageDef } from '../scenario/types.js';
import { consoleCost, type ConsoleCost } from './console-cost.js';
import { evaluateHints } from './hints.js';
import { initcallLabel, parseInitcalls, type Initcall } from './initcalls.js';
import { computeStages } from './stages.js';
import { blameFromConsole, parseStartupFinished } from './systemd.js';
import { buildTimeline } from './timeline.js';
import type { PassMeasurement, StageTiming } from './types.js';

/** What the pass was booted with, for hints that depend on it (machine type, `quiet`). */
export interface PassContext {
  machine?: Machine;
  cmdline?: string;
  firmware?: Firmware;
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
    span: { from: `calling ${label}`, to: `initcall ${label} returned`, fromT: slowest.endT - slowest.ms, toT: slowest.endT, ms: slowest.ms, kind: 'initcall' },
  };
}

export function measurePass(trace: BootTrace, custom: readonly StageDef[], readyRegex?: RegExp, context: PassContext = {}): PassMeasurement {
  const timeline = buildTimeline(trace, readyRegex);
  const initcalls = parseInitcalls(timeline.events);
  const stages = computeStages(timeline, custom).map((s) => (s.name === 'total' ? s : withInitcallSpan(s, initcalls)));
  const dumpStartT = trace.lines.find((l) => l.text.startsWith(Marker.dmesgBegin))?.t ?? Infinity;
  const console: Record<string, ConsoleCost> = {};
  for (const stage of stages) console[stage.name] = consoleCost(trace.lines, stage.startT, stage.endT, dumpStartT);
  let systemd = null;
  for (const event of timeline.events) systemd ??= parseStartupFinished(event.text);
  const units = blameFromConsole(trace.lines);
  const hints = evaluateHints({
    stages,
    events: timeline.events,
    initcalls,
    units,
    console: new Map(Object.entries(console)),
    machine: context.machine,
    cmdline: context.cmdline,
    firmware: context.firmware,
  });
  return { stages, alignment: timeline.alignment, events: timeline.events, initcalls, systemd, units, console, hints };
}
