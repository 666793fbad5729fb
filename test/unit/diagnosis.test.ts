import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Marker } from '../../src/agent/protocol.js';
import { agentScript, shellQuote } from '../../src/agent/script.js';
import { judgeStages } from '../../src/judge/budgets.js';
import { evaluateHints, HINTS, type HintContext } from '../../src/measure/hints.js';
import { InitcallPairer, parseInitcalls } from '../../src/measure/initcalls.js';
import { consoleCosts } from '../../src/measure/console-cost.js';
import { parsePrintk } from '../../src/measure/timeline.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { ALWAYS_LISTED_STAGES } from '../../src/scenario/builtin-stages.js';
import { withInitcallSpan } from '../../src/measure/stages.js';
import {
  parseBlameLine,
  parseStartupFinished,
  parseSystemdTimespan,
  reachedTarget,
} from '../../src/measure/systemd/startup.js';
import type { BootEvent, StageTiming } from '../../src/measure/types.js';
import { withInitcallDebug } from '../../src/boot/cmdline.js';
import { loadBootFixture, passContextOf } from '../helpers/fixtures.js';
import { UNIT_HINT_CASES } from '../helpers/unit-hint-cases.js';

/** Log text quoted from real boots (each file names its source), without the comment lines. */
function logLines(name: string): string[] {
  return readFileSync(join(import.meta.dirname, '..', 'fixtures', 'logs', name), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** A quoted kernel log as events on its own clock: enough for patterns that only need order and gaps. */
function eventsFromLog(lines: string[]): BootEvent[] {
  return lines.map((line) => {
    const m = /^\[\s*(\d+\.\d+)\] (.*)$/.exec(line);
    return m
      ? { t: Number(m[1]) * 1000, text: m[2]!, source: 'kmsg' as const, origin: 'kernel' as const }
      : { t: 0, text: line, source: 'kmsg' as const, origin: 'kernel' as const };
  });
}

const measured = new Map<string, ReturnType<typeof measurePass>>();
function measure(name: string) {
  if (!measured.has(name)) {
    const { trace } = loadBootFixture(name);
    measured.set(name, measurePass(trace, [], undefined, passContextOf(trace.argv)));
  }
  return measured.get(name)!;
}
const hintIds = (name: string) => measure(name).hints.map((h) => h.id);
const stage = (name: string, stageName: string) => measure(name).stages.find((s) => s.name === stageName)!;

describe('initcalls (initcall_debug, captured with quiet: read from the dumped log)', () => {
  const calls = measure('cloud-initcalls-pc').initcalls;

  it('pairs every calling/returned record of a real boot, names that repeat included', () => {
    expect(calls).toHaveLength(575);
    // xenbus_init, activate_jump_labels and blake2s_mod_init each run twice in this boot.
    expect(calls.filter((c) => c.name === 'blake2s_mod_init')).toHaveLength(2);
    for (const c of calls) expect(c.endT).toBeGreaterThanOrEqual(c.startT);
    // Drivers for hardware this VM lacks return -ENODEV; the status is kept, not mistaken for part of the name.
    expect(calls.find((c) => c.returned !== 0)?.returned).toBe(-19);
  });

  it('takes durations from the kernel and places them on the host timeline inside the kernel stage', () => {
    const crypto = calls.find((c) => c.name === 'crypto_algapi_init')!;
    // "initcall crypto_algapi_init+0x0/0x7e returned 0 after 339456 usecs"
    expect(crypto.ms).toBeCloseTo(339.456, 3);
    const kernel = stage('cloud-initcalls-pc', 'kernel');
    expect(crypto.startT).toBeGreaterThan(kernel.startT);
    expect(crypto.endT).toBeLessThan(kernel.endT);
    // The host-time difference of the two records agrees with the kernel's own count, within the log's µs rounding.
    expect(Math.abs(crypto.endT - crypto.startT - crypto.ms)).toBeLessThan(0.1);
  });

  it("starts each initcall at its own `calling` record, not at the end minus the kernel's count", () => {
    // Built-in initcalls are logged `calling  name` (two spaces), module ones `calling name [module]` (one).
    const records = loadBootFixture('cloud-initcalls-pc').trace.lines.flatMap((l) => parsePrintk(l.text) ?? []);
    const calling = records.find((r) => r.text.startsWith('calling  crypto_algapi_init+'))!;
    const pairer = new InitcallPairer();
    const paired = records.flatMap((r) => pairer.push(r.text, r.guestT) ?? []);
    const crypto = paired.find((c) => c.name === 'crypto_algapi_init')!;
    expect(crypto.startT).toBe(calling.guestT);
    expect(crypto.startT).not.toBe(crypto.endT - crypto.ms);
    const modulePair = new InitcallPairer();
    modulePair.push('calling af9033_driver_init+0x0/0x1000 [af9033] @ 512', 10);
    expect(
      modulePair.push('initcall af9033_driver_init+0x0/0x1000 [af9033] returned 0 after 47 usecs', 12),
    ).toMatchObject({ startT: 10, endT: 12, module: 'af9033' });
  });

  it('parses module initcalls with their [module] suffix', () => {
    const parsed = parseInitcalls(eventsFromLog(logLines('initcall-modules.txt')));
    expect(parsed.map((c) => [c.name, c.module, c.ms])).toEqual([
      ['ucsi_acpi_platform_driver_init', 'ucsi_acpi', 58690.601],
      ['af9033_driver_init', 'af9033', 0.047],
    ]);
  });

  it('reports the slowest initcalls and their share of kernel', () => {
    const pass = measure('cloud-initcalls-pc');
    const [firmware, kernel] = judgeStages([pass], ALWAYS_LISTED_STAGES, []);
    // Console initcalls run before the kernel clock starts, so they sit on kernel clock zero: kernel's, not firmware's.
    expect(firmware!.initcalls).toBeUndefined();
    expect(kernel!.initcalls!.length).toBe(10);
    // By hand from the log: crypto_algapi_init 339456 µs, init_kprobe_trace 198895 µs, acpi_init 148000 µs.
    expect(kernel!.initcalls!.slice(0, 3).map((c) => c.name)).toEqual([
      'crypto_algapi_init',
      'init_kprobe_trace',
      'acpi_init',
    ]);
    expect(kernel!.initcalls![0]!.share).toBeCloseTo(339.456 / kernel!.summary!.mean, 6);
  });

  it('makes an initcall of ≥ 10% of kernel the offending span when it beats the largest gap', () => {
    const pass = measure('cloud-initcalls-microvm');
    const kernel = pass.stages.find((s) => s.name === 'kernel')!;
    // Here nothing logged inside crypto_algapi_init, so the largest gap already is its calling → returned pair.
    expect(kernel.span).toMatchObject({ from: 'calling  crypto_algapi_init+0x0/0x7e @ 1' });
    // When records inside it split that gap (as self-test messages do), the initcall takes over as the span.
    const split = { ...kernel, span: { ...kernel.span!, ms: 120 } };
    expect(withInitcallSpan(split, pass.initcalls).span).toMatchObject({
      kind: 'initcall',
      from: 'calling crypto_algapi_init',
      ms: 405.583,
    });
    // The 10% rule on either side of the line, whatever share this boot (or a recapture of it) happens to give the
    // slowest initcall: only the stage's length is changed, its edges and the initcalls inside stay as captured.
    const pc = measure('cloud-initcalls-pc');
    const pcKernel = pc.stages.find((s) => s.name === 'kernel')!;
    const inside = pc.initcalls.filter((c) => c.startT >= pcKernel.startT && c.endT <= pcKernel.endT);
    const slowestMs = Math.max(...inside.map((c) => c.ms));
    const spanKindAtShare = (share: number) =>
      withInitcallSpan({ ...pcKernel, ms: slowestMs / share, span: { ...pcKernel.span!, ms: 1 } }, pc.initcalls).span
        ?.kind;
    expect(spanKindAtShare(0.101)).toBe('initcall');
    expect(spanKindAtShare(0.099)).toBeUndefined();
  });

  it('are switched on by `initcalls: true` without duplicating what the cmdline has', () => {
    expect(withInitcallDebug('console=ttyS0 quiet')).toBe('console=ttyS0 quiet initcall_debug log_buf_len=4M');
    expect(withInitcallDebug('quiet log_buf_len=8M')).toBe('quiet log_buf_len=8M initcall_debug');
  });
});

describe('systemd', () => {
  const lines = logLines('systemd-analyze.txt');

  it('parses systemd time spans, minutes included', () => {
    expect(parseSystemdTimespan('853ms')).toBe(853);
    expect(parseSystemdTimespan('1min 2.345s')).toBeCloseTo(62_345, 6);
    expect(parseSystemdTimespan('3min 346ms')).toBe(180_346);
    expect(parseSystemdTimespan('soon')).toBeNull();
  });

  it('parses real "Startup finished" lines with every phase', () => {
    const starts = lines.map(parseStartupFinished).filter((s) => s !== null);
    expect(starts).toHaveLength(4);
    expect(starts[0]).toEqual({ phases: { kernel: 1491, userspace: 65_947 }, totalMs: 67_439 });
    expect(starts[1]).toEqual({
      phases: { firmware: 12_824, loader: 3846, kernel: 798, initrd: 1862, userspace: 26_028 },
      totalMs: 45_361,
    });
    expect(starts[2]!.phases.userspace).toBe(214_953);
    expect(starts[2]!.totalMs).toBe(231_138);
    // The kmsg copy ends in a full stop and carries the printk prefix. systemd rounds each phase on its own, so the
    // phases add up to the total only to within a few ms.
    expect(starts[3]).toEqual({ phases: { kernel: 28_093, initrd: 30_641, userspace: 101_817 }, totalMs: 160_552 });
    const sum = (s: (typeof starts)[number]) => Object.values(s.phases).reduce((a, b) => a + b, 0);
    for (const s of starts) expect(Math.abs(sum(s) - s.totalMs)).toBeLessThanOrEqual(5);
  });

  it('parses real blame lines into per-unit spans', () => {
    const units = lines.map(parseBlameLine).filter((u) => u !== null);
    expect(units).toHaveLength(18 + 7 + 3);
    expect(units).toContainEqual({ unit: 'powerd.service', ms: 180_346 });
    expect(units).toContainEqual({ unit: 'dev-mapper-centos\\x2droot.device', ms: 484 });
    expect(parseBlameLine('graphical.target reached after 1min 5.569s in userspace')).toBeNull();
  });

  it('reads "Reached target" records from a real kernel log', () => {
    const targets = logLines('systemd-kmsg-siemens.txt')
      .map((l) => reachedTarget(l))
      .filter(Boolean);
    expect(targets).toEqual([
      'Local Integrity Protected Volumes',
      'Remote File Systems',
      'Slice Units',
      'Swaps',
      'Local Verity Protected Volumes',
    ]);
  });
});

describe('hints fire on real boots that show the pattern, and stay silent on boots that do not', () => {
  const cases: Array<[id: string, fires: string, silent: string]> = [
    ['uart-probe', 'cloud-initcalls-pc', 'cloud-initcalls-pc-tuned'],
    ['crypto-self-tests', 'cloud-initcalls-pc', 'cloud-initcalls-pc-tuned'],
    ['dominant-initcall', 'cloud-initcalls-microvm', 'cloud-initcalls-pc-tuned'],
    ['serial-console', 'cloud-verbose', 'cloud-quiet-sleep1'],
    ['hwclock', 'cloud-hwclock', 'cloud-entropy-wait'],
    ['entropy-wait', 'cloud-entropy-wait', 'cloud-hwclock'],
    ['seabios', 'cloud-initcalls-pc', 'cloud-initcalls-microvm'],
    ['pci-probe', 'cloud-initcalls-pc', 'cloud-initcalls-microvm'],
    ['loader-menu-timeout', 'uefi-systemd-boot-menu2', 'uefi-systemd-boot'],
    ['ovmf-before-bds', 'uefi-systemd-boot', 'cloud-initcalls-pc'],
    ['efi-stub-decompression', 'uefi-systemd-boot', 'cloud-initcalls-pc'],
  ];
  it.each(cases)('%s fires on %s and not on %s', (id, fires, silent) => {
    expect(hintIds(fires)).toContain(id);
    expect(hintIds(silent)).not.toContain(id);
  });

  it('every hint in the table is covered above or below', () => {
    // The systemd unit hints' cases live in test/helpers/unit-hint-cases.ts (run by unit-hints.test.ts).
    const covered = new Set([...cases.map(([id]) => id), ...UNIT_HINT_CASES.map(([id]) => id), 'udev-settle', 'i8042']);
    expect(HINTS.map((h) => h.id).filter((id) => !covered.has(id))).toEqual([]);
  });

  it('i8042 stays silent on a probe that finds the controller at once (a few ms on the cloud kernel)', () => {
    for (const fixture of ['cloud-initcalls-pc', 'cloud-initcalls-pc-tuned', 'cloud-initcalls-microvm'])
      expect(hintIds(fixture)).not.toContain('i8042');
  });

  it("leaves a boot loader's menu countdown to loader-menu-timeout, so no second hint claims the same time", () => {
    const loader = stage('uefi-systemd-boot-menu2', 'loader');
    const hints = measure('uefi-systemd-boot-menu2').hints.filter((h) => h.stage === 'loader');
    // The loader stage alone is over efi-stub-decompression's 1 s, but 2 s of it are the menu's countdown.
    expect(loader.ms).toBeGreaterThan(2000 + 100);
    expect(hints.map((h) => h.id)).toEqual(['loader-menu-timeout']);
    expect(hints[0]!.ms).toBe(2000);
  });

  it('never advises a kernel parameter the command line already has', () => {
    const tuned = passContextOf(loadBootFixture('cloud-initcalls-pc-tuned').trace.argv).cmdline!;
    expect(tuned).toContain('8250.nr_uarts=1');
    // The tuned boot's one UART still takes ~10 ms to probe, over uart-probe's threshold: only the cmdline rule
    // keeps the hint silent.
    const uart = measure('cloud-initcalls-pc-tuned').initcalls.find((c) => c.name === 'serial8250_init')!;
    expect(uart.ms).toBeGreaterThan(HINTS.find((h) => h.id === 'uart-probe')!.threshold.minMs!);
    expect(hintIds('cloud-initcalls-pc-tuned')).not.toContain('uart-probe');
  });

  it('names the measured cost and what to try', () => {
    const crypto = measure('cloud-initcalls-pc').hints.find((h) => h.id === 'crypto-self-tests')!;
    expect(crypto.evidence).toContain('crypto_algapi_init');
    expect(crypto.try).toContain('cryptomgr.notests');
    const hwclock = measure('cloud-hwclock').hints.find((h) => h.id === 'hwclock')!;
    expect(hwclock.evidence).toMatch(/run line 1: hwclock -s took \d+ ms/);
    const wait = measure('cloud-entropy-wait').hints.find((h) => h.id === 'entropy-wait')!;
    expect(wait.ms).toBeGreaterThan(900);
    expect(wait.evidence).toContain('head -c 1 /dev/random');
  });

  it('prices the serial console from the bytes it carried', () => {
    const verbose = measure('cloud-verbose');
    const cost = verbose.console['kernel']!;
    // Every printk line the console carried inside the kernel stage is priced, counted here by hand from the capture.
    const kernel = verbose.stages.find((s) => s.name === 'kernel')!;
    const printkLines = loadBootFixture('cloud-verbose').trace.lines.filter(
      (l) => /^\[\s*\d+\.\d+\]/.test(l.text) && l.t >= kernel.startT && l.t <= kernel.endT,
    );
    expect(printkLines.length).toBeGreaterThan(200);
    expect(cost.lines).toBe(printkLines.length);
    expect(cost.usPerByte).toBeGreaterThan(0);
    expect(verbose.hints.find((h) => h.id === 'serial-console')!.ms).toBeCloseTo(cost.ms, 6);
    expect(measure('cloud-quiet-sleep1').console['kernel']!.lines).toBe(0);
  });

  it('prices the console from windows that took time: a backlog read at once says nothing about the UART', () => {
    // The verbose fixture's own printk lines, re-stamped as a busy host reads them: forty at a time, each batch at
    // the first byte of its first line (seen in e2e runs under load, where the cost per byte came out as 0 µs).
    const lines = loadBootFixture('cloud-verbose')
      .trace.lines.filter((l) => /^\[\s*\d+\.\d+\]/.test(l.text))
      .slice(0, 200);
    const batched = lines.map((l, i) => ({ ...l, t: lines[i - (i % 40)]!.t }));
    const stage = [{ name: 'kernel', startT: 0, endT: Infinity }];
    const cost = consoleCosts(batched, stage)['kernel']!;
    expect(cost.usPerByte).toBeGreaterThan(0);
    // Every window of twenty that arrived at all took at least as long per byte as the unbatched console did.
    expect(cost.usPerByte!).toBeGreaterThanOrEqual(consoleCosts(lines, stage)['kernel']!.usPerByte!);
  });

  // Quoted logs: the patterns that cannot be reproduced here (the i8042 pause needs a kernel built without the
  // cloud kernel's PNP probing; udev needs a systemd image).
  const context = (events: BootEvent[], stages: StageTiming[], extra: Partial<HintContext> = {}): HintContext => ({
    stages,
    events,
    initcalls: [],
    units: [],
    console: new Map(),
    machine: 'microvm',
    cmdline: 'quiet',
    ...extra,
  });
  const kernelStage = (events: BootEvent[]): StageTiming => ({
    name: 'kernel',
    startT: 0,
    endT: events[events.length - 1]!.t,
    ms: events[events.length - 1]!.t,
    span: null,
  });

  it('i8042 fires on the 0.28 s AUX-port wait of a real Firecracker boot', () => {
    const events = eventsFromLog(logLines('i8042-firecracker.txt'));
    const hint = evaluateHints(context(events, [kernelStage(events)])).find((h) => h.id === 'i8042')!;
    expect(hint.ms).toBeCloseTo(282.056, 3);
    expect(hint.evidence).toContain('"i8042: If AUX port is really absent');
    expect(hint.evidence).toContain('"serio: i8042 KBD port at 0x60,0x64 irq 1"');
  });

  it('udev-settle fires on real blame output that has systemd-udev-settle.service, and not on one without it', () => {
    const blame = logLines('systemd-analyze.txt')
      .map(parseBlameLine)
      .filter((u) => u !== null);
    const userspace: StageTiming = { name: 'userspace', startT: 0, endT: 26_028, ms: 26_028, span: null };
    const centos = evaluateHints(
      context([], [userspace], {
        units: blame.filter((u) => /centos|kdump|bolt|fwupd|udev-settle|lvm2|NetworkManager-wait/.test(u.unit)),
      }),
    );
    expect(centos.find((h) => h.id === 'udev-settle')?.ms).toBe(563);
    const vm = evaluateHints(
      context([], [userspace], { units: blame.filter((u) => /reflector|pacman|cloud|vda2|udevd/.test(u.unit)) }),
    );
    expect(vm.map((h) => h.id)).not.toContain('udev-settle');
  });
});

describe('run-line markers', () => {
  it('are written to kmsg and then the console, just before each run line, so hints can name the line', () => {
    const lines = agentScript(['hwclock -s', 'printf a\nb']).split('\n');
    const marker = lines.indexOf(`echo ${shellQuote(`<6>${Marker.run} 1: hwclock -s`)} > /dev/kmsg`);
    expect(marker).toBeGreaterThan(0);
    // The console copy is stamped by the host, like the init and ready markers around it, so their order is true.
    expect(lines[marker + 1]).toBe(`echo ${shellQuote(`${Marker.run} 1: hwclock -s`)} > /dev/console`);
    expect(lines[marker + 2]).toContain(`sh -c ${shellQuote('hwclock -s')}`);
    // Only the first line of a multi-line entry becomes a marker.
    expect(lines).toContain(`echo ${shellQuote(`${Marker.run} 2: printf a`)} > /dev/console`);
    // The captured boot shows both copies; the measure step keeps the console's (stamped by the host as it arrived)
    // and drops the dumped log's, as it does for the init and ready markers.
    const { trace } = loadBootFixture('cloud-hwclock');
    expect(trace.lines.some((l) => /^<14>\[\s*[\d.]+\] boot-budget:run 1: hwclock -s$/.test(l.text))).toBe(true);
    expect(
      measure('cloud-hwclock')
        .events.filter((e) => e.text === `${Marker.run} 1: hwclock -s`)
        .map((e) => e.source),
    ).toEqual(['console']);
  });
});
