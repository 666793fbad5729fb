/**
 * Hints: known causes of slow boots, as data (docs/architecture.md#add-a-hint). Each row says which stage it explains, what to look for
 * (a pattern over the pass's events, initcalls, `run:` lines, systemd units, console output or the stage itself), how
 * much of it counts, and what to try. `evaluateHints` is the one interpreter of the table.
 */
import { Marker } from '../agent/protocol.js';
import type { Firmware, Machine } from '../scenario/types.js';
import type { ConsoleCost } from './console-cost.js';
import { initcallLabel, type Initcall } from './initcalls.js';
import type { UnitSpan } from './systemd/startup.js';
import { UNIT_HINTS } from './systemd/unit-hints.js';
import type { BootEvent, StageTiming } from './types.js';

export type HintPattern =
  /** Initcalls whose name matches; their time adds up (or, with `single`, only the slowest counts). */
  | { kind: 'initcall'; name: RegExp; single?: boolean }
  /** Gaps between consecutive events of the stage that end at an event matching `edge` (and, with `within`, start
   *  at one too, so only time between two such records counts); their time adds up. */
  | { kind: 'gap'; edge: RegExp; within?: boolean }
  /** The time from the last userspace event before the first event matching `text` to that event: userspace went
   *  quiet until the kernel logged it, so it was waiting for it. Kernel records in between do not end the wait. */
  | { kind: 'wait-for'; text: RegExp }
  /** `run:` lines matching `line`, each from its start to the next run line or the ready marker. */
  | { kind: 'run'; line: RegExp }
  /** A systemd image's units matching `unit`, by their time to start; with `waiting`, only units still queued (a job
   *  not yet run) at ready, each counting from the start of userspace. */
  | { kind: 'unit'; unit: RegExp; waiting?: boolean }
  /** The kernel's output on the serial console during the stage. */
  | { kind: 'console' }
  /** A boot loader's menu countdown on the console: `text` captures the seconds it starts from; they count, up to the
   *  stage's length (the menu waits that long before it boots the default entry). */
  | { kind: 'countdown'; text: RegExp }
  /** The stage as a whole; with `lessCountdown`, less the boot loader's menu countdown (as `countdown` finds it). */
  | { kind: 'stage'; lessCountdown?: RegExp };

/** systemd-boot draws `Boot in N s.`; GRUB `…will be executed automatically in Ns.` The first group that took part
 *  holds the seconds. */
const LOADER_COUNTDOWN = /Boot in (\d+) s\.|executed automatically in (\d+)s/;

export interface HintRule {
  id: string;
  stage: string;
  /** Any of these; the costliest match is the evidence. */
  patterns: HintPattern[];
  /** The least that makes the hint worth showing: time, and share of the stage. */
  threshold: { minMs?: number; minShare?: number };
  /** Only on these machines / only when the kernel command line does not match. */
  when?: { machines?: Machine[]; cmdlineLacks?: RegExp; firmware?: Firmware[] };
  /** Why this costs time. */
  advice: string;
  /** What to change: kernel parameters, scenario keys or image config. */
  try: string;
}

/** One hint that applied to a pass. */
export interface Hint {
  id: string;
  stage: string;
  /** Time the pattern accounts for, in ms. */
  ms: number;
  /** ms as a share of the stage. */
  share: number;
  /** What was seen, in the boot's own words. */
  evidence: string;
  advice: string;
  try: string;
}

/** Thresholds were set from boots captured here (test/fixtures/boots): above what the advice removes, below what the
 *  unchanged boot shows. */
