import { describe, expect, it } from 'vitest';
import { Marker } from '../../src/agent/protocol.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { criticalChain } from '../../src/measure/systemd/critical-chain.js';
import { systemdPhases } from '../../src/measure/systemd/phases.js';
import { parseSystemdDump } from '../../src/measure/systemd/show-output.js';
import type { UnitTimes } from '../../src/measure/systemd/unit-times.js';
import { loadBootFixture, scenarioResult } from '../helpers/fixtures.js';
import { judgeStages } from '../../src/judge/budgets.js';
import { summaryMarkdown } from '../../src/report/github/summary.js';

// A real systemd boot (test/fixtures/boots/systemd-bookworm.json says how it was captured): Debian bookworm minbase
// built by the mmdebstrap source, booted with boot-budget's ready unit, which printed the manager's timestamps.
const { trace } = loadBootFixture('systemd-bookworm');
const lines = trace.lines.map((l) => l.text);
const dumpLines = lines.slice(lines.indexOf(Marker.systemdBegin) + 1, lines.indexOf(Marker.systemdEnd));
const dump = parseSystemdDump(dumpLines)!;
const m = measurePass(trace, []);
const stage = (name: string) => m.stages.find((s) => s.name === name)!;

describe("the ready unit's systemctl show output (systemd-bookworm)", () => {
  it("gives the manager's boot timestamps and the target default.target stands for", () => {
    // The raw lines: UserspaceTimestampMonotonic=3168737, SecurityStartTimestampMonotonic=… (not in a container).
    expect(lines).toContain('UserspaceTimestampMonotonic=3168737');
    expect(dump.boot.userspaceUs).toBe(3_168_737);
    expect(dump.boot.finishUs).toBe(0);
    expect(dump.boot.securityStartUs).toBeGreaterThan(0);
    expect(dump.target).toBe('graphical.target');
    // The image's serial getty printed its banner and login prompt while the ready unit ran; the unit stops the gettys
    // before it prints the dump, so the prompt lands before the dump, and the dump holds nothing but its own lines.
    expect(lines.indexOf('vm login: ')).toBeGreaterThan(-1);
    expect(lines.indexOf('vm login: ')).toBeLessThan(lines.indexOf(Marker.systemdBegin));
    expect(dump.problems).toEqual([]);
  });

  it('gives every unit that can have run, with its four timestamps and After= list', () => {
    expect(dump.units.length).toBeGreaterThan(60);
    const journald = dump.units.find((u) => u.name === 'systemd-journald.service')!;
    const at = lines.indexOf('Id=systemd-journald.service');
    const block = lines.slice(at, lines.indexOf('', at));
    expect(block).toContain(`InactiveExitTimestampMonotonic=${journald.activatingUs}`);
    expect(block).toContain(`ActiveEnterTimestampMonotonic=${journald.activatedUs}`);
    expect(journald.after).toContain('systemd-journald.socket');
  });
});

describe('systemd measured from its manager (systemd-bookworm)', () => {
  it('splits the boot as systemd-analyze time does: kernel to userspace start, userspace to the target', () => {
    const target = dump.units.find((u) => u.name === 'graphical.target')!;
    expect(m.systemd).toMatchObject({ source: 'manager', target: 'graphical.target' });
    expect(m.systemd!.phases).toEqual({ kernel: 3168.737, userspace: (target.activatedUs - 3_168_737) / 1000 });
    // No firmware or loader timestamps on a direct kernel boot: the total starts at kernel clock zero.
    expect(m.systemd!.totalMs).toBeCloseTo(target.activatedUs / 1000, 6);
  });

  it('lists at least 20 units with times, placed on the host timeline at kernel clock zero plus their µs', () => {
    const placed = m.units.filter((u) => u.activating !== null && u.active !== null && u.ms > 0);
    expect(placed.length).toBeGreaterThanOrEqual(20);
    const raw = dump.units.find((u) => u.name === 'systemd-journald.service')!;
    const unit = m.units.find((u) => u.name === 'systemd-journald.service')!;
    expect(unit.activating).toBeCloseTo(m.alignment!.kernelZeroT + raw.activatingUs / 1000, 6);
    expect(unit.active).toBeCloseTo(m.alignment!.kernelZeroT + raw.activatedUs / 1000, 6);
    expect(unit.ms).toBeCloseTo((raw.activatedUs - raw.activatingUs) / 1000, 6);
    // boot-budget's own unit is not the image's boot.
    expect(m.units.map((u) => u.name)).not.toContain('boot-budget-ready.service');
  });

  it('walks the critical chain from the target down the After= edge reached last, and flags its units', () => {
    const chain = m.systemd!.criticalChain!;
    expect(chain[0]!.name).toBe('graphical.target');
    expect(chain.length).toBeGreaterThan(4);
    const byName = new Map(dump.units.map((u) => [u.name, u]));
    for (let i = 1; i < chain.length; i++) {
      expect(byName.get(chain[i - 1]!.name)!.after, chain[i]!.name).toContain(chain[i]!.name);
      expect(chain[i]!.atMs).toBeLessThanOrEqual(chain[i - 1]!.atMs);
    }
    const critical = m.units.filter((u) => u.critical).map((u) => u.name);
    for (const link of chain.slice(1).filter((l) => m.units.some((u) => u.name === l.name)))
      expect(critical).toContain(link.name);
  });

  it('names the chain unit userspace waited on last as its offending span, and offers the slowest for surgery', () => {
    // By hand from the capture's chain: graphical.target ← multi-user.target ← e2scrub_reap.service (a oneshot,
    // InactiveExit 14763351 µs → InactiveEnter 15925444 µs: 1162.093 ms) ← basic.target ← … The target waited on
    // e2scrub_reap last; slower units further down the chain (journald, 2.4 s) finished while others still ran.
    const chainUnits = m.systemd!.criticalChain!.filter((l) => !l.name.endsWith('.target') && l.ms > 0);
    expect(chainUnits[0]!.name).toBe('e2scrub_reap.service');
    expect(stage('userspace').span).toMatchObject({
      kind: 'unit',
      from: 'systemd:unit e2scrub_reap.service activating',
      to: 'systemd:unit e2scrub_reap.service active',
    });
    expect(stage('userspace').span!.ms).toBeCloseTo((15_925_444 - 14_763_351) / 1000, 6);
    // Surgery lists the chain's units by their own time, slowest first, leaving out what no image can drop.
    const surgery = m.systemd!.surgery!;
    const slowest = chainUnits
      .filter((l) => !/journald|\.slice$|^-\.mount$/.test(l.name))
      .sort((x, y) => y.ms - x.ms)[0]!;
    expect(slowest.name).toBe('systemd-update-utmp.service');
    expect(surgery[0]).toMatchObject({ name: slowest.name, ms: slowest.ms });
    expect(surgery.every((c) => !/\.(target|slice)$|^-\.mount$|journald/.test(c.name))).toBe(true);
    expect(surgery[0]!.share).toBeCloseTo(slowest.ms / m.systemd!.targetMs!, 9);
  });

  it("aligns the clocks on boot-budget's own markers only (ready, sync 1, sync 2), not systemd's console printk lines", () => {
    expect(lines.some((l) => /^\[\s*\d+\.\d+\] systemd\[1\]/.test(l))).toBe(true);
    expect(m.alignment!.pairs).toBe(3);
  });

  it('sees every built-in stage', () => {
    expect(m.stages.map((s) => s.name)).toEqual(['firmware', 'kernel', 'userspace', 'shutdown', 'total']);
  });
});

