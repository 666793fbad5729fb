/**
 * What one measured pass leaves for the timeline reports (the HTML report and the Perfetto trace): its stages, their
 * offending spans, the events the measure step kept, its initcalls and its systemd units, all on the pass's host
 * timeline. It is kept in the results JSON so that `boot-budget report` can draw a saved run without booting.
 *
 * Bounded like the measure step: `events` are the records it kept (the console outside the log dump and the log
 * records something looks for), not every record of the dump, and at most TIMELINE_EVENTS of them, each cut to
 * TIMELINE_TEXT characters; initcalls are cut to the slowest TIMELINE_INITCALLS, which keeps a cloud-kernel boot
 * with `initcall_debug` (~575 per pass) drawable.
 */
import { initcallLabel } from './initcalls.js';
import type { BootEvent, PassMeasurement, Span } from './types.js';

export const TIMELINE_INITCALLS = 150;
/** Events kept per pass, the first half and the last half: a guest that floods its console (up to the 64 MiB console
 *  limit) would otherwise put all of it into the results file and the HTML report of every pass. */
export const TIMELINE_EVENTS = 4000;
/** Characters kept of one event's text; the rest is cut with an ellipsis. */
export const TIMELINE_TEXT = 400;

export interface TimelineStage {
  name: string;
  startT: number;
  endT: number;
  span: Span | null;
  /** What placed each edge, on whole-disk boots (see StageTiming). */
  edges?: { from: string; to: string };
}

export interface TimelineEvent {
  t: number;
  text: string;
  source: BootEvent['source'];
}

export interface TimelineInitcall {
  /** As a report names it: `name [module]`. */
  name: string;
  startT: number;
  endT: number;
  ms: number;
}

/** One systemd unit's activation, when the image runs systemd and its times could be placed on the host timeline. */
export interface TimelineUnit {
  name: string;
  startT: number;
  endT: number;
  /** On the critical chain to the ready target. */
  critical?: boolean;
}

export interface PassTimeline {
  stages: TimelineStage[];
  events: TimelineEvent[];
  initcalls: TimelineInitcall[];
  units?: TimelineUnit[];
  /** Events left out between the first and the last TIMELINE_EVENTS / 2; absent when none were. */
  eventsLeftOut?: number;
}

export function passTimeline(measurement: PassMeasurement): PassTimeline {
  const initcalls = [...measurement.initcalls]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, TIMELINE_INITCALLS)
    .sort((a, b) => a.startT - b.startT)
    .map((call) => ({ name: initcallLabel(call), startT: call.startT, endT: call.endT, ms: call.ms }));
  // A unit still waiting at ready, or one whose clock could not be aligned, has no interval to draw.
  const units = measurement.units.flatMap((u) =>
    u.activating !== null && u.active !== null
      ? [{ name: u.name, startT: u.activating, endT: u.active, ...(u.critical ? { critical: true } : {}) }]
      : [],
  );
  const all = measurement.events;
  const half = TIMELINE_EVENTS / 2;
  const kept = all.length > TIMELINE_EVENTS ? [...all.slice(0, half), ...all.slice(-half)] : all;
  const text = (t: string) => (t.length > TIMELINE_TEXT ? `${t.slice(0, TIMELINE_TEXT - 1)}…` : t);
  return {
    stages: measurement.stages.map((s) => ({
      name: s.name,
      startT: s.startT,
      endT: s.endT,
      span: s.span,
      ...(s.edges ? { edges: s.edges } : {}),
    })),
    events: kept.map((e) => ({ t: e.t, text: text(e.text), source: e.source })),
    ...(all.length > kept.length ? { eventsLeftOut: all.length - kept.length } : {}),
    initcalls,
    ...(units.length ? { units } : {}),
  };
}
