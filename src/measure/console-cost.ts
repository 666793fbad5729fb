/**
 * What a chatty serial console costs. Without `quiet`, the kernel writes every record to the UART synchronously, so
 * the boot waits for each byte. The host sees those bytes arrive; when the console is saturated, bytes per host
 * millisecond is the console's throughput, and the stage's printed bytes divided by it is the time it cost.
 */
import type { ConsoleLine } from '../boot/types.js';

/** `[    1.234567] …`: a kernel record written to the console (the agent's own lines have no timestamp). */
const PRINTK_ON_CONSOLE = /^(?:<\d+>)?\[\s*\d+\.\d+\]/;

/** Lines per window when measuring throughput: enough to average out how Node batches bytes into data events. */
const WINDOW_LINES = 20;

export interface ConsoleCost {
  lines: number;
  /** Bytes on the wire, counting the CR LF after each line. */
  bytes: number;
  /** Measured cost of one byte, in µs; null when too few kernel lines reached the console to measure it. */
  usPerByte: number | null;
  /** bytes × usPerByte, in ms. */
  ms: number;
}

const wireBytes = (line: ConsoleLine) => Buffer.byteLength(line.text) + 2;

/**
 * The console's cost per byte: the 10th percentile, over windows of consecutive kernel console lines, of host time
 * per byte. The fastest windows are those where the guest did nothing but print; a low percentile rather than the
 * minimum keeps one burst of batched arrivals from passing for an impossibly fast UART.
 */
function usPerByteOf(printk: readonly ConsoleLine[]): number | null {
  const rates: number[] = [];
  for (let i = 0; i + WINDOW_LINES < printk.length; i += WINDOW_LINES) {
    let bytes = 0;
    for (let j = i; j < i + WINDOW_LINES; j++) bytes += wireBytes(printk[j]!);
    const elapsed = printk[i + WINDOW_LINES]!.t - printk[i]!.t;
    // A window that arrived in one read (the host was busy elsewhere, then read a backlog at once) has no elapsed time
    // and says nothing about the UART; under load such windows were a tenth of all, and the cost came out as 0 µs.
    if (elapsed > 0) rates.push((elapsed * 1000) / bytes);
  }
  if (rates.length < 3) return null;
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length * 0.1)]!;
}

/**
 * Kernel console output during each stage (between its host times), and what it cost, by stage name. Log-dump lines
 * are not counted. The cost per byte is the whole console's, before the dump, so it is measured once for all stages.
 */
export function consoleCosts(
  lines: readonly ConsoleLine[],
  stages: ReadonlyArray<{ name: string; startT: number; endT: number }>,
  dumpStartT = Infinity,
): Record<string, ConsoleCost> {
  const printk = lines.filter((l) => l.t < dumpStartT && PRINTK_ON_CONSOLE.test(l.text));
  const usPerByte = usPerByteOf(printk);
  const costs: Record<string, ConsoleCost> = {};
  for (const { name, startT, endT } of stages) {
    let count = 0;
    let bytes = 0;
    for (const line of printk) {
      if (line.t < startT || line.t >= endT) continue;
      count++;
      bytes += wireBytes(line);
    }
    costs[name] = { lines: count, bytes, usPerByte, ms: usPerByte === null ? 0 : (bytes * usPerByte) / 1000 };
  }
  return costs;
}