export const HINTS: readonly HintRule[] = [
  {
    id: 'i8042',
    stage: 'kernel',
    patterns: [
      { kind: 'initcall', name: /^i8042_init$/ },
      { kind: 'gap', edge: /^(i8042: |serio: i8042 )/, within: true },
    ],
    // A probe that finds the controller at once costs a few ms (3.5 ms for Debian's cloud kernel on pc here, 1.7 ms with
    // noaux) and flips around any lower threshold with noise; the pause worth a hint is the AUX wait, hundreds of ms.
    threshold: { minMs: 20 },
    advice:
      'The kernel probes the PS/2 controller (i8042). A VM has no keyboard to find, and where the AUX port is missing the probe waits for it (0.28 s in one Firecracker boot).',
    try: 'i8042.noaux i8042.nomux i8042.nopnp (or i8042.dumbkbd; or build without CONFIG_SERIO_I8042)',
  },
  {
    id: 'serial-console',
    stage: 'kernel',
    patterns: [{ kind: 'console' }],
    threshold: { minMs: 10 },
    when: { cmdlineLacks: /(^|\s)quiet(\s|$)/ },
    advice:
      'Without `quiet` the kernel writes every message to the serial console and waits for each byte. boot-budget reads the whole log from the buffer after ready, so the console output buys nothing. On a real 115200-baud UART each byte costs ~87 µs.',
    try: 'add quiet to cmdline',
  },
  {
    id: 'uart-probe',
    stage: 'kernel',
    patterns: [{ kind: 'initcall', name: /^serial8250_init$/ }],
    threshold: { minMs: 5 },
    // The probe of the one UART left still costs ~10 ms under TCG here (13 ms without the parameter): once the
    // parameter is set there is nothing more to advise.
    when: { cmdlineLacks: /(^|\s)8250\.nr_uarts=/ },
    advice:
      'The 8250 driver registers and probes every legacy UART it is configured for (16550A detection), not just the console.',
    try: '8250.nr_uarts=1',
  },
  {
    id: 'hwclock',
    stage: 'userspace',
    patterns: [
      { kind: 'run', line: /\bhwclock\b/ },
      { kind: 'unit', unit: /hwclock/ },
    ],
    threshold: { minMs: 5 },
    advice:
      'hwclock reads the emulated RTC (util-linux waits for the next second edge). A VM gets its time from kvm-clock already.',
    try: 'drop hwclock from init (or mask hwclock.service)',
  },
  {
    id: 'udev-settle',
    stage: 'userspace',
    patterns: [
      { kind: 'run', line: /\budevadm\s+settle\b/ },
      { kind: 'unit', unit: /^systemd-udev-settle\.service$/ },
    ],
    threshold: { minMs: 20 },
    advice: '`udevadm settle` waits until udev has processed every queued event, including devices nothing waits for.',
    try: 'wait for the one device you need (e.g. udevadm wait /dev/vda) instead of settle; mask systemd-udev-settle.service',
  },
  {
    id: 'crypto-self-tests',
    stage: 'kernel',
    patterns: [{ kind: 'initcall', name: /^(crypto_algapi_init|cryptomgr_init)$/ }],
    threshold: { minMs: 20 },
    when: { cmdlineLacks: /(^|\s)cryptomgr\.notests(\s|=|$)/ },
    advice:
      'The crypto manager self-tests every algorithm the kernel registered; on 6.1 they run in crypto_algapi_init.',
    try: 'cryptomgr.notests (or CONFIG_CRYPTO_MANAGER_DISABLE_TESTS=y)',
  },
  {
    id: 'entropy-wait',
    stage: 'userspace',
    patterns: [{ kind: 'wait-for', text: /^random: crng init done/ }],
    threshold: { minMs: 50 },
    advice:
      'Userspace blocked on the random number generator until the kernel credited enough entropy (crng init done came late).',
    try: 'random.trust_cpu=on, or give the guest a virtio-rng device, or do not read /dev/random (getrandom without GRND_NONBLOCK) during boot',
  },
  {
    id: 'seabios',
    stage: 'firmware',
    patterns: [{ kind: 'stage' }],
    threshold: { minMs: 150 },
    // With `firmware: qboot` there is no SeaBIOS to blame; what is left is VMM setup and decompression.
    when: { machines: ['pc', 'q35'], firmware: ['default'] },
    advice:
      'firmware covers QEMU setup, the firmware and kernel decompression. On pc and q35 the firmware is SeaBIOS, which initialises and scans PCI devices and option ROMs before it loads the kernel; qboot skips that. Under TCG, decompression dominates (an LZ4 kernel decompresses several times faster than a gzip or XZ one).',
    try: 'machine: microvm (qboot firmware), or QEMU -bios /usr/share/qemu/qboot.rom',
  },
  {
    id: 'loader-menu-timeout',
    stage: 'loader',
    patterns: [{ kind: 'countdown', text: LOADER_COUNTDOWN }],
    threshold: { minMs: 500 },
    advice:
      'The boot loader showed its menu and waited for a key before booting the default entry. On a VM nobody presses one, so the whole timeout is lost on every boot.',
    try: 'systemd-boot: `timeout 0` in loader/loader.conf (menu-timeout: 0 in a disk-image); GRUB: GRUB_TIMEOUT=0 (and GRUB_TIMEOUT_STYLE=hidden) in /etc/default/grub, then update-grub',
  },
  {
    id: 'ovmf-before-bds',
    stage: 'firmware',
    patterns: [{ kind: 'stage' }],
    // Measured here under TCG: OVMF's BdsDxe lines at 3.9 s after spawn on an idle machine; SeaBIOS hands over in ~0.2 s.
    threshold: { minMs: 1000 },
    when: { firmware: ['uefi'] },
    advice:
      "OVMF runs its SEC, PEI and DXE phases (every driver, PCI enumeration, NVRAM variables) before BDS starts the boot loader; under TCG that takes seconds, several times SeaBIOS's time.",
    try: 'firmware: bios (SeaBIOS) when the image can boot legacy; or boot the kernel directly (boot: kernel, with qboot) when the firmware is not what you are measuring',
  },
  {
    id: 'efi-stub-decompression',
    stage: 'loader',
    // The menu's countdown is loader-menu-timeout's to explain, so it is left out here.
    patterns: [{ kind: 'stage', lessCountdown: LOADER_COUNTDOWN }],
    // Decompressing the 14 MB cloud kernel took 0.6–1.2 s under TCG here (with -kernel, where it falls in firmware);
    // through systemd-boot with no menu the loader stage took 1.45 s on an idle machine.
    threshold: { minMs: 1000 },
    when: { firmware: ['uefi'] },
    advice:
      "The loader stage holds reading the kernel and initrd through the firmware's block drivers and the EFI stub decompressing the kernel (0.6–1.2 s for a 14 MB gzip/XZ kernel under TCG here). A compressed bzImage is small to read but slow to unpack.",
    try: 'an LZ4 kernel (CONFIG_KERNEL_LZ4, ~4x faster to decompress than XZ here), a smaller initrd, or a unified kernel image so the loader reads one file',
  },
  {
    id: 'pci-probe',
    stage: 'kernel',
    patterns: [{ kind: 'gap', edge: /^(pci |pci_bus |PCI: |ACPI: PCI)/ }],
    threshold: { minMs: 10 },
    when: { machines: ['pc', 'q35'] },
    advice:
      'The kernel enumerates the emulated PCI bus of pc/q35 and applies quirks to each device; microvm has no PCI bus to scan.',
    try: 'machine: microvm (devices on virtio-mmio)',
  },
  {
    id: 'dominant-initcall',
    stage: 'kernel',
    patterns: [{ kind: 'initcall', name: /./, single: true }],
    threshold: { minShare: 0.1 },
    advice: 'One initcall takes at least a tenth of the kernel stage.',
    try: 'initcall_blacklist=<name> if the guest does not need it, or build the kernel without its CONFIG option',
  },
  ...UNIT_HINTS,
];

