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
 * Keeps items up to a cost limit and, past it, the newest ones up to a quarter of it: the ready marker and the kernel
 * log dump come last, and without them a flooded pass could be neither judged ready nor measured. The middle is what
 * is cut, and counted.
 */
export class HeadTail<T> {
  private headCost = 0;
  private tail: Array<{ item: T; bytes: number; cost: number }> = [];
  private tailFirst = 0;
  private tailCost = 0;
  /** Bytes of the items cut from the middle. */
  cutBytes = 0;

  /** `head` receives the first items as they come, so that it can be read before the end. */
  constructor(
    private readonly limitBytes: number,
    readonly head: T[] = [],
  ) {}

  /** Whether nothing has been sent to the tail yet: items so far are all kept. */
  get whole(): boolean {
    return this.tail.length === 0;
  }

  /** `bytes` is what the item carried (counted when it is cut); `cost` what keeping it costs. */
  push(item: T, bytes: number, cost: number): void {
    if (this.headCost < this.limitBytes && this.tail.length === 0) {
      this.headCost += cost;
      this.head.push(item);
      return;
    }
    this.tail.push({ item, bytes, cost });
    this.tailCost += cost;
    while (this.tailCost > this.limitBytes / 4 && this.tailFirst < this.tail.length) {
      const dropped = this.tail[this.tailFirst++]!;
      this.tailCost -= dropped.cost;
      this.cutBytes += dropped.bytes;
    }
    if (this.tailFirst > 4096 && this.tailFirst * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailFirst);
      this.tailFirst = 0;
    }
  }

  /** The kept tail, in order, once no more items will come. */
  tailItems(): T[] {
    return this.tail.slice(this.tailFirst).map((entry) => entry.item);
  }
}

/**
 * Splits a byte stream into lines, stamping each line with the time its first byte arrived. QEMU writes the serial
 * console one byte per write(), so a line arrives over many chunks; stamping at the newline would skew long lines
 * by however long the guest's UART took to send them.
 */
export class ConsoleSplitter {
  /** The kept lines: the first ones as they come, those kept past a cut once end() has run; none with `keep: false`. */
  readonly lines: ConsoleLine[] = [];
  private cutLineBytes = 0;
  // Decoding each chunk once and splitting the string is ~15 times faster than a Buffer per line, which matters when a
  // guest prints 100 million 2-byte lines; the decoder keeps a UTF-8 character split across chunks whole.
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private pendingStart: number | null = null;
  private readonly kept: HeadTail<ConsoleLine> | null;

  /**
   * `keep: false` when `onLine` consumes every line as it comes (the streaming measure step): the splitter then holds
   * no lines, and only overlong lines are cut.
   */
  constructor(
    private readonly onLine: (line: ConsoleLine) => void = () => {},
    limitBytes = CONSOLE_LIMIT_BYTES,
    keep = true,
  ) {
    this.kept = keep ? new HeadTail(limitBytes, this.lines) : null;
  }

  /** Bytes not kept: the ends of overlong lines, and lines cut from the middle of a flood. */
  get truncatedBytes(): number {
    return this.cutLineBytes + (this.kept?.cutBytes ?? 0);
  }

  /** `t` is the host time, in ms since spawn, at which this chunk arrived. */
  push(chunk: Buffer, t: number): void {
    const text = this.decoder.write(chunk);
    // A line that so far holds only carriage returns has not started: boot loaders (GRUB) end their output with a
    // bare CR and hand over, and the next text, seconds later (the kernel's or the agent's), must not take its time.
    if (chunk.length > 0 && (this.pendingStart === null || this.onlyCarriageReturns())) this.pendingStart = t;
    let offset = 0;
    while (offset < text.length) {
      if (this.pendingStart === null) this.pendingStart = t;
      const newline = text.indexOf('\n', offset);
      if (newline === -1) {
        this.hold(text.slice(offset));
        return;
      }
      if (this.pending === '' && newline - offset <= CONSOLE_MAX_LINE_BYTES) this.pending = text.slice(offset, newline);
      else this.hold(text.slice(offset, newline));
      this.emit(1);
      offset = newline + 1;
    }
  }

  /** Flushes a last line that never got its newline (a guest killed mid-line), then the kept tail after the cut. */
  end(): void {
    const rest = this.decoder.end();
    if (rest) this.hold(rest);
    if (this.pendingStart !== null) this.emit(0);
    if (!this.kept) return;
    for (const line of this.kept.tailItems()) this.lines.push(line);
  }

  private onlyCarriageReturns(): boolean {
    const { pending } = this;
    if (pending === '' || pending.length > 4) return false;
    for (let i = 0; i < pending.length; i++) if (pending.charCodeAt(i) !== 13) return false;
    return true;
  }

  /** Lengths here are UTF-16 units, which equal bytes for the ASCII that consoles carry; close enough for a limit. */
  private hold(part: string): void {
    const room = CONSOLE_MAX_LINE_BYTES - this.pending.length;
    if (part.length > room) this.cutLineBytes += part.length - Math.max(0, room);
    if (room <= 0) return;
    this.pending += part.length > room ? part.slice(0, room) : part;
  }

  private emit(newlineBytes: number): void {
    const raw = this.pending;
    const bytes = raw.length + newlineBytes;
    // Serial consoles end lines with CR LF; a CR anywhere else is rare, so the common case is one slice.
    const cr = raw.indexOf('\r');
    const text = cr === -1 ? raw : cr === raw.length - 1 ? raw.slice(0, cr) : raw.replace(/\r/g, '');
    const line = { t: this.pendingStart ?? 0, text };
    this.pending = '';
    this.pendingStart = null;
    this.onLine(line);
    this.kept?.push(line, bytes, bytes + CONSOLE_LINE_OVERHEAD_BYTES);
  }
}
