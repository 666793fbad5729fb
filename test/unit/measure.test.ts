import { describe, expect, it } from 'vitest';
import { Marker } from '../../src/agent/protocol.js';
import { advanceLiveStage, PANIC_PATTERN } from '../../src/boot/live-stage.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { largestGap } from '../../src/measure/stages.js';
import { loadBootFixture } from '../helpers/fixtures.js';

const stageOf = (m: ReturnType<typeof measurePass>, name: string) => {
  const stage = m.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`stage ${name} missing`);
  return stage;
};

describe('a quiet boot with a 1 s workload (cloud-quiet-sleep1)', () => {
  const { trace } = loadBootFixture('cloud-quiet-sleep1');
  // The shipped measure step, fed line by line as a live pass feeds it.
  const m = measurePass(trace, []);

  it('gives the stage times worked out by hand from the raw lines', () => {
    // The fixture's raw lines, host ms since spawn:
    //   line 0    t=2333.553651 "boot-budget:init"              log copy: line 346 "<14>[    1.705542] boot-budget:init"
    //   line 1    t=3349.355785 "boot-budget:ready"             log copy: line 350 "<14>[    2.722154] boot-budget:ready"
    //   line 340  (dump) "<6>[    1.609354] Run /init as init process"
    //   line 351  t=3471.943895 "boot-budget:dmesg-end"
    //   line 352  t=3497.04186  "[    2.870406] reboot: Restarting system" (console only, with its own stamp)
    //   exitT     3507.814213
    // Kernel clock zero is the smallest console-minus-guest difference over the records boot-budget wrote to both
    // sides: init 2333.553651 - 1705.542 = 628.011651, ready 3349.355785 - 2722.154 = 627.201785 -> 627.201785. The
    // kernel's own reboot line (3497.04186 - 2870.406 = 626.63586) is not paired: a printk line may reach the console
    // late, and on a systemd image such lines were 862 ms late.
    const expected: Record<string, [number, number]> = {
      firmware: [0, 627.201785],
      kernel: [627.201785, 627.201785 + 1609.354], // to "Run /init": 2236.555785
      userspace: [2236.555785, 3349.355785], // to the ready marker on the console
      shutdown: [3471.943895, 3507.814213], // from the dump's end to the hypervisor's exit
      total: [0, 3349.355785],
    };
    expect(m.alignment!.kernelZeroT).toBeCloseTo(627.201785, 5);
    expect(m.stages.map((s) => s.name)).toEqual(Object.keys(expected));
    for (const [name, [startT, endT]] of Object.entries(expected)) {
      const stage = stageOf(m, name);
      expect(stage.startT, name).toBeCloseTo(startT, 5);
      expect(stage.endT, name).toBeCloseTo(endT, 5);
      expect(stage.ms, name).toBeCloseTo(endT - startT, 5);
    }
    // No run line in this capture (it predates them): the span is the whole workload, init to ready.
    expect(stageOf(m, 'userspace').span).toMatchObject({ from: Marker.init, to: Marker.ready });
    expect(stageOf(m, 'userspace').span!.ms).toBeCloseTo(3349.355785 - 2333.553651, 5);
  });

  it('pins kernel clock zero with the markers seen on both sides', () => {
    const { alignment } = m;
    expect(alignment).not.toBeNull();
    // With `quiet`, the console carries the agent's init and ready markers, plus the kernel's own
    // "reboot: Restarting system", which is printed at a level `quiet` does not hide. Only boot-budget's own markers
    // pair: a printk line may reach the console long after it was logged.
    expect(alignment!.pairs).toBe(2);
    const readyOnConsole = trace.lines.find((l) => l.text === Marker.ready)!;
    const readyInLog = trace.lines.find((l) => l.text.endsWith(`] ${Marker.ready}`))!;
    const guestMs = Number(/\[\s*([\d.]+)\]/.exec(readyInLog.text)![1]) * 1000;
    // The console copy can only arrive after the log record was stamped.
    expect(alignment!.kernelZeroT).toBeLessThanOrEqual(readyOnConsole.t - guestMs + 1e-9);
    expect(alignment!.kernelZeroT).toBeGreaterThan(0);
  });

  it('keeps the events stages need, on the host timeline, in order', () => {
    for (let i = 1; i < m.events.length; i++) expect(m.events[i]!.t).toBeGreaterThanOrEqual(m.events[i - 1]!.t);
    // A kernel record is placed at kernel clock zero plus its own stamp.
    const handover = m.events.find((e) => e.text === 'Run /init as init process')!;
    expect(handover).toMatchObject({ source: 'kmsg', origin: 'kernel' });
    expect(handover.guestT).toBeCloseTo(1609.354, 6);
    expect(handover.t).toBeCloseTo(m.alignment!.kernelZeroT + 1609.354, 6);
    // The rest of the kernel's records are summarised in runs, not kept one by one.
    expect(m.events.filter((e) => e.source === 'kmsg').length).toBeLessThan(20);
  });

  it('splits the boot into the built-in stages, in order, adding up to total', () => {
    expect(m.stages.map((s) => s.name)).toEqual(['firmware', 'kernel', 'userspace', 'shutdown', 'total']);
    const [firmware, kernel, userspace, total] = ['firmware', 'kernel', 'userspace', 'total'].map((n) => stageOf(m, n));
    expect(firmware!.startT).toBe(0);
    expect(kernel!.startT).toBe(firmware!.endT);
    expect(userspace!.startT).toBe(kernel!.endT);
    expect(total!.endT).toBe(userspace!.endT);
    expect(firmware!.ms + kernel!.ms + userspace!.ms).toBeCloseTo(total!.ms, 6);
    for (const s of m.stages) expect(s.ms).toBeGreaterThan(0);
  });

  it('ends the kernel stage at "Run /init as init process"', () => {
    const kernel = stageOf(m, 'kernel');
    const handover = m.events.find((e) => e.t === kernel.endT)!;
    expect(handover.text).toBe('Run /init as init process');
  });

  it('names the workload as the offending span of userspace', () => {
    const span = stageOf(m, 'userspace').span!;
    expect(span.from).toBe(Marker.init);
    expect(span.to).toBe(Marker.ready);
    expect(span.ms).toBeGreaterThanOrEqual(950);
  });

  it("does not let the kernel's deferred log records split a userspace gap", () => {
    // This boot logged "tsc: Refined TSC clocksource calibration" in the middle of the sleep.
    // Its host time, by hand: kernel clock zero plus its stamp of 2035.925 ms; userspace's span still runs across it.
    const userspace = stageOf(m, 'userspace');
    expect(
      trace.lines.some((l) => l.text === '<6>[    2.035925] tsc: Refined TSC clocksource calibration: 2596.077 MHz'),
    ).toBe(true);
    const tscT = m.alignment!.kernelZeroT + 2035.925;
    expect(tscT).toBeGreaterThan(userspace.span!.fromT);
    expect(tscT).toBeLessThan(userspace.span!.toT);
    expect(userspace.span!.ms).toBeCloseTo(userspace.span!.toT - userspace.span!.fromT, 6);
  });

  it("tells the kernel's records from userspace's by their syslog facility", () => {
    const byText = (text: string) => m.events.find((e) => e.source === 'kmsg' && e.text === text);
    expect(byText('Run /init as init process')?.origin).toBe('kernel');
    // The agent's markers come from userspace; their log copies are dropped in favour of the console copies.
    expect(m.events.filter((e) => e.text === Marker.init)).toEqual([
      expect.objectContaining({ source: 'console', origin: 'user' }),
    ]);
  });

  it('starts shutdown after the log dump and ends it at the hypervisor exit', () => {
    const shutdown = stageOf(m, 'shutdown');
    expect(shutdown.startT).toBe(trace.lines.find((l) => l.text === Marker.dmesgEnd)!.t);
    expect(shutdown.endT).toBe(trace.exitT);
  });

  it('measures custom stages between regex matches', () => {
    const custom = measurePass(trace, [
      { name: 'workload', from: /^boot-budget:init$/, to: /^boot-budget:ready$/, pos: { line: 1, column: 1 } },
      { name: 'never', from: /no such line/, to: /nor this/, pos: { line: 1, column: 1 } },
    ]);
    const workload = stageOf(custom, 'workload');
    expect(workload.ms).toBeCloseTo(stageOf(m, 'userspace').span!.ms, 6);
    // Custom stages see every event, so the kernel's tsc record splits this one's gaps.
    expect(workload.span!.ms).toBeLessThan(workload.ms);
    expect(custom.stages.find((s) => s.name === 'never')).toBeUndefined();
  });
});

