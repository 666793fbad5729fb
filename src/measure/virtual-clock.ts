/**
 * Placing a boot on QEMU's virtual clock (`clock: virtual`). The kernel log already carries guest time; what it lacks
 * is where kernel clock zero falls after reset, and where the boot ends. The agent reads the TSC, which under
 * `-icount shift=0` counts virtual ns from reset (src/agent/tsc.ts), once right after ready into the kernel log and
 * once after the log dump onto the console.
 *
 * The kernel's clock is not simply "TSC since some point", measured here on Debian's 6.1 cloud kernel: printk time
 * is the scheduler clock (TSC − TSC at its first use) until the kernel marks that clock stable, and from then on the
 * same plus a fixed offset, which the kernel logs as the last number of
 * `sched_clock: Marking stable (tick_gtod, gtod_offset)->(tick_raw, sched_clock_offset)` (135.8 ms here, the same on
 * every boot: it is how far the jiffies-driven clock had run ahead of the TSC by then). Three TSC reads in one boot
 * gave kernel clock zero at 120.4265, 120.4260 and 120.4263 ms of virtual time once that offset was taken out, but
 * 15.4 ms *before* reset without it. So kernel clock zero in virtual time is `TSC − (printk time − offset)` of the
 * agent's record, and `firmware` is that.
 *
 * The kernel's own stages stay on the kernel's clock (zero at kernel clock zero), so that log records, initcalls and
 * spans sit where the kernel put them; `total` is then firmware + the kernel's time of ready. A TSC read after the
 * offset applies, as both of the agent's are, maps to the kernel's clock as `TSC + offset`.
 */
import { Marker } from '../agent/protocol.js';

const SCHED_CLOCK_STABLE = /^sched_clock: Marking stable \(-?\d+, -?\d+\)->\(-?\d+, (-?\d+)\)/;
/** The kernel's last words before the machine resets or powers off; QEMU (-no-reboot) exits right after. */
const KERNEL_EXIT = /^reboot: (?:Restarting system|Power down|System halted)/;

const tscValue = (text: string, marker: string): number | undefined => {
  if (!text.startsWith(`${marker} `)) return undefined;
  const value = Number(text.slice(marker.length + 1).trim());
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
};

/** Where the boot's edges fall on the kernel's clock extended back to reset (ms since reset). */
export interface VirtualAnchors {
  kernelZeroT: number;
  /** After the log dump: where `shutdown` starts. */
  dumpEndT?: number;
  /** The kernel's reset or power-off message: where `shutdown` ends. */
  exitT?: number;
}

/** Collects the few records the virtual clock needs as the measure step streams the console and the log by. */
export class VirtualClockReadings {
  private offsetNs = 0;
  private ready?: { tsc: number; guestMs: number };
  private endTsc?: number;
  private exitGuestMs?: number;

  /** A kernel log record from the dump. */
  logRecord(text: string, guestMs: number): void {
    if (text.charCodeAt(0) === 115 /* s */) {
      const stable = SCHED_CLOCK_STABLE.exec(text);
      if (stable) this.offsetNs = Number(stable[1]);
      return;
    }
    if (this.ready === undefined) {
      const tsc = tscValue(text, Marker.tscReady);
      if (tsc !== undefined) this.ready = { tsc, guestMs };
    }
  }

  /** A console line outside the dump; `guestMs` when it is a printk line. */
  consoleLine(text: string, guestMs: number | undefined, afterDump: boolean): void {
    if (guestMs === undefined) {
      this.endTsc ??= tscValue(text, Marker.tscEnd);
      return;
    }
    if (afterDump && KERNEL_EXIT.test(text)) this.exitGuestMs ??= guestMs;
  }

  /** Null when the agent's TSC record is missing (no TSC reader in the image): then nothing can be placed. */
  anchors(): VirtualAnchors | null {
    if (!this.ready) return null;
    const offsetMs = this.offsetNs / 1e6;
    const onKernelClock = (tsc: number) => tsc / 1e6 + offsetMs;
    const kernelZeroT = onKernelClock(this.ready.tsc) - this.ready.guestMs;
    return {
      kernelZeroT,
      ...(this.endTsc !== undefined ? { dumpEndT: onKernelClock(this.endTsc) } : {}),
      ...(this.exitGuestMs !== undefined ? { exitT: kernelZeroT + this.exitGuestMs } : {}),
    };
  }
}
