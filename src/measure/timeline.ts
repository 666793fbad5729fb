import { MARKER_PREFIX } from '../agent/protocol.js';
import type { BootEvent, ClockAlignment } from './types.js';

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

/**
 * `[    1.234567] text`, as printk writes to the console; `dmesg -r` puts the record's `<priority>` first. Only the
 * head is matched, and the rest checked for line terminators (the `.` of `(.*)$`) without being captured: this is the
 * hot loop of the measure step (a long kernel log is millions of records; bench/parse.ts), and a regex match with
 * captures allocates six objects per record.
 */
const PRINTK_HEAD = /^(?:<\d+>)?\[\s*\d+\.\d+\]\s?(?=.*$)/y;

const POWERS_OF_TEN = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
const DIGIT_0 = 48;

/** Digits as Number() reads them: exact below 16 digits, which is all printk writes, and Number() itself beyond. */
function digitsValue(line: string, start: number, end: number): number {
  if (end - start > 15) return Number(line.slice(start, end));
  let value = 0;
  for (let i = start; i < end; i++) value = value * 10 + (line.charCodeAt(i) - DIGIT_0);
  return value;
}

/** Reads a console line into `into` when it is a kernel log record; false (and `into` untouched) when not. */
export function readPrintk(line: string, into: PrintkRecord): boolean {
  PRINTK_HEAD.lastIndex = 0;
  if (!PRINTK_HEAD.test(line)) return false;
  const textStart = PRINTK_HEAD.lastIndex;
  // The regex has vouched for the shape, so the fields are found by their delimiters.
  let i = 0;
  let origin: PrintkRecord['origin'] = 'kernel';
  if (line.charCodeAt(0) === 60 /* < */) {
    i = line.indexOf('>');
    // A priority is facility * 8 + level; facility 0 is the kernel. Without one (plain dmesg, the console) assume it.
    if (digitsValue(line, 1, i) >> 3 !== 0) origin = 'user';
  }
  i = line.indexOf('[', i) + 1;
  for (let c = line.charCodeAt(i); c < DIGIT_0 || c > DIGIT_0 + 9; c = line.charCodeAt(++i));
  const dot = line.indexOf('.', i);
  const close = line.indexOf(']', dot);
  // Fractions are microseconds in practice; scale by their own length so any precision parses right.
  const places = close - dot - 1;
  const fraction = digitsValue(line, dot + 1, close) / (POWERS_OF_TEN[places] ?? 10 ** places);
  into.guestT = digitsValue(line, i, dot) * 1000 + fraction * 1000;
  into.text = line.slice(textStart);
  into.origin = origin;
  return true;
}

/** A printk header inside a line: the kernel's own console output glued onto a line of the log dump. */
export const EMBEDDED_PRINTK = /\[\s*\d+\.\d{6}\] /;

export function parsePrintk(line: string): PrintkRecord | null {
  const record: PrintkRecord = { guestT: 0, text: '', origin: 'kernel' };
  return readPrintk(line, record) ? record : null;
}

/**
 * Kernel clock zero on the host timeline, from records seen on both sides. Only records boot-budget itself wrote to
 * both (its markers: the kmsg copy first, the console copy right after) are paired when there are any: a printk line
 * on the console may reach it long after it was logged (a systemd image's console printk lines were 862 ms late under
 * TCG), which says nothing about the clocks. Without markers (a tree booting its own init, ready by regex) the
 * console's printk lines are all there is.
 */
export function alignClocks(consoleEvents: BootEvent[], logRecords: PrintkRecord[]): ClockAlignment | null {
  const markers: number[] = [];
  const printk: number[] = [];
  const firstLogTimeByText = new Map<string, number>();
  for (const record of logRecords) {
    if (!firstLogTimeByText.has(record.text)) firstLogTimeByText.set(record.text, record.guestT);
  }
  for (const event of consoleEvents) {
    if (event.guestT !== undefined) {
      printk.push(event.t - event.guestT);
      continue;
    }
    // Every agent marker is written to the log first and the console second, so each is a pair.
    if (!event.text.startsWith(MARKER_PREFIX)) continue;
    const guestT = firstLogTimeByText.get(event.text);
    if (guestT !== undefined) markers.push(event.t - guestT);
  }
  const differences = markers.length > 0 ? markers : printk;
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