/** What the hints can look at, for one pass. */
export interface HintContext {
  stages: readonly StageTiming[];
  events: readonly BootEvent[];
  initcalls: readonly Initcall[];
  units: readonly UnitSpan[];
  /** Kernel console output per stage name. */
  console: ReadonlyMap<string, ConsoleCost>;
  machine?: Machine;
  cmdline?: string;
  firmware?: Firmware;
  /**
   * `gap` pattern totals per stage name, for a caller whose `events` are not every record (the streaming step keeps
   * runs of kernel records only as summaries). When given, `gap` patterns are answered from it alone.
   */
  gaps?: ReadonlyMap<string, ReadonlyMap<GapPattern, GapAgg>>;
}

export type GapPattern = Extract<HintPattern, { kind: 'gap' }>;

/** What a `gap` pattern found in one stage: its matching gaps' total and the longest of them. */
export interface GapAgg {
  ms: number;
  count: number;
  worst: { from: string; to: string; ms: number } | null;
}

export const emptyGapAgg = (): GapAgg => ({ ms: 0, count: 0, worst: null });

/** Counts one matching gap, of `ms`, from the record `from` to the record `to`; of equal gaps the first stays worst. */
export function addGap(agg: GapAgg, from: string, to: string, ms: number): void {
  agg.ms += ms;
  agg.count++;
  if (!agg.worst || ms > agg.worst.ms) agg.worst = { from, to, ms };
}

