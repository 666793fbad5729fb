/**
 * What one measured pass leaves for the timeline reports (the HTML report and the Perfetto trace): its stages, their
 * offending spans, the events the measure step kept, its initcalls and its systemd units, all on the pass's host
 * timeline. It is kept in the results JSON so that `boot-budget report` can draw a saved run without booting.
 *
 * Bounded like the measure step: `events` are the records it kept (the console outside the log dump, up to the
 * console limit, and the log records something looks for), not every record of the dump; initcalls are cut to the
 * slowest TIMELINE_INITCALLS, which keeps a cloud-kernel boot with `initcall_debug` (~575 per pass) drawable.
 */
import { initcallLabel } from './initcalls.js';
import type { BootEvent, PassMeasurement, Span } from './types.js';

export const TIMELINE_INITCALLS = 150;

export interface TimelineStage {
  name: string;
  startT: number;
  endT: number;
  span: Span | null;
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
  return {
    stages: measurement.stages.map((s) => ({ name: s.name, startT: s.startT, endT: s.endT, span: s.span })),
    events: measurement.events.map((e) => ({ t: e.t, text: e.text, source: e.source })),
    initcalls,
    ...(units.length ? { units } : {}),
  };
}
