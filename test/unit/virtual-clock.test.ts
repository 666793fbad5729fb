import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentScript } from '../../src/agent/script.js';
import { TSC_PATH, tscProgram } from '../../src/agent/tsc.js';
import { icountArgs } from '../../src/boot/icount.js';
import { qemuBackend } from '../../src/boot/qemu.js';
import type { BootTrace } from '../../src/boot/types.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { parsePrintk } from '../../src/measure/timeline.js';
import { loadBootFixture } from '../helpers/fixtures.js';

// cloud-virtual-clock.json is a real boot under `-icount shift=0,sleep=off,align=off` with the agent's TSC reads,
// captured with scripts/capture-boot.ts (its `captured.how` says how).
const { trace } = loadBootFixture('cloud-virtual-clock');
const virtual = { machine: 'pc' as const, clock: 'virtual' as const };
const stage = (stages: ReturnType<typeof measurePass>['stages'], name: string) =>
  stages.find((s) => s.name === name)?.ms;

/** The fixture's own numbers: the TSC read after ready, its record's printk time and the sched_clock offset. */
function fixtureReadings(t: BootTrace) {
  const records = t.lines.flatMap((l) => parsePrintk(l.text) ?? []);
  const tsc = records.find((r) => r.text.startsWith('boot-budget:tsc-ready '))!;
  const stable = records.find((r) => r.text.startsWith('sched_clock: Marking stable'))!;
  const offsetMs = Number(/, (-?\d+)\)$/.exec(stable.text)![1]) / 1e6;
  const endTsc = Number(t.lines.find((l) => l.text.startsWith('boot-budget:tsc-end '))!.text.split(' ')[1]);
  const reboot = records.find((r) => r.text.startsWith('reboot: Restarting system'))!;
  const ready = records.find((r) => r.text === 'boot-budget:ready')!;
  const runInit = records.find((r) => r.text.startsWith('Run /init as init process'))!;
  return { tscNs: Number(tsc.text.split(' ')[1]), tscG: tsc.guestT, offsetMs, endTsc, reboot, ready, runInit };
}

describe('virtual clock: a boot placed by the guest TSC and the kernel log', () => {
  const r = fixtureReadings(trace);
  const measured = measurePass(trace, [], undefined, virtual);

  it('puts kernel clock zero at TSC − (printk − sched_clock offset) of the agent’s record', () => {
    const kernelZero = r.tscNs / 1e6 - (r.tscG - r.offsetMs);
    expect(stage(measured.stages, 'firmware')).toBeCloseTo(kernelZero, 6);
    // SeaBIOS, then decompressing a 14 MB kernel at 1 ns per instruction.
    expect(kernelZero).toBeGreaterThan(100);
    expect(kernelZero).toBeLessThan(500);
    expect(measured.alignment).toEqual({ kernelZeroT: kernelZero, pairs: 1, spreadMs: 0 });
  });

  it("keeps the kernel's own clock for kernel and userspace, and adds up to total", () => {
    expect(stage(measured.stages, 'kernel')).toBeCloseTo(r.runInit.guestT, 6);
    expect(stage(measured.stages, 'userspace')).toBeCloseTo(r.ready.guestT - r.runInit.guestT, 6);
    const sum = ['firmware', 'kernel', 'userspace'].reduce((s, n) => s + stage(measured.stages, n)!, 0);
    expect(stage(measured.stages, 'total')).toBeCloseTo(sum, 6);
  });

  it('times shutdown from the TSC read after the dump to the kernel’s reset message', () => {
    const shutdown = stage(measured.stages, 'shutdown')!;
    expect(shutdown).toBeCloseTo(r.reboot.guestT - (r.endTsc / 1e6 - r.tscNs / 1e6 + r.tscG), 6);
    expect(shutdown).toBeGreaterThan(0);
    expect(shutdown).toBeLessThan(20);
  });

  it('does not depend on host time at all: the same console stamped at other host times gives the same stages', () => {
    let drift = 0;
    const shifted: BootTrace = {
      ...trace,
      lines: trace.lines.map((l, i) => ({ ...l, t: l.t * 3 + (drift += (i % 7) * 0.37) })),
      exitT: (trace.exitT ?? 0) * 5,
    };
    const again = measurePass(shifted, [], undefined, virtual);
    expect(again.stages).toEqual(measured.stages);
    expect(again.events).toEqual(measured.events);
    // Nothing on the timeline comes after the machine's reset: no host-stamped line slipped in.
    const exit = Math.max(...measured.stages.map((s) => s.endT));
    expect(measured.events.filter((e) => e.t > exit)).toEqual([]);
    // The wall clock, by contrast, moves with them.
    expect(measurePass(shifted, []).stages).not.toEqual(measurePass(trace, []).stages);
  });

  it('leaves the boot unplaced, rather than guessed, when the TSC record is missing', () => {
    const without: BootTrace = { ...trace, lines: trace.lines.filter((l) => !l.text.includes('tsc-ready')) };
    const stages = measurePass(without, [], undefined, virtual).stages.map((s) => s.name);
    expect(stages).not.toContain('firmware');
    expect(stages).not.toContain('total');
  });
});

