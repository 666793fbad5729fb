import type { Clock, Firmware, Machine } from '../scenario/types.js';
import type { ConsoleCost } from './console-cost.js';
import type { Hint } from './hints.js';
import type { Initcall } from './initcalls.js';
import type { SystemdResult, UnitResult } from './systemd/unit-times.js';

/** One thing that happened during a boot, on the host timeline (ms since the hypervisor was spawned). */
export interface BootEvent {
  t: number;
  text: string;
  /** `console`: a line seen live on the serial console; `kmsg`: a kernel log record placed by clock alignment;
   *  `host`: something boot-budget itself observed (spawn, exit, kernel clock zero);
   *  `doorbell`: a guest-to-host doorbell ring, stamped by the host off the console (src/boot/doorbell.ts). */
  source: 'console' | 'kmsg' | 'host' | 'doorbell';
  /** The guest's own timestamp in ms, for kernel log records and printk lines on the console. */
  guestT?: number;
  /** Who wrote it. Kernel log records carry a syslog facility: 0 is the kernel, anything else userspace (the
   *  kernel files userspace's /dev/kmsg writes under LOG_USER). Plain console lines are written by userspace or
   *  firmware; printk lines on the console, by the kernel. */
  origin: 'kernel' | 'user' | 'host';
}

/** How the guest's kernel clock was pinned to host time. */
export interface ClockAlignment {
  /** Host time of kernel clock zero: the minimum of host − guest over the records seen on both sides. */
  kernelZeroT: number;
  /** How many records were seen on both sides. */
  pairs: number;
  /** Spread (max − min) of host − guest over those records: an upper bound on the alignment's error. */
  spreadMs: number;
}

/** The largest gap between two consecutive events inside a stage: the place to look first. */
export interface Span {
  from: string;
  to: string;
  fromT: number;
  toT: number;
  ms: number;
  /** `initcall` when the span is one initcall (from `calling` to `returned`), `unit` when it is one systemd unit's
   *  activation, rather than a gap between records. */
  kind?: 'gap' | 'initcall' | 'unit';
}

export interface StageTiming {
  name: string;
  startT: number;
  endT: number;
  ms: number;
  span: Span | null;
  /** What placed the stage's start and end (`OVMF (BdsDxe: starting)`, `kernel log …`); set on whole-disk boots. */
  edges?: { from: string; to: string };
}

export interface PassMeasurement {
  stages: StageTiming[];
  alignment: ClockAlignment | null;
  events: BootEvent[];
  /** From `initcall_debug` records in the kernel log; empty without it. */
  initcalls: Initcall[];
  /** systemd's own view of the boot: from the manager's timestamps that boot-budget's ready unit read, or from a
   *  `Startup finished` line the image logged. */
  systemd: SystemdResult | null;
  /** A systemd image's units with activation times, slowest first (read by boot-budget's ready unit). */
  units: UnitResult[];
  /** Kernel output on the serial console per stage, and its cost. */
  console: Record<string, ConsoleCost>;
  hints: Hint[];
}

/** What the pass was booted with, for hints that depend on it (machine type, `quiet`, firmware). */
export interface PassContext {
  machine?: Machine;
  cmdline?: string;
  firmware?: Firmware;
  /** `virtual`: place the boot on QEMU's virtual clock (virtual-clock.ts) instead of host time. */
  clock?: Clock;
}
