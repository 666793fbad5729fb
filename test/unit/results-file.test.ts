import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/judge/compare.js';
import { resultsToJson } from '../../src/report/json.js';
import { resultsFromJson, unknownMetadataNotes } from '../../src/report/results-file.js';
import { passTimeline, TIMELINE_EVENTS, TIMELINE_TEXT } from '../../src/measure/pass-timeline.js';
import { fixtureResults, measuredPasses } from '../helpers/report-results.js';

/** A scenario as the first results format wrote it (src/report/json.ts when it was added): no firmware, no stage start,
 *  a span without times, no timeline. Then with the metadata a still older writer would not have had removed. */
function oldScenario(): Record<string, unknown> {
  return {
    name: 'old',
    file: 'scenarios/old.yaml',
    accel: 'tcg',
    hypervisor: 'qemu',
    hypervisorVersion: '7.2.0',
    machine: 'pc',
    cmdline: 'console=ttyS0 quiet',
    kernel: 'linux-image-cloud-amd64',
    rootfs: 'busybox initramfs',
    hostCpus: 2,
    warmup: 1,
    passes: 3,
    stages: {
      kernel: {
        samples: [1400, 1500, 1450],
        median: 1450,
        budget: { max: 3000, level: 'error', statistic: 'median', value: 1450, line: 7, column: 3 },
        verdict: 'pass',
        span: { from: 'a', to: 'b', ms: 300 },
      },
    },
    verdict: 'pass',
  };
}

describe('the timeline of a pass', () => {
  it('keeps the first and last events of a flooded console, each cut short, and says how many it left out', () => {
    const [pass] = measuredPasses(['cloud-quiet-sleep1']);
    const flood = Array.from({ length: 10_000 }, (_, i) => ({
      t: 5000 + i,
      text: `${i} ${'x'.repeat(1000)}`,
      source: 'console' as const,
      origin: 'user' as const,
    }));
    const timeline = passTimeline({ ...pass!, events: [...pass!.events, ...flood] });
    expect(timeline.events).toHaveLength(TIMELINE_EVENTS);
    expect(timeline.eventsLeftOut).toBe(pass!.events.length + flood.length - TIMELINE_EVENTS);
    expect(timeline.events[0]!.text).toBe(pass!.events[0]!.text);
    expect(timeline.events.at(-1)!.text.startsWith('9999 xxx')).toBe(true);
    expect(Math.max(...timeline.events.map((e) => e.text.length))).toBe(TIMELINE_TEXT);
    expect(passTimeline(pass!).eventsLeftOut).toBeUndefined();
  });
});

describe('reading results files', () => {
  it('keeps every pass on its timeline through the file', () => {
    const results = fixtureResults();
    const back = resultsFromJson(JSON.parse(JSON.stringify(resultsToJson(results))), 'r.json');
    const [before, after] = [results.scenarios[0]!.timeline!, back.scenarios[0]!.timeline!];
    expect(after).toHaveLength(3);
    expect(after[1]!.stages.map((s) => s.name)).toEqual(before[1]!.stages.map((s) => s.name));
    expect(after[1]!.events.length).toBe(before[1]!.events.length);
    expect(after[1]!.initcalls.length).toBeGreaterThan(0);
    expect(after[1]!.initcalls.length).toBe(before[1]!.initcalls.length);
    expect(back.scenarios[0]!.unknown).toBeUndefined();
  });

  it('reads a file of the first format and says what it lacks', () => {
    const back = resultsFromJson({ version: 1, scenarios: [oldScenario()] }, 'old.json');
    expect(back.scenarios[0]!.stages[0]!.summary!.median).toBe(1450);
    expect(back.scenarios[0]!.stages[0]!.span).toBeNull();
    expect(back.scenarios[0]!.unknown).toEqual(['stage start times', 'span times']);
  });

  it('reads a file without metadata added later as unknown, says so, and compares it without refusing', () => {
    const raw = oldScenario();
    for (const key of ['hypervisorVersion', 'kernel', 'rootfs', 'cmdline', 'hostCpus', 'accel']) delete raw[key];
    const old = resultsFromJson({ version: 1, scenarios: [raw] }, 'old.json');
    const s = old.scenarios[0]!;
    expect(s).toMatchObject({ hypervisorVersion: null, kernel: null, accel: null });
    expect(s.unknown).toEqual(expect.arrayContaining(['hypervisorVersion', 'kernel', 'hostCpus', 'accel']));
    expect(unknownMetadataNotes(old, 'old.json')[0]).toMatch(
      /^old\.json: old: written by an older boot-budget; unknown: .*hypervisorVersion.*hostCpus/,
    );
    const head = { ...s, unknown: undefined, hostCpus: 2, accel: 'tcg' as const };
    const comparison = compareRuns(old, { scenarios: [head] });
    expect(comparison.scenarios).toHaveLength(1);
    expect(comparison.scenarios[0]!.forced).toEqual([]);
    // What was unknown stays unknown when a merged file is written and read again.
    const again = resultsFromJson(JSON.parse(JSON.stringify(resultsToJson(old))), 'merged.json');
    expect(again.scenarios[0]!.unknown).toEqual(s.unknown);
  });

  it('refuses a newer major version with an error that says to upgrade, and a file with no version', () => {
    expect(() => resultsFromJson({ version: 2, scenarios: [] }, 'new.json')).toThrow(
      /new\.json: results version 2 was written by a newer boot-budget; this one reads version 1\. Upgrade/,
    );
    expect(() => resultsFromJson({ scenarios: [] }, 'x.json')).toThrow(/x\.json: not a boot-budget results file/);
    expect(() => resultsFromJson({ version: 1, scenarios: [{ name: 'n' }] }, 'y.json')).toThrow(
      /y\.json: not a boot-budget results file \(version 1\): scenarios\.0\.hypervisor/,
    );
  });
});

describe("a systemd scenario's results read back", () => {
  it('keeps init, systemd and units, as measured from the real systemd-bookworm capture', () => {
    const [pass] = measuredPasses(['systemd-bookworm']);
    const scenario = {
      ...fixtureResults().scenarios[0]!,
      init: { kind: 'systemd', path: '/sbin/init -> /lib/systemd/systemd', readiness: 'ready unit' },
      systemd: pass!.systemd!,
      units: pass!.units,
    } as const;
    // The capture gives every field these carry: a chain, a surgery list and units placed on the host timeline.
    expect(scenario.systemd.criticalChain!.length).toBeGreaterThan(4);
    expect(scenario.units.length).toBeGreaterThan(60);
    const json = JSON.parse(JSON.stringify(resultsToJson({ version: 1, scenarios: [scenario] })));
    const [back] = resultsFromJson(json, 'results.json').scenarios;
    expect(back!.init).toEqual(scenario.init);
    expect(back!.systemd).toEqual(scenario.systemd);
    expect(back!.units).toEqual(scenario.units);
  });
});