describe("today's shape: the agent's run-line markers, the FIFO console, qboot (cloud-run-line)", () => {
  const { captured, trace } = loadBootFixture('cloud-run-line');
  const m = measurePass(trace, []);

  it('was captured the way a run boots', () => {
    expect(captured.firmware).toBe('qboot');
    expect(captured.tool).toMatch(/FIFO/);
    expect(trace.argv).toEqual(expect.arrayContaining(['-bios', 'qboot.rom']));
    expect(captured.cmdline).toBe(trace.argv[trace.argv.indexOf('-append') + 1]);
  });

  it('names the run line itself, from its marker to ready, as the offending span of userspace', () => {
    const runLine = trace.lines.find((l) => l.text === 'boot-budget:run 1: sleep 1')!;
    const ready = trace.lines.find((l) => l.text === Marker.ready)!;
    const span = stageOf(m, 'userspace').span!;
    expect(span).toMatchObject({ from: 'boot-budget:run 1: sleep 1', to: Marker.ready });
    expect(span.ms).toBeCloseTo(ready.t - runLine.t, 6);
    expect(span.ms).toBeGreaterThanOrEqual(1000);
    expect(m.stages.map((s) => s.name)).toEqual(['firmware', 'kernel', 'userspace', 'shutdown', 'total']);
  });
});