describe('critical chain (the algorithm of systemd-analyze critical-chain)', () => {
  const unit = (name: string, activating: number, activated: number, after: string[], deactivated = 0): UnitTimes => ({
    name,
    activatingUs: activating,
    activatedUs: activated,
    deactivatingUs: 0,
    deactivatedUs: deactivated,
    after,
  });

  it('follows the dependency reached last, stops at units reached after the end, and counts finished oneshots', () => {
    const units = [
      unit('multi-user.target', 900, 900, ['a.service', 'slow-thing.service', 'late.service']),
      unit('a.service', 100, 500, ['basic.target']),
      // A oneshot without RemainAfterExit: never active, inactive again when it finished.
      unit('slow-thing.service', 300, 0, ['basic.target'], 850),
      unit('late.service', 100, 2000, []),
      unit('basic.target', 50, 60, []),
    ];
    expect(criticalChain('multi-user.target', units, 0, 1000).map((l) => l.name)).toEqual([
      'multi-user.target',
      'slow-thing.service',
      'basic.target',
    ]);
    expect(criticalChain('multi-user.target', units, 0, 1000)[1]).toEqual({
      name: 'slow-thing.service',
      atMs: 0.85,
      ms: 0.55,
    });
  });

  it('stops at a unit already on the chain', () => {
    const units = [unit('x.target', 10, 10, ['y.service']), unit('y.service', 1, 5, ['x.target'])];
    expect(criticalChain('x.target', units, 0, 100).map((l) => l.name)).toEqual(['x.target', 'y.service']);
  });
});

describe('systemd phases', () => {
  it('count firmware back from the loader and the kernel to the initrd, as systemd-analyze time does', () => {
    const boot = {
      firmwareUs: 3_000_000,
      loaderUs: 1_000_000,
      kernelKnown: true,
      initrdUs: 800_000,
      userspaceUs: 2_000_000,
      finishUs: 0,
      securityStartUs: 1,
    };
    expect(systemdPhases(boot, 5_000_000)).toEqual({
      phases: { firmware: 2000, loader: 1000, kernel: 800, initrd: 1200, userspace: 3000 },
      totalMs: 8000,
    });
  });
});

describe('the job summary of a systemd boot (systemd-bookworm)', () => {
  it('draws the slowest units beside the stages, marks the critical ones, and lists the critical chain', () => {
    const stages = judgeStages([m], ['firmware', 'kernel', 'userspace', 'shutdown', 'total'], []);
    const result = scenarioResult('debian-systemd', stages, { units: m.units, systemd: m.systemd! });
    const summary = summaryMarkdown({ version: 1, scenarios: [result] });
    expect(summary).toMatch(/section systemd units/);
    const slowestCritical = m.units.find((u) => u.critical && u.ms > 0)!;
    expect(summary).toContain(`  ${slowestCritical.name} `);
    expect(summary).toMatch(new RegExp(`${slowestCritical.name.replace(/[.]/g, '\\.')} [^\\n]*: crit, `));
    expect(summary).toMatch(/systemd critical chain\*\* to `graphical\.target`/);
  });
});
