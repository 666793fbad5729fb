import { describe, expect, it } from 'vitest';
import { Marker } from '../../src/agent/protocol.js';
import { advanceLiveStage, PANIC_PATTERN } from '../../src/boot/live-stage.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { largestGap } from '../../src/measure/stages.js';
import { loadBootFixture, passContextOf } from '../helpers/fixtures.js';

const stageOf = (m: ReturnType<typeof measurePass>, name: string) => {
  const stage = m.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`stage ${name} missing`);
  return stage;
};

describe('a quiet boot with a 1 s run line (cloud-quiet-sleep1)', () => {
  const { captured, trace } = loadBootFixture('cloud-quiet-sleep1');
  // The shipped measure step, fed line by line as a live pass feeds it.
  const m = measurePass(trace, []);

  it('was captured the way a run boots: qboot, the FIFO console, the agent with its run-line marker', () => {
    expect(captured.firmware).toBe('qboot');
    expect(captured.tool).toMatch(/FIFO/);
    expect(trace.argv).toEqual(expect.arrayContaining(['-bios', 'qboot.rom']));
    expect(captured.cmdline).toBe(trace.argv[trace.argv.indexOf('-append') + 1]);
    expect(trace.lines.map((l) => l.text)).toContain('boot-budget:run 1: sleep 1');
  });

  it('gives the stage times worked out by hand from the raw lines', () => {
    // The fixture's raw lines, host ms since spawn:
    //   line 0    t=4085.767127 "boot-budget:init"              log copy: line 353 "<14>[    2.954449] boot-budget:init"
    //   line 1    t=4087.270213 "boot-budget:run 1: sleep 1"    log copy: line 354 "<14>[    2.957712] boot-budget:run 1: sleep 1"
    //   line 2    t=5104.2959   "boot-budget:ready"             log copy: line 355 "<14>[    3.974468] boot-budget:ready"
    //   line 347  (dump) "<6>[    2.796812] Run /init as init process"
    //   line 356  t=5177.896953 "boot-budget:dmesg-end"
    //   line 357  t=5208.196747 "[    4.078868] reboot: Restarting system" (console only, with its own stamp)
    //   exitT     5214.919429
    // Kernel clock zero is the smallest console-minus-guest difference over the records boot-budget wrote to both
    // sides: init 4085.767127 - 2954.449 = 1131.318127, run 4087.270213 - 2957.712 = 1129.558213, ready
    // 5104.2959 - 3974.468 = 1129.8279 -> 1129.558213. The kernel's own reboot line (5208.196747 - 4078.868 =
    // 1129.328747) is not paired: a printk line may reach the console late (on a systemd image such lines were
    // 862 ms late), so only boot-budget's markers, written to the console right after the log, are trusted.
    const zero = 1129.558213;
    const expected: Record<string, [number, number]> = {
      firmware: [0, zero],
      kernel: [zero, zero + 2796.812], // to "Run /init": 3926.370213
      userspace: [zero + 2796.812, 5104.2959], // to the ready marker on the console
      shutdown: [5177.896953, 5214.919429], // from the dump's end to the hypervisor's exit
      total: [0, 5104.2959],
    };
    expect(m.alignment!.kernelZeroT).toBeCloseTo(zero, 5);
    expect(m.stages.map((s) => s.name)).toEqual(Object.keys(expected));
    for (const [name, [startT, endT]] of Object.entries(expected)) {
      const stage = stageOf(m, name);
      expect(stage.startT, name).toBeCloseTo(startT, 5);
      expect(stage.endT, name).toBeCloseTo(endT, 5);
      expect(stage.ms, name).toBeCloseTo(endT - startT, 5);
    }
    // The run line itself, from its marker to ready, is the offending span of userspace.
    expect(stageOf(m, 'userspace').span).toMatchObject({ from: 'boot-budget:run 1: sleep 1', to: Marker.ready });
    expect(stageOf(m, 'userspace').span!.ms).toBeCloseTo(5104.2959 - 4087.270213, 5);
  });

  it('pins kernel clock zero with the markers seen on both sides', () => {
    const { alignment } = m;
    expect(alignment).not.toBeNull();
    // With `quiet`, the console carries the agent's init, run-line and ready markers, plus the kernel's own
    // "reboot: Restarting system", which is printed at a level `quiet` does not hide. Only boot-budget's own markers
    // pair: a printk line may reach the console long after it was logged.
    expect(alignment!.pairs).toBe(3);
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
    expect(handover.guestT).toBeCloseTo(2796.812, 6);
    expect(handover.t).toBeCloseTo(m.alignment!.kernelZeroT + 2796.812, 6);
    // The rest of the kernel's records are summarised in runs, not kept one by one. Kept are the hand-over, records
    // hints and stages look for, and the early records stamped before one logged ahead of them (sched_clock changes
    // source at TSC calibration), which a run cannot hold: 21 of this boot's 340 kernel records.
    const kernelRecords = trace.lines.filter((l) => /^<[0-7]>\[/.test(l.text)).length;
    expect(kernelRecords).toBeGreaterThan(300);
    expect(m.events.filter((e) => e.source === 'kmsg').length).toBeLessThan(kernelRecords / 10);
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
    // By hand: init on the console at 4085.767127, ready at 5104.2959.
    expect(workload.ms).toBeCloseTo(5104.2959 - 4085.767127, 6);
    // The run-line marker splits it: the span is the line itself.
    expect(workload.span).toMatchObject({ from: 'boot-budget:run 1: sleep 1', to: Marker.ready });
    expect(custom.stages.find((s) => s.name === 'never')).toBeUndefined();
  });
});

describe('a kernel record logged while a run line waits (cloud-entropy-wait)', () => {
  const { trace } = loadBootFixture('cloud-entropy-wait');
  const m = measurePass(trace, []);

  it("does not let the kernel's record split userspace's gap, though a custom stage's sees it", () => {
    // "<5>[    4.035948] random: crng init done" was logged while `head -c 1 /dev/random` blocked, between the run
    // marker (console t=4100.660932) and ready (console t=5191.306279).
    expect(trace.lines.some((l) => l.text === '<5>[    4.035948] random: crng init done')).toBe(true);
    const crngT = m.alignment!.kernelZeroT + 4035.948;
    const userspace = stageOf(m, 'userspace');
    expect(userspace.span).toMatchObject({ from: 'boot-budget:run 1: head -c 1 /dev/random > /dev/null' });
    expect(crngT).toBeGreaterThan(userspace.span!.fromT);
    expect(crngT).toBeLessThan(userspace.span!.toT);
    expect(userspace.span!.ms).toBeCloseTo(5191.306279 - 4100.660932, 6);
    // A custom stage over the same lines sees every event, so the kernel's record splits its gaps.
    const custom = measurePass(trace, [
      { name: 'wait', from: /^boot-budget:run 1:/, to: /^boot-budget:ready$/, pos: { line: 1, column: 1 } },
    ]);
    const wait = stageOf(custom, 'wait');
    expect(wait.ms).toBeCloseTo(5191.306279 - 4100.660932, 6);
    expect(wait.span!.ms).toBeLessThan(wait.ms);
    expect([wait.span!.from, wait.span!.to]).toContain('random: crng init done');
  });
});

describe("the kernel's clock restarting on the TSC (cloud-initcalls-pc-tuned)", () => {
  it('keeps the log order: a gap starts at the last record logged before it, whatever the stamps say', () => {
    const { trace } = loadBootFixture('cloud-initcalls-pc-tuned');
    const texts = trace.lines.map((l) => l.text);
    // Raw lines 113, 133, 134: "tsc: Detected" is stamped 0.056000, the records after it restart near zero (the
    // last, "x86/fpu: Enabled …", at 0.038612), then "Freeing SMP alternatives memory" at 0.515335.
    const detected = texts.findIndex((t) => t.includes('] tsc: Detected 2100.024 MHz processor'));
    const enabled = texts.findIndex((t) => t.includes('] x86/fpu: Enabled xstate features 0x21f'));
    const freeing = texts.findIndex((t) => t.includes('] Freeing SMP alternatives memory: 36K'));
    expect([detected, enabled, freeing]).toEqual([113, 133, 134]);
    const kernel = measurePass(trace, []).stages.find((s) => s.name === 'kernel')!;
    // x86/fpu is placed at the latest stamp before it (0.056000), never ahead of what was logged before it.
    expect(kernel.span).toMatchObject({
      from: expect.stringMatching(/^x86\/fpu: Enabled/),
      to: 'Freeing SMP alternatives memory: 36K',
    });
    expect(kernel.span!.ms).toBeCloseTo(515.335 - 56.0, 3);
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

describe('the kernel writing to a verbose console in the middle of the log dump (cloud-verbose-dump-interleaved)', () => {
  const { trace } = loadBootFixture('cloud-verbose-dump-interleaved');
  const measured = measurePass(trace, [], undefined, passContextOf(trace.argv));

  it('ends the kernel at "Run /init", not where the console line interleaved into the dump was stamped', () => {
    // The fixture's raw lines, host ms since spawn:
    //   line 336  t=3383.775133 "boot-budget:init"      log copy: line 688 "<14>[    2.567073] boot-budget:init"
    //   line 338  t=3385.262461 "boot-budget:ready"     log copy: line 689 "<14>[    2.568927] boot-budget:ready"
    //   line 500  t=3484.280587 "[    2.660245] clocksource: tsc: mask: …"  (no <priority>: the kernel's own console
    //             output, arriving between dump lines 499 and 502, logged after everything the dump holds)
    //   line 682  (dump) "<6>[    2.444730] Run /init as init process"
    // Kernel clock zero: min(3383.775133 - 2567.073, 3385.262461 - 2568.927) = 816.335461, so the kernel ends at
    // 816.335461 + 2444.730 = 3261.065461 and userspace runs from there to ready, 124.197 ms. Taking line 500 as a
    // dump record had every later record, "Run /init" among them, placed at its 2660.245 ms: past ready, so the
    // kernel ended at the init marker and userspace shrank to 1.49 ms.
    expect(trace.lines[500]!.text).toMatch(/^\[\s+2\.660245\] clocksource: tsc: mask:/);
    expect(measured.alignment!.kernelZeroT).toBeCloseTo(816.335461, 6);
    const stage = (name: string) => measured.stages.find((s) => s.name === name)!;
    expect(stage('kernel').endT).toBeCloseTo(3261.065461, 6);
    expect(stage('userspace').ms).toBeCloseTo(124.197, 3);
    // The interleaved record is still an event, at the time it reached the console.
    const interleaved = measured.events.find((e) => e.text.startsWith('clocksource: tsc: mask:'))!;
    expect(interleaved).toMatchObject({ source: 'console', guestT: 2660.245 });
    expect(interleaved.t).toBeCloseTo(3484.280587, 6);
  });

  it('cuts a console line glued onto a dump line back off it', () => {
    // Line 499: "<6>[    1.072390] thermal_sys: Registered thermal governor 'bang_bang'[    2.651609] tsc: Refined TSC
    // clocksource calibration: …". The record keeps its own text, so it still pairs with its console copy (one copy
    // of it, as for every record), and the tail is the kernel's console line, at the time it arrived.
    expect(trace.lines[499]!.text).toMatch(/'bang_bang'\[\s+2\.651609\] tsc: Refined TSC/);
    const keys = measured.events.filter((e) => e.source !== 'host').map((e) => `${e.guestT ?? ''}|${e.text}`);
    expect(keys.filter((k, i) => keys.indexOf(k) !== i && !k.endsWith('|'))).toEqual([]);
    expect(keys.filter((k) => k.includes("'bang_bang'["))).toEqual([]);
    const refined = measured.events.find((e) => e.text.startsWith('tsc: Refined TSC clocksource calibration'))!;
    expect(refined).toMatchObject({ source: 'console', guestT: 2651.609 });
    expect(refined.t).toBeCloseTo(trace.lines[499]!.t, 6);
    // The PCI hint sees the records in order again: its longest wait is the ACPI one every pc boot has.
    const pci = measured.hints.find((h) => h.id === 'pci-probe')!;
    expect(pci.evidence).toMatch(/longest wait, \d+ ms, was between "ACPI: Enabled 2 GPEs/);
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
