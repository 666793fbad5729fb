/**
 * The results-file form of each pass's timeline (src/measure/pass-timeline.ts): written by json.ts, read back by
 * results-file.ts for `boot-budget report`. Times are rounded to the microsecond, like every other figure in the file.
 */
import { z } from 'zod';
import type { PassTimeline } from '../measure/pass-timeline.js';

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function timelineToJson(passes: readonly PassTimeline[]): object[] {
  return passes.map((pass) => ({
    stages: pass.stages.map((s) => ({
      name: s.name,
      startT: round(s.startT),
      endT: round(s.endT),
      span: s.span
        ? {
            from: s.span.from,
            to: s.span.to,
            fromT: round(s.span.fromT),
            toT: round(s.span.toT),
            ms: round(s.span.ms),
            ...(s.span.kind ? { kind: s.span.kind } : {}),
          }
        : null,
      ...(s.edges ? { edges: s.edges } : {}),
    })),
    events: pass.events.map((e) => ({ t: round(e.t), text: e.text, source: e.source })),
    ...(pass.eventsLeftOut ? { eventsLeftOut: pass.eventsLeftOut } : {}),
    initcalls: pass.initcalls.map((c) => ({
      name: c.name,
      startT: round(c.startT),
      endT: round(c.endT),
      ms: round(c.ms),
    })),
    ...(pass.units
      ? {
          units: pass.units.map((u) => ({
            name: u.name,
            startT: round(u.startT),
            endT: round(u.endT),
            ...(u.critical ? { critical: true } : {}),
          })),
        }
      : {}),
  }));
}

const spanSchema = z.object({
  from: z.string(),
  to: z.string(),
  fromT: z.number(),
  toT: z.number(),
  ms: z.number(),
  kind: z.enum(['gap', 'initcall']).optional(),
});

export const timelineSchema = z.array(
  z.object({
    stages: z.array(
      z.object({
        name: z.string(),
        startT: z.number(),
        endT: z.number(),
        span: spanSchema.nullable(),
        edges: z.object({ from: z.string(), to: z.string() }).optional(),
      }),
    ),
    events: z.array(
      z.object({ t: z.number(), text: z.string(), source: z.enum(['console', 'kmsg', 'host', 'doorbell']) }),
    ),
    eventsLeftOut: z.number().int().optional(),
    initcalls: z.array(z.object({ name: z.string(), startT: z.number(), endT: z.number(), ms: z.number() })),
    units: z
      .array(z.object({ name: z.string(), startT: z.number(), endT: z.number(), critical: z.boolean().optional() }))
      .optional(),
  }),
);