describe('the TSC reader the agent runs (src/agent/tsc.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'boot-budget-tsc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a static x86-64 program that prints its argument and the TSC in one line (runs on this host too)', () => {
    const file = join(dir, 'tsc');
    writeFileSync(file, tscProgram());
    chmodSync(file, 0o755);
    const first = execFileSync(file, ['<6>boot-budget:tsc-ready '], { encoding: 'utf8' });
    const second = execFileSync(file, ['x '], { encoding: 'utf8' });
    expect(first).toMatch(/^<6>boot-budget:tsc-ready \d+\n$/);
    expect(second).toMatch(/^x \d+\n$/);
    expect(BigInt(second.slice(2, -1))).toBeGreaterThan(BigInt(first.split(' ')[1]!.trim()));
    expect(execFileSync(file, [], { encoding: 'utf8' })).toMatch(/^\d+\n$/);
  });

  it('is called by the agent only when the host asked for the virtual clock', () => {
    const script = agentScript([]);
    expect(script).toContain(
      `case "$BOOT_BUDGET_CLOCK" in virtual) ${TSC_PATH} '<6>boot-budget:tsc-ready ' > /dev/kmsg;; esac`,
    );
    const lines = script.split('\n');
    const ready = lines.findIndex((l) => l.includes("'<6>boot-budget:ready'"));
    const tsc = lines.findIndex((l) => l.includes('tsc-ready'));
    const dumpEnd = lines.findIndex((l) => l.includes('dmesg-end'));
    const tscEnd = lines.findIndex((l) => l.includes('tsc-end'));
    expect(tsc).toBe(ready + 2);
    expect(tscEnd).toBeGreaterThan(dumpEnd);
  });
});

describe('QEMU under the virtual clock', () => {
  const request = {
    kernel: '/k',
    cmdline: 'console=ttyS0 quiet',
    cpus: 1,
    memoryMiB: 256,
    machine: 'pc' as const,
    accel: 'tcg' as const,
  };

  it('adds icount, a VM-clock RTC with a fixed date, and tells the agent', () => {
    const command = qemuBackend.command('qemu', { ...request, clock: 'virtual' });
    expect(command.args.join(' ')).toContain(
      '-icount shift=0,sleep=off,align=off -rtc clock=vm,base=2020-01-01T00:00:00',
    );
    expect(command.cmdline).toMatch(/ BOOT_BUDGET_CLOCK=virtual$/);
    expect(icountArgs()).toEqual([
      '-icount',
      'shift=0,sleep=off,align=off',
      '-rtc',
      'clock=vm,base=2020-01-01T00:00:00',
    ]);
  });

  it('leaves the wall clock’s command line alone', () => {
    const command = qemuBackend.command('qemu', request);
    expect(command.args).not.toContain('-icount');
    expect(command.cmdline).not.toContain('BOOT_BUDGET_CLOCK');
  });
});
