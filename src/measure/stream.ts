/**
 * The measure step, fed one console line at a time as the pass runner splits them off, in memory that stays flat
 * however long the kernel log is (docs/architecture.md#clock-alignment). Rather than placing every log record on the
 * timeline, it keeps only what stages, spans and hints can need:
 *
 * - the console lines outside the log dump (the console of a `quiet` boot is a few lines; the dump is the bulk);
 * - from the dump, in full, the records something looks for by text: userspace records (agent markers, `run:`
 *   lines), where the kernel hands over to init, custom stage edges, hint `wait-for` texts, records out of time order
 *   and records whose text also appeared on the console. A log is bounded by the guest's log buffer, so these are too;
 * - every other kernel record only as part of a *run*: its first and last record, its largest gap between two
 *   consecutive records, and per hint `gap` pattern the time and worst gap ending at matching records. Gaps between
 *   log records do not depend on where kernel clock zero lands on the host timeline, so a run can be summarised before
 *   the alignment is known (the dump ends with the markers that fix it);
 * - initcalls, parsed as they go by; past INITCALL_CAP only the slowest are kept.
 *
 * Console lines outside the dump are kept up to the console limit, the first ones and the last ones (HeadTail), so a
 * guest that floods its console costs bounded memory; the dump is never cut, since runs summarise it.
 *
 * The result equals the simple whole-trace implementation's (test/helpers/measure-oracle.ts) on every captured boot
 * in test/fixtures/boots (test/unit/stream-measure.test.ts) except `events` (the kept records, not all of them) and,
 * past the cap, `initcalls`. It can differ when a console line that is not also in the log lands inside a run of
 * kernel records (a verbose console whose log buffer wrapped): the run is then treated as one piece.
 *
 * It stays one file over the usual ~400 lines: `push` (what to keep of each line) and `finish` (stages and spans from
 * what was kept) are two halves of one contract about what a run summary holds, and each change to one has needed
 * the other; the parsing, alignment, stage and hint rules it calls live in their own files.
 */
import { Marker, MARKER_PREFIX } from '../agent/protocol.js';
import { CONSOLE_LINE_OVERHEAD_BYTES, consoleLimitBytes, HeadTail } from '../boot/console.js';
import type { ConsoleLine, DoorbellMark, PassOutcome } from '../boot/types.js';
import type { StageDef } from '../scenario/types.js';
import { consoleCosts } from './console-cost.js';
import { addGap, emptyGapAgg, evaluateHints, HINTS, type GapAgg, type GapPattern, type HintRule } from './hints.js';
import { InitcallPairer, type Initcall } from './initcalls.js';
import { computeStages, KERNEL_END_PATTERNS, withInitcallSpan, type StageBounds } from './stages.js';
import { parseStartupFinished } from './systemd/startup.js';
import { parseSystemdDump } from './systemd/show-output.js';
import type { SystemdResult } from './systemd/unit-times.js';
import { systemdView, unitSpans, withUnitSpan } from './systemd/units.js';
import { alignClocks, EMBEDDED_PRINTK, readPrintk, type PrintkRecord, type Timeline } from './timeline.js';
import type { BootEvent, ClockAlignment, PassContext, PassMeasurement, Span } from './types.js';
import { VirtualClockReadings } from './virtual-clock.js';

/**
 * A copy of a string that is kept: a line sliced out of a decoded chunk is a view of the whole chunk in V8, so keeping
 * a few lines would keep every chunk they came from. Shorter strings are never views.
 */
