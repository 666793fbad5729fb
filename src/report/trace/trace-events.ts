/**
 * The Trace Event Format JSON that ui.perfetto.dev and chrome://tracing open. Each scenario × pass (× side of an A/B)
 * is a process; each kind of track is a thread: stages, offending spans, initcalls, systemd units, console. Complete
 * (`X`) slices on one thread must not overlap (Perfetto drops or mis-nests them), so a kind whose items overlap
 * (`total` over the other stages, initcalls of parallel probes, systemd units) spreads over as many threads as it
 * takes (src/report/lanes.ts). Console lines and kernel records are thread-scoped instants (`i`). `M` events name
 * every process and thread, and sort them in boot order.
 *
 * Times are µs since the pass's hypervisor spawn. Guest text goes into `name` and `args` as JSON strings; the file is
 * written with `<`, `>` and `&` as \u escapes so that it stays inert even if pasted into an HTML page.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunResults } from '../../judge/types.js';
import type { ScenarioResult } from '../../judge/types.js';
import type { PassTimeline } from '../../measure/pass-timeline.js';
import { assignLanes } from '../lanes.js';
import { inertJson } from '../inert-json.js';
import { medianPassIndex, timelineSides } from '../passes.js';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'i' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  s?: 't';
  args?: Record<string, unknown>;
}

export interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
}

/** Thread ids per kind; lanes of one kind count up from its base. */
export const TRACK_BASE = { stages: 1, spans: 100, initcalls: 200, units: 300, console: 900 } as const;
type TrackKind = keyof typeof TRACK_BASE;

const us = (ms: number) => Math.round(ms * 1000);

interface Slice {
  name: string;
  startT: number;
  endT: number;
  args: Record<string, unknown>;
}

function sliceEvents(pid: number, kind: TrackKind, slices: readonly Slice[], out: TraceEvent[]): void {
  assignLanes(
    slices,
    (s) => us(s.startT),
    (s) => us(s.endT),
  ).forEach((lane, i) => {
    const tid = TRACK_BASE[kind] + i;
    out.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: i === 0 ? kind : `${kind} ${i + 1}` } });
    out.push({ name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: tid } });
    for (const s of lane) {
      const ts = us(s.startT);
      out.push({ name: s.name, cat: kind, ph: 'X', pid, tid, ts, dur: Math.max(0, us(s.endT) - ts), args: s.args });
    }
  });
}

function passEvents(result: ScenarioResult, pass: PassTimeline, pid: number, out: TraceEvent[]): void {
  const budgets = new Map(result.stages.map((s) => [s.name, s]));
  sliceEvents(
    pid,
    'stages',
    pass.stages.map((s) => {
      const judged = budgets.get(s.name);
      return {
        name: s.name,
        startT: s.startT,
        endT: s.endT,
        args: {
          ms: s.endT - s.startT,
          ...(judged?.budget ? { budgetMs: judged.budget.max, verdict: judged.verdict } : {}),
        },
      };
    }),
    out,
  );
  sliceEvents(
    pid,
    'spans',
    pass.stages.flatMap((s) =>
      s.span
        ? [
            {
              name: `${s.name}: ${s.span.kind === 'initcall' ? 'initcall' : 'gap'}`,
              startT: s.span.fromT,
              endT: s.span.toT,
              args: { stage: s.name, from: s.span.from, to: s.span.to, ms: s.span.ms },
            },
          ]
        : [],
    ),
    out,
  );
  sliceEvents(
    pid,
    'initcalls',
    pass.initcalls.map((c) => ({ name: c.name, startT: c.startT, endT: c.endT, args: { ms: c.ms } })),
    out,
  );
  sliceEvents(
    pid,
    'units',
    (pass.units ?? []).map((u) => ({
      name: u.name,
      startT: u.startT,
      endT: u.endT,
      args: { ms: u.endT - u.startT, ...(u.critical ? { critical: true } : {}) },
    })),
    out,
  );
  if (pass.events.length) {
    const tid = TRACK_BASE.console;
    out.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: 'console and kernel log' } });
    out.push({ name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: tid } });
    for (const e of pass.events)
      out.push({ name: e.text, cat: e.source, ph: 'i', s: 't', pid, tid, ts: us(e.t), args: { source: e.source } });
  }
}

export function traceOf(results: RunResults): TraceFile {
  const out: TraceEvent[] = [];
  let pid = 0;
  for (const result of results.scenarios) {
    for (const side of timelineSides(result)) {
      const median = medianPassIndex(side.timeline);
      side.timeline.forEach((pass, i) => {
        pid++;
        const label = `${result.name}${side.label ? ` ${side.label}` : ''} · pass ${i + 1}${i === median ? ' (median)' : ''}`;
        out.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: label } });
        out.push({ name: 'process_sort_index', ph: 'M', pid, tid: 0, args: { sort_index: pid } });
        passEvents(result, pass, pid, out);
      });
    }
  }
  return { traceEvents: out, displayTimeUnit: 'ms' };
}

/** Scenarios with no timeline (errored, or read from an older results file) are named, not silently left out. */
export function scenariosWithoutTimeline(results: RunResults): string[] {
  return results.scenarios.filter((s) => timelineSides(s).length === 0).map((s) => s.name);
}

export async function writeTrace(file: string, results: RunResults): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${inertJson(traceOf(results))}\n`);
}
