import { Marker, MARKER_PREFIX } from '../agent/protocol.js';
import type { BootTrace } from '../boot/types.js';
import type { BootEvent, ClockAlignment } from './types.js';

/** `[    1.234567] text`, as printk writes to the console; `dmesg -r` puts the record's `<priority>` first. */
const PRINTK_LINE = /^(?:<(\d+)>)?\[\s*(\d+)\.(\d+)\]\s?(.*)$/;

export interface Timeline {
  /** Every event, sorted by host time. */
  events: BootEvent[];
  alignment: ClockAlignment | null;
  /** Host times of the agent's console markers and of the hypervisor's exit. */
  marks: { init?: number; ready?: number; dumpEnd?: number; exit?: number; doorbell?: number };
}

export interface PrintkRecord {
  guestT: number;
  text: string;
  origin: 'kernel' | 'user';
}

export function parsePrintk(line: string): PrintkRecord | null {
  const match = PRINTK_LINE.exec(line);
  if (!match) return null;
  const [, priority, seconds, fraction, text] = match;
  // A priority is facility * 8 + level; facility 0 is the kernel. Without one (plain dmesg, the console) assume it.
  const origin = priority !== undefined && Number(priority) >> 3 !== 0 ? 'user' : 'kernel';
  // Fractions are microseconds in practice; scale by their own length so any precision parses right.
  const guestT = Number(seconds) * 1000 + (Number(fraction) / 10 ** (fraction!.length)) * 1000;
  return { guestT, text: text ?? '', origin };
}

/**
 * Builds one host-time timeline from the console and the dumped kernel log. The kernel's own clock starts at zero
 * early in boot; the records seen on both sides pin it to host time (DESIGN §2). The console copy can only be later
 * than the log record, never earlier, so the smallest difference is the tightest estimate.
 */
export function buildTimeline(trace: BootTrace, readyRegex?: RegExp): Timeline {
  const consoleEvents: BootEvent[] = [];
  const logRecords: PrintkRecord[] = [];
  const marks: Timeline['marks'] = {};
  let inDump = false;

  for (const line of trace.lines) {
    const text = line.text;
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
      if (record) logRecords.push(record);
      continue;
    }
    const printk = parsePrintk(text);
    if (printk) {
      consoleEvents.push({ t: line.t, text: printk.text, source: 'console', guestT: printk.guestT, origin: printk.origin });
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
    for (const record of logRecords) {
      if (consoleTexts.has(record.text)) continue;
      events.push({ t: alignment.kernelZeroT + record.guestT, text: record.text, source: 'kmsg', guestT: record.guestT, origin: record.origin });
    }
  }
  for (const event of consoleEvents) {
    if (alignment && event.guestT !== undefined && loggedKeys.has(`${event.guestT}|${event.text}`)) continue;
    events.push(event);
  }
  if (marks.exit !== undefined) events.push({ t: marks.exit, text: '(hypervisor exited)', source: 'host', origin: 'host' });
  for (const ring of trace.doorbell ?? []) {
    events.push({ t: ring.t, text: ring.text, source: 'doorbell', origin: ring.mark ? 'user' : 'host' });
    if (ring.mark === 'ready' && marks.doorbell === undefined) marks.doorbell = ring.t;
  }

  events.sort((a, b) => a.t - b.t);
  return { events, alignment, marks };
}

export function alignClocks(consoleEvents: BootEvent[], logRecords: PrintkRecord[]): ClockAlignment | null {
  const differences: number[] = [];
  const firstLogTimeByText = new Map<string, number>();
  for (const record of logRecords) {
    if (!firstLogTimeByText.has(record.text)) firstLogTimeByText.set(record.text, record.guestT);
  }
  for (const event of consoleEvents) {
    if (event.guestT !== undefined) {
      differences.push(event.t - event.guestT);
      continue;
    }
    // Every agent marker is written to the log first and the console second, so each is a pair.
    if (!event.text.startsWith(MARKER_PREFIX)) continue;
    const guestT = firstLogTimeByText.get(event.text);
    if (guestT !== undefined) differences.push(event.t - guestT);
  }
  if (differences.length === 0) return null;
  // A loop, not Math.min(...): a guest may write as many marker-like lines as its log buffer holds.
  let min = Infinity;
  let max = -Infinity;
  for (const d of differences) {
    if (d < min) min = d;
    if (d > max) max = d;
  }
  return { kernelZeroT: min, pairs: differences.length, spreadMs: max - min };
}
