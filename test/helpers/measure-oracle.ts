/**
 * The measure step done the simple way, as the first version of boot-budget did it: every console line and every log
 * record becomes an event on one timeline, and stages, spans, initcalls and hints are computed over all of them. It
 * needs the whole trace in memory, so the product streams instead (src/measure/stream.ts); this stays as the oracle
 * that the streaming step is checked against (test/unit/stream-measure.test.ts) and for tests of the timeline itself.
 */
import { Marker } from '../../src/agent/protocol.js';
import type { BootTrace } from '../../src/boot/types.js';
import { consoleCosts } from '../../src/measure/console-cost.js';
import { evaluateHints } from '../../src/measure/hints.js';
import { parseInitcalls } from '../../src/measure/initcalls.js';
import { computeStages, withInitcallSpan } from '../../src/measure/stages.js';
import { parseSystemdDump } from '../../src/measure/systemd/show-output.js';
import { parseStartupFinished } from '../../src/measure/systemd/startup.js';
import type { SystemdResult } from '../../src/measure/systemd/unit-times.js';
import { systemdView, unitSpans, withUnitSpan } from '../../src/measure/systemd/units.js';
import {
  alignClocks,
  EMBEDDED_PRINTK,
  parsePrintk,
  type PrintkRecord,
  type Timeline,
} from '../../src/measure/timeline.js';
import type { BootEvent, PassContext, PassMeasurement } from '../../src/measure/types.js';
import type { StageDef } from '../../src/scenario/types.js';

/** A kernel record as the console carried it, at the host time it arrived. */
function consolePrintkEvent(t: number, record: PrintkRecord): BootEvent {
  return { t, text: record.text, source: 'console', guestT: record.guestT, origin: record.origin };
}

/**
 * Builds one host-time timeline from the console and the dumped kernel log. The kernel's own clock starts at zero
 * early in boot; the records seen on both sides pin it to host time (docs/architecture.md#clock-alignment). The console copy can only be later
 * than the log record, never earlier, so the smallest difference is the tightest estimate.
 */
export function buildTimeline(trace: BootTrace, readyRegex?: RegExp): Timeline {
  const consoleEvents: BootEvent[] = [];
  const logRecords: PrintkRecord[] = [];
  const marks: Timeline['marks'] = {};
  let inDump = false;
  let inSystemd = false;

  for (const line of trace.lines) {
    const text = line.text;
    // The ready unit's `systemctl show` output is data about the boot, not events of it (systemdLines).
    if (!inDump && (inSystemd || text.startsWith(Marker.systemdBegin))) {
      inSystemd = !text.startsWith(Marker.systemdEnd);
      continue;
    }
    if (!inDump && text.startsWith(Marker.dmesgBegin)) {
      inDump = true;
      consoleEvents.push({ t: line.t, text, source: 'console', origin: 'host' });
      continue;
    }
    if (inDump) {
      if (text.startsWith(Marker.dmesgEnd)) {
        inDump = false;
        marks.dumpEnd = line.t;
        consoleEvents.push({ t: line.t, text, source: 'console', origin: 'host' });
        continue;
      }
      const record = parsePrintk(text);
      if (!record) continue;
      // Without `dmesg -r`'s <priority>, the line is the kernel's own console output arriving mid-dump; glued onto a
      // dump line, it is that line's tail.
      if (!text.startsWith('<')) {
        consoleEvents.push(consolePrintkEvent(line.t, record));
        continue;
      }
      const glued = record.text.search(EMBEDDED_PRINTK);
      const tail = glued > 0 ? parsePrintk(record.text.slice(glued)) : null;
      if (glued > 0) record.text = record.text.slice(0, glued);
      logRecords.push(record);
      if (tail) consoleEvents.push(consolePrintkEvent(line.t, tail));
      continue;
    }
    const printk = parsePrintk(text);
    if (printk) {
      consoleEvents.push(consolePrintkEvent(line.t, printk));
      continue;
    }
    if (text.trim() === '') continue;
    if (marks.init === undefined && text.startsWith(Marker.init)) marks.init = line.t;
    if (marks.ready === undefined && (readyRegex ? readyRegex.test(text) : text.startsWith(Marker.ready))) {
      marks.ready = line.t;
    }
    consoleEvents.push({ t: line.t, text, source: 'console', origin: 'user' });
  }
  // Only an exit the guest caused ends its shutdown; a kill at the timeout says nothing about the guest.
  if (trace.exitT !== null && trace.outcome.kind === 'exited') marks.exit = trace.exitT;

  const alignment = alignClocks(consoleEvents, logRecords);
  const events: BootEvent[] = [{ t: 0, text: '(hypervisor spawned)', source: 'host', origin: 'host' }];

  // A marker line was stamped by the host when it appeared; that copy is the truth, the log copy only a pairing aid.
  const consoleTexts = new Set(consoleEvents.filter((e) => e.guestT === undefined).map((e) => e.text));
  // Printk lines that reached the console are in the log too; keep one copy, the aligned one, so order is consistent.
  const loggedKeys = new Set(logRecords.map((r) => `${r.guestT}|${r.text}`));

  if (alignment) {
    events.push({ t: alignment.kernelZeroT, text: '(kernel clock zero)', source: 'host', guestT: 0, origin: 'host' });
    // In log order, a record stamped before one logged ahead of it goes at that one's stamp (the product's rule).
    let latestG = Number.NEGATIVE_INFINITY;
    for (const record of logRecords) {
      latestG = Math.max(latestG, record.guestT);
      if (consoleTexts.has(record.text)) continue;
      events.push({
        t: alignment.kernelZeroT + latestG,
        text: record.text,
        source: 'kmsg',
        guestT: record.guestT,
        origin: record.origin,
      });
    }
  }
  for (const event of consoleEvents) {
    if (alignment && event.guestT !== undefined && loggedKeys.has(`${event.guestT}|${event.text}`)) continue;
    events.push(event);
  }
  if (marks.exit !== undefined)
    events.push({ t: marks.exit, text: '(hypervisor exited)', source: 'host', origin: 'host' });
  for (const ring of trace.doorbell ?? []) {
    events.push({ t: ring.t, text: ring.text, source: 'doorbell', origin: ring.mark ? 'user' : 'host' });
    if (ring.mark === 'ready' && marks.doorbell === undefined) marks.doorbell = ring.t;
  }

  events.sort((a, b) => a.t - b.t);
  return { events, alignment, marks };
}