export interface Finding {
  ms: number;
  evidence: string;
}

const quote = (text: string) => `"${text.length > 70 ? `${text.slice(0, 69)}…` : text}"`;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);

function inStage(stage: StageTiming, t: number): boolean {
  return t >= stage.startT && t <= stage.endT;
}

function runSpans(stage: StageTiming, events: readonly BootEvent[]): Array<{ line: string; ms: number }> {
  const prefix = `${Marker.run} `;
  const ends = events.filter(
    (e) => inStage(stage, e.t) && (e.text.startsWith(prefix) || e.text.startsWith(Marker.ready)),
  );
  const spans: Array<{ line: string; ms: number }> = [];
  ends.forEach((event, i) => {
    const next = ends[i + 1];
    if (!event.text.startsWith(prefix)) return;
    spans.push({ line: event.text.slice(prefix.length), ms: (next?.t ?? stage.endT) - event.t });
  });
  return spans;
}

/** A boot loader's menu countdown in the stage: the seconds it starts from, and the time they account for. */
function findCountdown(
  text: RegExp,
  stage: StageTiming,
  events: readonly BootEvent[],
): { seconds: number; ms: number; said: string } | null {
  const event = events.find((e) => e.source === 'console' && inStage(stage, e.t) && text.test(e.text));
  const match = event ? text.exec(event.text) : null;
  const seconds = Number(match?.slice(1).find((group) => group !== undefined));
  if (!event || !match || !(seconds > 0)) return null;
  // The menu waits that long before it boots the default entry, but never past the stage's end.
  return { seconds, ms: Math.min(seconds * 1000, stage.endT - event.t), said: match[0] };
}

function evaluatePattern(pattern: HintPattern, stage: StageTiming, ctx: HintContext): Finding | null {
  switch (pattern.kind) {
    case 'initcall': {
      const calls = ctx.initcalls.filter((c) => inStage(stage, c.endT) && pattern.name.test(c.name));
      if (calls.length === 0) return null;
      const slowest = calls.reduce((a, b) => (b.ms > a.ms ? b : a));
      if (pattern.single)
        return { ms: slowest.ms, evidence: `initcall ${initcallLabel(slowest)} took ${fmt(slowest.ms)}` };
      const ms = calls.reduce((sum, c) => sum + c.ms, 0);
      const names = [...new Set(calls.map(initcallLabel))].join(', ');
      return { ms, evidence: `initcall${calls.length > 1 ? 's' : ''} ${names} took ${fmt(ms)}` };
    }
    case 'gap': {
      if (ctx.gaps) {
        const agg = ctx.gaps.get(stage.name)?.get(pattern);
        return agg ? gapFinding(agg) : null;
      }
      const events = ctx.events.filter((e) => inStage(stage, e.t));
      const agg = emptyGapAgg();
      for (let i = 1; i < events.length; i++) {
        const from = events[i - 1]!;
        const to = events[i]!;
        if (!pattern.edge.test(to.text) || (pattern.within && !pattern.edge.test(from.text))) continue;
        addGap(agg, from.text, to.text, to.t - from.t);
      }
      return gapFinding(agg);
    }
    case 'wait-for': {
      const i = ctx.events.findIndex((e) => inStage(stage, e.t) && pattern.text.test(e.text));
      if (i <= 0) return null;
      const event = ctx.events[i]!;
      const before = ctx.events
        .slice(0, i)
        .reverse()
        .find((e) => e.origin !== 'kernel')!;
      const fromT = Math.max(before.t, stage.startT);
      return {
        ms: event.t - fromT,
        evidence: `${quote(event.text)} came ${fmt(event.t - fromT)} after ${quote(before.text)}`,
      };
    }
    case 'countdown': {
      const countdown = findCountdown(pattern.text, stage, ctx.events);
      if (!countdown) return null;
      return {
        ms: countdown.ms,
        evidence: `the boot loader drew its menu and counted down from ${countdown.seconds} s (${quote(countdown.said)})`,
      };
    }
    case 'run': {
      const spans = runSpans(stage, ctx.events).filter((s) => pattern.line.test(s.line));
      if (spans.length === 0) return null;
      const ms = spans.reduce((sum, s) => sum + s.ms, 0);
      return { ms, evidence: spans.map((s) => `run line ${s.line} took ${fmt(s.ms)}`).join('; ') };
    }
    case 'unit': {
      const units = ctx.units.filter(
        (u) => pattern.unit.test(u.unit) && (u.waiting ?? false) === (pattern.waiting ?? false),
      );
      if (units.length === 0) return null;
      const ms = units.reduce((sum, u) => sum + u.ms, 0);
      const said = (u: UnitSpan) =>
        u.waiting ? `${u.unit} was still waiting at ready` : `${u.unit} took ${fmt(u.ms)} to start`;
      return { ms, evidence: units.map(said).join('; ') };
    }
    case 'console': {
      const cost = ctx.console.get(stage.name);
      if (!cost || cost.lines === 0 || cost.usPerByte === null) return null;
      return {
        ms: cost.ms,
        evidence: `${cost.lines} kernel lines (${cost.bytes} bytes) on the serial console at ${cost.usPerByte.toFixed(1)} µs per byte ≈ ${fmt(cost.ms)}`,
      };
    }
    case 'stage': {
      const took = `${stage.name} took ${fmt(stage.ms)} on machine ${ctx.machine ?? '?'}`;
      const countdown = pattern.lessCountdown ? findCountdown(pattern.lessCountdown, stage, ctx.events) : null;
      if (!countdown) return { ms: stage.ms, evidence: took };
      const ms = stage.ms - countdown.ms;
      return { ms, evidence: `${took}, ${fmt(ms)} of it besides the menu's ${countdown.seconds} s countdown` };
    }
  }
}

