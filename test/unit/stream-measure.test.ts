import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measurePass } from '../../src/measure/measure-pass.js';
import type { BootEvent } from '../../src/measure/types.js';
import { StreamingMeasure } from '../../src/measure/stream.js';
import { loadBootFixture, passContextOf } from '../helpers/fixtures.js';
import { measureWhole } from '../helpers/measure-oracle.js';

const fixtures = readdirSync(join(import.meta.dirname, '..', 'fixtures', 'boots'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

/** Runs sum their gaps in guest time before kernel clock zero is known, so sums differ in the last bits. */
function rounded<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (_, v: unknown) => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v)),
  ) as T;
}

describe('streaming measure step', () => {
  it.each(fixtures)("gives the whole-trace oracle's stages, spans, alignment, initcalls and hints on %s", (name) => {
    const { trace } = loadBootFixture(name);
    const context = passContextOf(trace.argv);
    const slurped = measureWhole(trace, [], undefined, context);
    const streamed = measurePass(trace, [], undefined, context);
    expect(rounded(streamed.stages)).toEqual(rounded(slurped.stages));
    expect(rounded(streamed.alignment)).toEqual(rounded(slurped.alignment));
    expect(rounded(streamed.hints)).toEqual(rounded(slurped.hints));
    expect(rounded(streamed.initcalls)).toEqual(rounded(slurped.initcalls));
    expect(rounded(streamed.console)).toEqual(rounded(slurped.console));
    expect(rounded(streamed.systemd)).toEqual(rounded(slurped.systemd));
    expect(rounded(streamed.units)).toEqual(rounded(slurped.units));
  });

  it.each(fixtures)("keeps, in order and at the oracle's times, the events stages and reports need on %s", (name) => {
    const { trace } = loadBootFixture(name);
    const key = (e: BootEvent) => `${Math.round(e.t * 1e3)}|${e.source}|${e.origin}|${e.guestT ?? ''}|${e.text}`;
    const streamed = measurePass(trace, []).events.map(key);
    const slurped = measureWhole(trace, []).events;
    // Every event the stream keeps is one of the oracle's, in the oracle's order…
    let at = 0;
    const whole = slurped.map(key);
    for (const event of streamed) {
      const found = whole.indexOf(event, at);
      expect(found, event).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
    // …and it drops only the kernel's own log records that are summarised in runs: every console line, marker, host
    // and doorbell event, every userspace record and the kernel's hand-over to init are kept.
    const kept = new Set(streamed);
    const dropped = slurped.filter((e) => !kept.has(key(e)));
    expect(dropped.filter((e) => !(e.source === 'kmsg' && e.origin === 'kernel')).map(key)).toEqual([]);
    if (trace.outcome.kind !== 'panic') {
      expect(dropped.map((e) => e.text)).not.toContain('Run /init as init process');
    }
  });

  it('keeps custom stages and their spans', () => {
    const { trace } = loadBootFixture('cloud-initcalls-pc');
    const custom = [
      { name: 'acpi', from: /^ACPI: Core revision/, to: /^ACPI: Interpreter enabled/, pos: { line: 1, column: 1 } },
    ];
    const context = passContextOf(trace.argv);
    const slurped = measureWhole(trace, custom, undefined, context);
    expect(slurped.stages.some((s) => s.name === 'acpi')).toBe(true);
    expect(rounded(measurePass(trace, custom, undefined, context).stages)).toEqual(rounded(slurped.stages));
  });

  it('keeps a small share of the log as events', () => {
    const { trace } = loadBootFixture('cloud-initcalls-pc');
    const m = new StreamingMeasure([]);
    for (const line of trace.lines) m.push(line);
    const result = m.finish(trace);
    expect(result.events.length).toBeLessThan(measureWhole(trace, []).events.length / 10);
  });
});
