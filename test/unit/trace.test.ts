import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRACK_BASE, traceOf, writeTrace, type TraceEvent } from '../../src/report/trace/trace-events.js';
import { fixtureAbScenario, fixtureResults, fixtureScenario, INJECTION } from '../helpers/report-results.js';
import { testDir } from '../helpers/vitest-dirs.js';

/** What Perfetto's JSON importer needs of a Trace Event file, checked event by event. */
function validate(trace: { traceEvents: TraceEvent[]; displayTimeUnit: string }): void {
  expect(trace.displayTimeUnit).toBe('ms');
  const named = { process: new Set<number>(), thread: new Set<string>() };
  for (const e of trace.traceEvents) {
    expect(['X', 'i', 'M']).toContain(e.ph);
    expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
    expect(typeof e.name).toBe('string');
    if (e.ph === 'M') {
      if (e.name === 'process_name') named.process.add(e.pid);
      if (e.name === 'thread_name') named.thread.add(`${e.pid}/${e.tid}`);
      continue;
    }
    expect(Number.isInteger(e.ts) && e.ts! >= 0).toBe(true);
    if (e.ph === 'X') expect(Number.isInteger(e.dur) && e.dur! >= 0).toBe(true);
    if (e.ph === 'i') expect(e.s).toBe('t');
    expect(named.process.has(e.pid)).toBe(true);
    expect(named.thread.has(`${e.pid}/${e.tid}`)).toBe(true);
  }
  const tracks = new Map<string, TraceEvent[]>();
  for (const e of trace.traceEvents.filter((ev) => ev.ph === 'X')) {
    const key = `${e.pid}/${e.tid}`;
    tracks.set(key, [...(tracks.get(key) ?? []), e]);
  }
  for (const [key, slices] of tracks) {
    slices.sort((a, b) => a.ts! - b.ts!);
    for (let i = 1; i < slices.length; i++)
      expect(slices[i]!.ts!, `${key}: ${slices[i - 1]!.name} overlaps ${slices[i]!.name}`).toBeGreaterThanOrEqual(
        slices[i - 1]!.ts! + slices[i - 1]!.dur!,
      );
  }
}

describe('Perfetto trace', () => {
  it('puts every pass in a process, each kind of track in threads, times in µs, with no overlap on a track', () => {
    const scenario = fixtureScenario();
    const trace = traceOf(fixtureResults(scenario));
    validate(trace);
    const processes = trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => e.args!.name);
    expect(processes).toHaveLength(3);
    expect(processes.filter((name) => String(name).endsWith('(median)'))).toHaveLength(1);
    const pass = scenario.timeline![1]!;
    const kernel = pass.stages.find((s) => s.name === 'kernel')!;
    const slice = trace.traceEvents.find((e) => e.pid === 2 && e.ph === 'X' && e.name === 'kernel')!;
    expect(slice.ts).toBe(Math.round(kernel.startT * 1000));
    expect(Math.abs(slice.dur! - (kernel.endT - kernel.startT) * 1000)).toBeLessThanOrEqual(1);
    expect(slice.args).toMatchObject({ budgetMs: 1000, verdict: 'fail' });
    // total spans the other stages, so stages need a second thread; the captured initcalls fill their own.
    const threads = trace.traceEvents.filter((e) => e.pid === 2 && e.name === 'thread_name').map((e) => e.args!.name);
    expect(threads).toEqual(
      expect.arrayContaining(['stages', 'stages 2', 'spans', 'initcalls', 'console and kernel log']),
    );
    const initcalls = trace.traceEvents.filter((e) => e.pid === 2 && e.cat === 'initcalls');
    expect(initcalls.length).toBe(pass.initcalls.length);
    const instants = trace.traceEvents.filter((e) => e.pid === 2 && e.ph === 'i');
    expect(instants.length).toBe(pass.events.length);
    expect(instants.every((e) => e.tid === TRACK_BASE.console)).toBe(true);
  });

  it('spreads overlapping systemd units over as many threads as it takes', () => {
    const scenario = fixtureScenario();
    scenario.timeline = [
      {
        ...scenario.timeline![0]!,
        units: [
          { name: 'a.service', startT: 100, endT: 300 },
          { name: 'b.service', startT: 150, endT: 250 },
          { name: 'c.service', startT: 200, endT: 400 },
          { name: 'd.service', startT: 300, endT: 500 },
        ],
      },
    ];
    const trace = traceOf(fixtureResults(scenario));
    validate(trace);
    const units = trace.traceEvents.filter((e) => e.cat === 'units');
    expect(new Set(units.map((e) => e.tid)).size).toBe(3);
  });

  it('has both sides of an A/B as processes', () => {
    const trace = traceOf(fixtureResults(fixtureAbScenario()));
    validate(trace);
    const processes = trace.traceEvents.filter((e) => e.name === 'process_name').map((e) => String(e.args!.name));
    expect(processes.filter((p) => p.startsWith('ab-tuned B'))).toHaveLength(2);
    expect(processes.filter((p) => p.startsWith('ab-tuned A'))).toHaveLength(2);
  });

  it('keeps guest text as text, and the file inert in HTML', async () => {
    const file = join(testDir(), 'boot.trace.json');
    await writeTrace(file, fixtureResults());
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/<script|<img/);
    const trace = JSON.parse(text);
    validate(trace);
    expect(trace.traceEvents.filter((e: TraceEvent) => e.name === INJECTION)).toHaveLength(3);
  });
});