const own = (text: string) => (text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8'));

/** Initcalls kept in full; past it the list is cut to the slowest half. A cloud-kernel boot has ~575. */
export const INITCALL_CAP = 20_000;

/** Lines of a systemd image's unit dump kept; past it the rest are dropped. */
export const SYSTEMD_DUMP_LINES = 100_000;

interface Run {
  firstG: number;
  firstText: string;
  lastG: number;
  lastText: string;
  count: number;
  maxGap: { fromG: number; fromText: string; toG: number; toText: string; ms: number } | null;
  /** One per StreamingMeasure.gapPatterns, in its order. */
  gaps: GapAgg[];
}

/** A record kept on its own; `placeG` is where it goes on the timeline (see logRecord). */
type Item = { kind: 'record'; record: PrintkRecord; placeG: number } | { kind: 'run'; run: Run };

/**
 * One regex matching whatever any of `patterns` matches, so that one test rules out a record that matches none; null
 * when they cannot be merged (flags, or backreferences that an alternation would renumber) or there are none.
 */
function anyOf(patterns: readonly RegExp[]): RegExp | null {
  if (patterns.length === 0 || patterns.some((p) => p.flags !== '' || /\\\d|\\k</.test(p.source))) return null;
  try {
    return new RegExp(patterns.map((p) => `(?:${p.source})`).join('|'));
  } catch {
    return null;
  }
}

/** A point or a run on the host timeline, once kernel clock zero is known. */
type Placed =
  | { kind: 'event'; t: number; event: BootEvent }
  | { kind: 'run'; t: number; endT: number; run: Run; z: number };

export interface StreamEnd {
  exitT: number | null;
  outcome: PassOutcome;
  doorbell?: DoorbellMark[];
}

/** A console line outside the log dump, kept with its event (none for a blank line). */
interface KeptLine {
  line: ConsoleLine;
  event: BootEvent | null;
}

export class StreamingMeasure {
  private readonly kept: HeadTail<KeptLine>;
  private readonly marks: Timeline['marks'] = {};
  private inDump = false;
  /** Inside the ready unit's `systemctl show` output, and its lines (a systemd image only). */
  private inSystemd = false;
  private readonly systemdLines: string[] = [];
  private dumpStartT = Infinity;
  /** Console texts without a guest time; a log record with one of them is the same line, and the console copy wins. */
  private readonly consoleTexts = new Set<string>();
  /** Their lengths: most log records are ruled out by length before their text is hashed. */
  private readonly consoleTextLengths = new Set<number>();
  /** Console printk lines by guest time; those the log also has are dropped once aligned, as the oracle does. */
  private readonly consolePrintk = new Map<number, string[]>();
  private readonly loggedKeys = new Set<string>();
  private readonly firstMarkerRecords = new Map<string, PrintkRecord>();
  private readonly items: Item[] = [];
  private readonly scratch: PrintkRecord = { guestT: 0, text: '', origin: 'kernel' };
  private run: Run | null = null;
  private lastG = -Infinity;
  private systemdFromLog: SystemdResult | null = null;
  private readonly pairer = new InitcallPairer();
  /** Initcalls with guest times in startT/endT, moved to host time once kernel clock zero is known. */
  private initcalls: Initcall[] = [];
  /** Past INITCALL_CAP, initcalls faster than this are not kept. */
  private initcallFloorMs = -Infinity;
  /** Each `gap` pattern of the rules once, however many rules share it. */
  private readonly gapPatterns: GapPattern[];
  /** Texts a kernel record is kept whole for: where the kernel hands over to init, hint `wait-for`s, custom edges. */
  private readonly wantedTexts: RegExp[];
  /** Matches what any gap pattern's edge matches: most records match none, and one test rules them out. */
  private readonly anyGapEdge: RegExp | null;
  /** `clock: virtual` only: the TSC reads and kernel records that place the boot on the virtual clock. */
  private readonly virtual: VirtualClockReadings | null;

  constructor(
    private readonly custom: readonly StageDef[],
    private readonly readyRegex?: RegExp,
    private readonly context: PassContext = {},
    private readonly rules: readonly HintRule[] = HINTS,
    limitBytes = consoleLimitBytes(),
  ) {
    this.kept = new HeadTail(limitBytes);
    this.virtual = context.clock === 'virtual' ? new VirtualClockReadings() : null;
    this.gapPatterns = [...new Set(rules.flatMap((r) => r.patterns.filter((p): p is GapPattern => p.kind === 'gap')))];
    this.anyGapEdge = anyOf(this.gapPatterns.map((p) => p.edge));
    const builtin = [
      ...KERNEL_END_PATTERNS,
      ...rules.flatMap((r) => r.patterns.flatMap((p) => (p.kind === 'wait-for' ? [p.text] : []))),
    ];
    const merged = anyOf(builtin);
    // A user's regex may have flags or backreferences of its own, so custom stage edges are tried one by one.
    this.wantedTexts = [...(merged ? [merged] : builtin), ...custom.flatMap((s) => [s.from, s.to])];
  }

  /** Console lines outside the dump that were cut from the middle of a flood, in bytes. */
  get truncatedBytes(): number {
    return this.kept.cutBytes;
  }

  /** One console line, as ConsoleSplitter emits it. */
  push(line: ConsoleLine): void {
    const text = line.text;
    if (this.inDump) {
      if (text.startsWith(Marker.dmesgEnd)) {
        this.inDump = false;
        this.marks.dumpEnd = line.t;
        this.keep(line, { t: line.t, text, source: 'console', origin: 'host' });
        return;
      }
      // One record object for the whole dump: logRecord copies what it keeps. `dmesg -r` starts every record with
      // its <priority>; a printk line without one is the kernel writing to a verbose console while the dump runs
      // ("tsc: Refined TSC clocksource calibration" ~2.5 s in, seen under load). It is console output, stamped as it
      // arrived, and not part of the log's order: taken as a record, it had every later record of the dump placed at
      // its stamp, "Run /init" included, which moved the kernel's end past ready.
      if (readPrintk(text, this.scratch)) {
        if (text.charCodeAt(0) !== 60 /* < */) {
          this.consolePrintkLine(line, this.scratch);
          return;
        }
        // The kernel's console line can also land inside a dump line: "<6>[    1.072390] thermal_sys: … 'bang_bang'
        // [    2.651609] tsc: Refined TSC …" (seen). The record keeps its own text, so it still matches its console
        // copy, and the tail is the console line it is.
        const glued = this.scratch.text.search(EMBEDDED_PRINTK);
        const tail = glued > 0 ? this.scratch.text.slice(glued) : null;
        if (tail !== null) this.scratch.text = this.scratch.text.slice(0, glued);
        this.logRecord(this.scratch);
        if (tail !== null && readPrintk(tail, this.scratch)) this.consolePrintkLine(line, this.scratch);
      }
      return;
    }
    if (this.inSystemd) {
      if (text.startsWith(Marker.systemdEnd)) this.inSystemd = false;
      // Bounded like the console: a unit is ~7 lines, so this is thousands of units.
      else if (this.systemdLines.length < SYSTEMD_DUMP_LINES) this.systemdLines.push(own(text));
      return;
    }
    if (text.startsWith(Marker.systemdBegin)) {
      this.inSystemd = true;
      return;
    }
    if (text.startsWith(Marker.dmesgBegin)) {
      this.inDump = true;
      if (this.dumpStartT === Infinity) this.dumpStartT = line.t;
      // Console lines kept past a cut are known only now; the log's copies of them must still give way.
      if (!this.kept.whole)
        for (const k of this.kept.tailItems())
          if (k.event?.guestT === undefined && k.event?.origin === 'user') this.addConsoleText(k.event.text);
      this.keep(line, { t: line.t, text, source: 'console', origin: 'host' });
      return;
    }
    // The scratch record is shared with the dump; only its fields are kept.
    if (readPrintk(text, this.scratch)) {
      this.consolePrintkLine(line, this.scratch);
      return;
    }
    if (text.trim() === '') {
      this.keep(line, null);
      return;
    }
    this.virtual?.consoleLine(text, undefined, this.marks.dumpEnd !== undefined);
    if (this.marks.init === undefined && text.startsWith(Marker.init)) this.marks.init = line.t;
    if (
      this.marks.ready === undefined &&
      (this.readyRegex ? this.readyRegex.test(text) : text.startsWith(Marker.ready))
    ) {
      this.marks.ready = line.t;
    }
    if (this.kept.whole) this.addConsoleText(text);
    this.keep(line, { t: line.t, text, source: 'console', origin: 'user' });
  }

  private keep(line: ConsoleLine, event: BootEvent | null): void {
    const bytes = line.text.length + 1;
    this.kept.push({ line, event }, bytes, bytes + CONSOLE_LINE_OVERHEAD_BYTES);
  }

  private addConsoleText(text: string): void {
    this.consoleTexts.add(text);
    this.consoleTextLengths.add(text.length);
  }

  private isConsoleText(text: string): boolean {
    return this.consoleTextLengths.has(text.length) && this.consoleTexts.has(text);
  }

  private interesting(record: PrintkRecord): boolean {
    const { text } = record;
    if (
      record.origin !== 'kernel' ||
      record.guestT < this.lastG ||
      text.startsWith(MARKER_PREFIX) ||
      this.isConsoleText(text)
    )
      return true;
    for (const pattern of this.wantedTexts) if (pattern.test(text)) return true;
    return false;
  }

  /** A kernel record the kernel wrote to the console itself, stamped with its arrival. */
  private consolePrintkLine(line: ConsoleLine, printk: PrintkRecord): void {
    this.virtual?.consoleLine(printk.text, printk.guestT, this.marks.dumpEnd !== undefined);
    if (this.kept.whole) {
      const texts = this.consolePrintk.get(printk.guestT);
      if (texts) texts.push(printk.text);
      else this.consolePrintk.set(printk.guestT, [printk.text]);
    }
    this.keep(line, {
      t: line.t,
      text: printk.text,
      source: 'console',
      guestT: printk.guestT,
      origin: printk.origin,
    });
  }

  private logRecord(record: PrintkRecord): void {
    const { text, guestT } = record;
    this.virtual?.logRecord(text, guestT);
    if (this.consolePrintk.size > 0 && this.consolePrintk.get(guestT)?.includes(text))
      this.loggedKeys.add(`${guestT}|${text}`);
    // The first copy of a marker is also kept as an item (markers are always interesting), so the two share it.
    let copy: PrintkRecord | null = null;
    if (text.startsWith(MARKER_PREFIX) && !this.firstMarkerRecords.has(text)) {
      copy = { ...record, text: own(text) };
      this.firstMarkerRecords.set(copy.text, copy);
    }
    if (record.origin === 'kernel') {
      const call = this.pairer.push(text, guestT);
      if (call) this.initcall(call);
    } else if (this.systemdFromLog === null && text.includes('Startup finished')) {
      // systemd logs it, under its own facility; kernel records need not be searched for it.
      this.systemdFromLog = startupFinished(text);
    }

    if (this.interesting(record)) {
      this.closeRun();
      // The log's order is the order things happened. Early records can be stamped before records logged ahead of
      // them (sched_clock restarts on the TSC when it is calibrated: "tsc: Detected …" at 0.056 s, then
      // "x86/fpu: …" at 0.039 s), so such a record is placed at the latest stamp before it, never ahead of it.
      this.items.push({
        kind: 'record',
        record: copy ?? { ...record, text: own(text) },
        placeG: Math.max(guestT, this.lastG),
      });
    } else {
      this.extendRun(record);
    }
    if (guestT > this.lastG) this.lastG = guestT;
  }

  private extendRun(record: PrintkRecord): void {
    const { guestT: g, text } = record;
    const run = this.run;
    if (!run) {
      this.run = {
        firstG: g,
        firstText: text,
        lastG: g,
        lastText: text,
        count: 1,
        maxGap: null,
        gaps: this.gapPatterns.map(emptyGapAgg),
      };
      return;
    }
    const ms = g - run.lastG;
    if (!run.maxGap || ms > run.maxGap.ms)
      run.maxGap = { fromG: run.lastG, fromText: run.lastText, toG: g, toText: text, ms };
    if (this.anyGapEdge === null || this.anyGapEdge.test(text))
      for (let i = 0; i < this.gapPatterns.length; i++) {
        const p = this.gapPatterns[i]!;
        if (!p.edge.test(text) || (p.within && !p.edge.test(run.lastText))) continue;
        addGap(run.gaps[i]!, run.lastText, text, ms);
      }
    run.lastG = g;
    run.lastText = text;
    run.count++;
  }

  private closeRun(): void {
    const run = this.run;
    if (run) {
      run.firstText = own(run.firstText);
      run.lastText = own(run.lastText);
      if (run.maxGap)
        run.maxGap = { ...run.maxGap, fromText: own(run.maxGap.fromText), toText: own(run.maxGap.toText) };
      for (const agg of run.gaps)
        if (agg.worst) agg.worst = { ...agg.worst, from: own(agg.worst.from), to: own(agg.worst.to) };
      this.items.push({ kind: 'run', run });
    }
    this.run = null;
  }

  private initcall(call: Initcall): void {
    if (call.ms < this.initcallFloorMs) return;
    this.initcalls.push({ ...call, name: own(call.name), ...(call.module ? { module: own(call.module) } : {}) });
    if (this.initcalls.length > INITCALL_CAP) {
      const kept = this.initcalls.sort((a, b) => b.ms - a.ms).slice(0, INITCALL_CAP / 2);
      this.initcallFloorMs = kept[kept.length - 1]!.ms;
      this.initcalls = kept.sort((a, b) => a.endT - b.endT);
    }
  }

  /** The timeline's edges on the virtual clock: every mark from the guest's own clocks (virtual-clock.ts). */
  private virtualEdges(): { marks: Timeline['marks']; alignment: ClockAlignment | null } {
    const anchors = this.virtual!.anchors();
    if (!anchors) return { marks: {}, alignment: null };
    const z = anchors.kernelZeroT;
    const at = (marker: string) => {
      const record = this.firstMarkerRecords.get(marker);
      return record ? z + record.guestT : undefined;
    };
    const marks: Timeline['marks'] = {};
    const init = at(Marker.init);
    if (init !== undefined) marks.init = init;
    const ready = at(Marker.ready);
    if (ready !== undefined) marks.ready = ready;
    if (anchors.dumpEndT !== undefined) marks.dumpEnd = anchors.dumpEndT;
    if (anchors.exitT !== undefined) marks.exit = anchors.exitT;
    return { marks, alignment: { kernelZeroT: z, pairs: 1, spreadMs: 0 } };
  }

  finish(end: StreamEnd): PassMeasurement {
    this.closeRun();
    const keptLines = [...this.kept.head, ...this.kept.tailItems()];
    const consoleLines = keptLines.map((k) => k.line);
    const consoleEvents = keptLines.flatMap((k) => (k.event ? [k.event] : []));
    const { marks, alignment } = this.virtual
      ? this.virtualEdges()
      : {
          marks: {
            ...this.marks,
            ...(end.exitT !== null && end.outcome.kind === 'exited' ? { exit: end.exitT } : {}),
          },
          alignment: alignClocks(consoleEvents, [...this.firstMarkerRecords.values()]),
        };
    // On the virtual clock only the guest's own timestamps count: a console line's host time has no place there, and
    // the log's copy of a marker stands in for its console copy.
    const virtual = this.virtual !== null;

    const placed: Placed[] = [
      { kind: 'event', t: 0, event: { t: 0, text: '(hypervisor spawned)', source: 'host', origin: 'host' } },
    ];
    if (alignment) {
      const z = alignment.kernelZeroT;
      placed.push({
        kind: 'event',
        t: z,
        event: { t: z, text: '(kernel clock zero)', source: 'host', guestT: 0, origin: 'host' },
      });
      for (const item of this.items) {
        if (item.kind === 'run') {
          placed.push({ kind: 'run', t: z + item.run.firstG, endT: z + item.run.lastG, run: item.run, z });
          continue;
        }
        const r = item.record;
        if (!virtual && this.isConsoleText(r.text)) continue;
        const t = z + item.placeG;
        placed.push({
          kind: 'event',
          t,
          event: { t, text: r.text, source: 'kmsg', guestT: r.guestT, origin: r.origin },
        });
      }
    }
    for (const event of consoleEvents) {
      if (alignment && event.guestT !== undefined && this.loggedKeys.has(`${event.guestT}|${event.text}`)) continue;
      if (!virtual) placed.push({ kind: 'event', t: event.t, event });
      else if (alignment && event.guestT !== undefined) {
        const t = alignment.kernelZeroT + event.guestT;
        placed.push({ kind: 'event', t, event: { ...event, t } });
      }
    }
    if (marks.exit !== undefined)
      placed.push({
        kind: 'event',
        t: marks.exit,
        event: { t: marks.exit, text: '(hypervisor exited)', source: 'host', origin: 'host' },
      });
    for (const ring of virtual ? [] : (end.doorbell ?? [])) {
      placed.push({
        kind: 'event',
        t: ring.t,
        event: { t: ring.t, text: ring.text, source: 'doorbell', origin: ring.mark ? 'user' : 'host' },
      });
      if (ring.mark === 'ready' && marks.doorbell === undefined) marks.doorbell = ring.t;
    }
    placed.sort((a, b) => a.t - b.t);

    const events = placed.flatMap((p) => (p.kind === 'event' ? [p.event] : []));
    const timeline: Timeline = { events, alignment, marks };
    const gaps = new Map<string, Map<GapPattern, GapAgg>>();
    const stages = computeStages(timeline, this.custom, (stage) => {
      const walked = walkStage(placed, stage, this.gapPatterns);
      gaps.set(stage.name, walked.gaps);
      return walked.span;
    });

    const z = alignment?.kernelZeroT ?? 0;
    const initcalls: Initcall[] = alignment
      ? this.initcalls.map((call) => ({ ...call, startT: z + call.startT, endT: z + call.endT }))
      : [];
    const withSpans = stages.map((s) => (s.name === 'total' ? s : withInitcallSpan(s, initcalls)));

    const dump = parseSystemdDump(this.systemdLines);
    const readyRecord = this.firstMarkerRecords.get(Marker.ready);
    const view = dump
      ? systemdView(dump, alignment ? z : null, readyRecord ? readyRecord.guestT * 1000 : null)
      : { units: [], systemd: null };
    const stagesWithUnits = withSpans.map((s) => (s.name === 'userspace' ? withUnitSpan(s, view.units) : s));
    // What the console costs is a matter of host time; on the virtual clock the UART's cost is in the guest's work.
    const console = virtual ? {} : consoleCosts(consoleLines, stagesWithUnits, this.dumpStartT);
    let systemd: SystemdResult | null = view.systemd;
    for (const event of events) systemd ??= startupFinished(event.text);
    systemd ??= alignment ? this.systemdFromLog : null;
    const units = view.units;
    const hints = evaluateHints(
      {
        stages: stagesWithUnits,
        events,
        initcalls,
        units: unitSpans(view),
        console: new Map(Object.entries(console)),
        machine: this.context.machine,
        cmdline: this.context.cmdline,
        firmware: this.context.firmware,
        // Most kernel records are only in runs' summaries, so `gap` patterns cannot be evaluated over `events`.
        gaps,
      },
      this.rules,
    );
    return { stages: stagesWithUnits, alignment, events, initcalls, systemd, units, console, hints };
  }
}

/** `Startup finished …` as systemd's view of the boot, when an image logged it where boot-budget could read it. */
function startupFinished(text: string): SystemdResult | null {
  const parsed = parseStartupFinished(text);
  return parsed ? { ...parsed, source: 'startup-finished' } : null;
}

/**
 * One stage over the placed events and runs: its largest gap (largestGap's rules: the stage's edges count, the first
 * of equal gaps wins) and, per hint gap pattern, the time of gaps ending at a matching event.
 */
function walkStage(
  placed: readonly Placed[],
  stage: StageBounds,
  patterns: readonly GapPattern[],
): { span: Span | null; gaps: Map<GapPattern, GapAgg> } {
  const startT = stage.start.t;
  const endT = stage.end.t;
  const userspaceOnly = stage.spanEvents === 'userspace';
  const gaps = patterns.map(emptyGapAgg);
  let best: Span | null = null;
  let prev: { t: number; text: string } | null = null;
  let prevEvent: { t: number; text: string } | null = null;
  let first = true;
  const consider = (a: { t: number; text: string }, b: { t: number; text: string }) => {
    const ms = b.t - a.t;
    if (best === null || ms > best.ms) best = { from: a.text, to: b.text, fromT: a.t, toT: b.t, ms };
  };
  const point = (p: { t: number; text: string }) => {
    if (first) {
      if (p.t !== startT) prev = { t: startT, text: stage.start.label };
      first = false;
    }
    // A run is placed at its first record, and its last can lie past points placed after it: the next gap starts at
    // the latest point seen, never goes back.
    if (prev && p.t < prev.t) return;
    if (prev) consider(prev, p);
    prev = p;
  };
  const hintPair = (a: { t: number; text: string } | null, b: { t: number; text: string }) => {
    if (!a) return;
    patterns.forEach((p, i) => {
      if (!p.edge.test(b.text) || (p.within && !p.edge.test(a.text))) return;
      addGap(gaps[i]!, a.text, b.text, b.t - a.t);
    });
  };
  for (const p of placed) {
    if (p.kind === 'event') {
      if (p.t < startT || p.t > endT) continue;
      hintPair(prevEvent, p.event);
      prevEvent = p.event;
      if (userspaceOnly && p.event.origin === 'kernel') continue;
      point(p.event);
      continue;
    }
    // Runs hold kernel records only.
    if (p.endT < startT || p.t > endT) continue;
    const { run, z } = p;
    const firstPoint = { t: p.t, text: run.firstText };
    const lastPoint = { t: p.endT, text: run.lastText };
    if (p.t >= startT) hintPair(prevEvent, firstPoint);
    if (p.t >= startT && p.endT <= endT) {
      run.gaps.forEach((agg, i) => {
        const into = gaps[i]!;
        into.ms += agg.ms;
        into.count += agg.count;
        if (agg.worst && (!into.worst || agg.worst.ms > into.worst.ms)) into.worst = agg.worst;
      });
    }
    prevEvent = p.endT <= endT ? lastPoint : firstPoint;
    if (userspaceOnly) continue;
    if (p.t >= startT) point(firstPoint);
    if (run.maxGap && p.t >= startT && p.endT <= endT) {
      const g = run.maxGap;
      consider({ t: z + g.fromG, text: g.fromText }, { t: z + g.toG, text: g.toText });
    }
    if (p.endT <= endT && run.count > 1 && (prev === null || lastPoint.t >= (prev as { t: number }).t))
      prev = lastPoint;
  }
  if (first) prev = { t: startT, text: stage.start.label };
  const last = prev as { t: number; text: string } | null;
  if (last && last.t !== endT) consider(last, { t: endT, text: stage.end.label });
  return { span: best, gaps: new Map(patterns.map((p, i) => [p, gaps[i]!])) };
}
