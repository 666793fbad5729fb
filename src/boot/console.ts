import type { ConsoleLine } from './types.js';

/** Console output kept per pass; a guest that floods the console is cut here, and the cut is reported. */
export const CONSOLE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Splits a byte stream into lines, stamping each line with the time its first byte arrived. QEMU writes the serial
 * console one byte per write(), so a line arrives over many chunks; stamping at the newline would skew long lines
 * by however long the guest's UART took to send them.
 */
export class ConsoleSplitter {
  readonly lines: ConsoleLine[] = [];
  truncatedBytes = 0;
  private pending: Buffer[] = [];
  private pendingStart: number | null = null;
  private keptBytes = 0;

  constructor(
    private readonly onLine: (line: ConsoleLine) => void = () => {},
    private readonly limitBytes = CONSOLE_LIMIT_BYTES,
  ) {}

  /** `t` is the host time, in ms since spawn, at which this chunk arrived. */
  push(chunk: Buffer, t: number): void {
    if (this.keptBytes >= this.limitBytes) {
      this.truncatedBytes += chunk.length;
      return;
    }
    this.keptBytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.pendingStart === null) this.pendingStart = t;
      const newline = chunk.indexOf(0x0a, offset);
      if (newline === -1) {
        this.pending.push(chunk.subarray(offset));
        return;
      }
      this.pending.push(chunk.subarray(offset, newline));
      this.emit();
      offset = newline + 1;
    }
  }

  /** Flushes a last line that never got its newline (a guest killed mid-line). */
  end(): void {
    if (this.pendingStart !== null) this.emit();
  }

  private emit(): void {
    const text = Buffer.concat(this.pending).toString('utf8').replace(/\r/g, '');
    const line = { t: this.pendingStart ?? 0, text };
    this.pending = [];
    this.pendingStart = null;
    this.lines.push(line);
    this.onLine(line);
  }
}
