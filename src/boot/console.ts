import { StringDecoder } from 'node:string_decoder';
import type { ConsoleLine } from './types.js';

/** Console output kept per pass; a guest that floods the console is cut here, and the cut is reported. */
export const CONSOLE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * `BOOT_BUDGET_CONSOLE_LIMIT_MIB` lowers (or raises) the limit: a guest under TCG writes ~0.2-0.5 MB/s to its serial
 * console, so tests flood a small limit rather than wait minutes for 64 MiB.
 */
export function consoleLimitBytes(env: NodeJS.ProcessEnv = process.env): number {
  const mib = Number(env['BOOT_BUDGET_CONSOLE_LIMIT_MIB']);
  return Number.isFinite(mib) && mib > 0 ? Math.round(mib * 1024 * 1024) : CONSOLE_LIMIT_BYTES;
}

/**
 * What a kept line costs beyond its text (the line object, the string header), counted against the limits: without
 * it, a guest running `yes` (2-byte lines) would need ~30 times the limit in heap.
 */
export const CONSOLE_LINE_OVERHEAD_BYTES = 128;

/**
 * A line longer than this (a guest printing without newlines) keeps its start only; the rest counts as cut, so one
 * endless line cannot grow without bound.
 */
export const CONSOLE_MAX_LINE_BYTES = 64 * 1024;

/**
 * Splits a byte stream into lines, stamping each line with the time its first byte arrived. QEMU writes the serial
 * console one byte per write(), so a line arrives over many chunks; stamping at the newline would skew long lines
 * by however long the guest's UART took to send them.
 */
export class ConsoleSplitter {
  readonly lines: ConsoleLine[] = [];
  truncatedBytes = 0;
  // Decoding each chunk once and splitting the string is ~15 times faster than a Buffer per line, which matters when a
  // guest prints 100 million 2-byte lines; the decoder keeps a UTF-8 character split across chunks whole.
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private pendingStart: number | null = null;
  private keptBytes = 0;
  /**
   * Past the limit, the newest lines are still kept, up to a quarter of it: the ready marker and the kernel log dump
   * come last, and without them a flooded pass could be neither judged ready nor measured. The middle is what is cut.
   */
  private tail: Array<{ line: ConsoleLine; bytes: number; cost: number }> = [];
  private tailFirst = 0;
  private tailCost = 0;

  constructor(
    private readonly onLine: (line: ConsoleLine) => void = () => {},
    private readonly limitBytes = CONSOLE_LIMIT_BYTES,
  ) {}

  /** `t` is the host time, in ms since spawn, at which this chunk arrived. */
  push(chunk: Buffer, t: number): void {
    const text = this.decoder.write(chunk);
    if (chunk.length > 0 && this.pendingStart === null) this.pendingStart = t;
    let offset = 0;
    while (offset < text.length) {
      if (this.pendingStart === null) this.pendingStart = t;
      const newline = text.indexOf('\n', offset);
      if (newline === -1) {
        this.hold(text.slice(offset));
        return;
      }
      this.hold(text.slice(offset, newline));
      this.emit(1);
      offset = newline + 1;
    }
  }

  /** Flushes a last line that never got its newline (a guest killed mid-line), then the kept tail after the cut. */
  end(): void {
    const rest = this.decoder.end();
    if (rest) this.hold(rest);
    if (this.pendingStart !== null) this.emit(0);
    for (let i = this.tailFirst; i < this.tail.length; i++) this.lines.push(this.tail[i]!.line);
    this.tail = [];
    this.tailFirst = 0;
    this.tailCost = 0;
  }

  /** Lengths here are UTF-16 units, which equal bytes for the ASCII that consoles carry; close enough for a limit. */
  private hold(part: string): void {
    const room = CONSOLE_MAX_LINE_BYTES - this.pending.length;
    if (part.length > room) this.truncatedBytes += part.length - Math.max(0, room);
    if (room <= 0) return;
    this.pending += part.length > room ? part.slice(0, room) : part;
  }

  private emit(newlineBytes: number): void {
    const bytes = this.pending.length + newlineBytes;
    const text = this.pending.includes('\r') ? this.pending.replace(/\r/g, '') : this.pending;
    const line = { t: this.pendingStart ?? 0, text };
    this.pending = '';
    this.pendingStart = null;
    this.onLine(line);
    const cost = bytes + CONSOLE_LINE_OVERHEAD_BYTES;
    if (this.keptBytes < this.limitBytes && this.tail.length === this.tailFirst) {
      this.keptBytes += cost;
      this.lines.push(line);
      return;
    }
    this.tail.push({ line, bytes, cost });
    this.tailCost += cost;
    while (this.tailCost > this.limitBytes / 4 && this.tailFirst < this.tail.length) {
      const dropped = this.tail[this.tailFirst++]!;
      this.tailCost -= dropped.cost;
      this.truncatedBytes += dropped.bytes;
    }
    if (this.tailFirst > 4096 && this.tailFirst * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailFirst);
      this.tailFirst = 0;
    }
  }
}