describe('a boot without quiet (cloud-verbose)', () => {
  const { trace } = loadBootFixture('cloud-verbose');
  const measured = measurePass(trace, []);

  it("aligns on boot-budget's own markers only, not on the hundreds of printk lines that reached the console", () => {
    const printkOnConsole = trace.lines.filter((l) => /^\[\s*\d+\.\d+\]/.test(l.text)).length;
    expect(printkOnConsole).toBeGreaterThan(300);
    expect(measured.alignment!.pairs).toBe(2);
  });

  it('keeps one copy of each record that is both on the console and in the dump', () => {
    const texts = measured.events.filter((e) => e.source !== 'host').map((e) => `${e.guestT ?? ''}|${e.text}`);
    const duplicates = texts.filter((t, i) => texts.indexOf(t) !== i && !t.endsWith('|'));
    expect(duplicates).toEqual([]);
    expect(measured.events.filter((e) => e.text === 'Run /init as init process')).toHaveLength(1);
    expect(measured.events.filter((e) => e.text === Marker.ready)).toHaveLength(1);
  });

  it('still adds the stages up to total', () => {
    const m = measurePass(trace, []);
    const ms = (n: string) => m.stages.find((s) => s.name === n)!.ms;
    expect(ms('firmware') + ms('kernel') + ms('userspace')).toBeCloseTo(ms('total'), 6);
  });
});

describe('a boot that panics (cloud-panic)', () => {
  const { trace } = loadBootFixture('cloud-panic');

  it('was stopped at the panic line, not at a timeout', () => {
    expect(trace.outcome.kind).toBe('panic');
    expect(trace.lines.some((l) => PANIC_PATTERN.test(l.text))).toBe(true);
    expect(trace.reached).toBe('kernel');
  });

  it('yields no userspace or total stage', () => {
    const names = measurePass(trace, []).stages.map((s) => s.name);
    expect(names).not.toContain('userspace');
    expect(names).not.toContain('total');
  });
});

describe('live stage', () => {
  it('advances through the boot and never goes back', () => {
    let stage = advanceLiveStage('firmware', '[    0.000000] Linux version 6.1.0');
    expect(stage).toBe('kernel');
    stage = advanceLiveStage(stage, Marker.init);
    expect(stage).toBe('userspace');
    stage = advanceLiveStage(stage, '[    0.5] late kernel line');
    expect(stage).toBe('userspace');
    stage = advanceLiveStage(stage, 'login:', /login:/);
    expect(stage).toBe('ready');
    expect(advanceLiveStage(stage, Marker.dmesgBegin)).toBe('shutdown');
  });
});

describe('largestGap', () => {
  it('counts the stage edges as events', () => {
    const events = [
      { t: 5, text: 'a', source: 'console' as const, origin: 'user' as const },
      { t: 7, text: 'b', source: 'console' as const, origin: 'user' as const },
    ];
    expect(largestGap(events, 0, 20, ['start', 'end'])).toMatchObject({ from: 'b', to: 'end', ms: 13 });
    expect(largestGap([], 3, 4, ['start', 'end'])).toMatchObject({ from: 'start', to: 'end', ms: 1 });
  });
});

describe('span edges', () => {
  it('are the anchor lines themselves, so a span never names a placeholder when a real line bounds it', () => {
    const { trace } = loadBootFixture('cloud-verbose');
    const userspace = measurePass(trace, []).stages.find((s) => s.name === 'userspace')!;
    // No run lines: userspace is just the agent starting, from the kernel's hand-over to the init marker.
    expect(userspace.span).toMatchObject({ from: 'Run /init as init process', to: Marker.init });
  });
});

describe('a guest that was killed instead of exiting', () => {
  it('gets no shutdown stage', () => {
    const { trace } = loadBootFixture('cloud-quiet-sleep1');
    const killed = { ...trace, outcome: { kind: 'timeout' as const, afterMs: 10_000 } };
    expect(measurePass(killed, []).stages.map((s) => s.name)).toEqual(['firmware', 'kernel', 'userspace', 'total']);
  });
});