/** Every rule of `rules` that applies to the pass, per stage, costliest first. */
export function evaluateHints(ctx: HintContext, rules: readonly HintRule[] = HINTS): Hint[] {
  const hints: Hint[] = [];
  for (const rule of rules) {
    const stage = ctx.stages.find((s) => s.name === rule.stage);
    if (!stage || stage.ms <= 0) continue;
    if (rule.when?.machines && (!ctx.machine || !rule.when.machines.includes(ctx.machine))) continue;
    if (rule.when?.firmware && !rule.when.firmware.includes(ctx.firmware ?? 'default')) continue;
    if (rule.when?.cmdlineLacks && (ctx.cmdline === undefined || rule.when.cmdlineLacks.test(ctx.cmdline))) continue;
    let best: Finding | null = null;
    for (const pattern of rule.patterns) {
      const finding = evaluatePattern(pattern, stage, ctx);
      if (finding && (!best || finding.ms > best.ms)) best = finding;
    }
    const hint = hintFromFinding(rule, stage, best);
    if (hint) hints.push(hint);
  }
  return hints.sort((a, b) => b.ms - a.ms);
}

/** A `gap` pattern's finding, null when no gap matched; the same words whether the gaps were summed here or streamed. */
export function gapFinding(agg: GapAgg): Finding | null {
  const { ms, count, worst } = agg;
  if (!worst) return null;
  return {
    ms,
    evidence: `${count} record${count > 1 ? 's' : ''} took ${fmt(ms)} in all; the longest wait, ${fmt(worst.ms)}, was between ${quote(worst.from)} and ${quote(worst.to)}`,
  };
}

/** A rule's costliest finding becomes a hint when it clears the rule's threshold. */
function hintFromFinding(rule: HintRule, stage: StageTiming, best: Finding | null): Hint | null {
  if (!best) return null;
  const share = best.ms / stage.ms;
  if (rule.threshold.minMs !== undefined && best.ms < rule.threshold.minMs) return null;
  if (rule.threshold.minShare !== undefined && share < rule.threshold.minShare) return null;
  return {
    id: rule.id,
    stage: rule.stage,
    ms: best.ms,
    share,
    evidence: best.evidence,
    advice: rule.advice,
    try: rule.try,
  };
}