/** The lines between the ready unit's systemd markers. */
function systemdLines(trace: BootTrace): string[] {
  const begin = trace.lines.findIndex((l) => l.text.startsWith(Marker.systemdBegin));
  if (begin < 0) return [];
  const end = trace.lines.findIndex((l, i) => i > begin && l.text.startsWith(Marker.systemdEnd));
  return trace.lines.slice(begin + 1, end < 0 ? undefined : end).map((l) => l.text);
}

export function measureWhole(
  trace: BootTrace,
  custom: readonly StageDef[],
  readyRegex?: RegExp,
  context: PassContext = {},
): PassMeasurement {
  const timeline = buildTimeline(trace, readyRegex);
  const initcalls = parseInitcalls(timeline.events);
  const dump = parseSystemdDump(systemdLines(trace));
  const ready = timeline.events.find((e) => e.source === 'kmsg' && e.text === Marker.ready);
  const view = dump
    ? systemdView(
        dump,
        timeline.alignment?.kernelZeroT ?? null,
        ready?.guestT === undefined ? null : ready.guestT * 1000,
      )
    : { units: [], systemd: null };
  const stages = computeStages(timeline, custom)
    .map((s) => (s.name === 'total' ? s : withInitcallSpan(s, initcalls)))
    .map((s) => (s.name === 'userspace' ? withUnitSpan(s, view.units) : s));
  const dumpStartT = trace.lines.find((l) => l.text.startsWith(Marker.dmesgBegin))?.t ?? Infinity;
  const console = consoleCosts(trace.lines, stages, dumpStartT);
  let systemd: SystemdResult | null = view.systemd;
  for (const event of timeline.events) {
    const parsed = parseStartupFinished(event.text);
    if (parsed) systemd ??= { ...parsed, source: 'startup-finished' };
  }
  const units = view.units;
  const hints = evaluateHints({
    stages,
    events: timeline.events,
    initcalls,
    units: unitSpans(view),
    console: new Map(Object.entries(console)),
    machine: context.machine,
    cmdline: context.cmdline,
    firmware: context.firmware,
  });
  return { stages, alignment: timeline.alignment, events: timeline.events, initcalls, systemd, units, console, hints };
}
