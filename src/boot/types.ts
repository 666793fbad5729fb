import type { Accel, Clock, DiskFirmware, HypervisorName, Machine } from '../scenario/types.js';
import type { LiveStage } from './live-stage.js';

/** One console line, stamped with host time (ms since the hypervisor was spawned) at the arrival of its first byte. */
export interface ConsoleLine {
  t: number;
  text: string;
}

/** How a pass ended, as seen by the pass runner. */
export type PassOutcome =
  | { kind: 'exited'; code: number | null; signal: string | null }
  | { kind: 'timeout'; afterMs: number }
  /** Nothing past the firmware on the console within `afterMs` (PassOptions.stallMs). */
  | { kind: 'stalled'; afterMs: number }
  | { kind: 'panic'; line: string }
  | { kind: 'spawn-failed'; message: string };

/** Everything one boot left behind; the measure step works from this alone. */
export interface BootTrace {
  accel: Accel;
  argv: string[];
  lines: ConsoleLine[];
  /** Host time (ms since spawn) at which the hypervisor process exited, or was killed. */
  exitT: number | null;
  outcome: PassOutcome;
  /** The last thing the hypervisor wrote on stderr (errors such as "could not load kernel"). */
  stderrTail: string;
  /** The furthest stage the console showed, judged live; names where a failed boot stopped. */
  reached: LiveStage;
  /** Set when the console produced more than the capture keeps. */
  truncatedBytes: number;
  /** The guest's doorbell rings, host-stamped, when the scenario asked for a doorbell (see doorbell.ts). */
  doorbell?: DoorbellMark[];
}

/** One ring of a guest-to-host doorbell, stamped with host time (ms since spawn) when the host saw it. */
export interface DoorbellMark {
  t: number;
  /** Which agent mark it was, when the code is one of the agent's; other rings (firmware's, the kernel's) have none. */
  mark?: 'init' | 'ready';
  /** What was rung, for people: e.g. `doorbell: ready (debugcon 0x02)`. */
  text: string;
  /** The hypervisor's own measurement of the same moment, when it reports one (ms since its own start). */
  vmmMs?: number;
}

/**
 * Where a backend's doorbell rings arrive and how to read them. `fd3` is an extra channel (a FIFO the pass runner
 * passes as the hypervisor's fd 3) read as bytes; `stdout` and `stderr` carry the hypervisor's own log lines.
 */
export type DoorbellChannel =
  | { channel: 'fd3'; decode(chunk: Buffer, t: number): DoorbellMark[] }
  | { channel: 'stdout' | 'stderr'; decode(line: ConsoleLine): DoorbellMark[] };

/** What a backend needs to know to boot one pass. Paths are absolute and never written to. */
export interface BootRequest {
  /** The kernel for `-kernel`; absent for a whole-disk boot (`diskBoot`), whose loader finds the kernel itself. */
  kernel?: string;
  /** Boot the first drive through this firmware and the disk's own loader (QEMU only). */
  diskBoot?: { firmware: DiskFirmware };
  initrd?: string;
  cmdline: string;
  cpus: number;
  memoryMiB: number;
  machine: Machine;
  accel: Accel;
  /** QEMU only: a firmware image for `-bios` (qboot for `firmware: qboot`); the machine's own firmware otherwise. */
  bios?: string;
  /** `virtual`: QEMU's instruction counter drives guest time (src/boot/icount.ts); TCG with one vCPU only. */
  clock?: Clock;
  /** Ask the backend for its guest-to-host doorbell (QEMU isa-debugcon, Firecracker boot timer, CH port 0x80). */
  doorbell?: boolean;
  /** A block device for the guest; read-only unless the scenario says otherwise. */
  disk?: { path: string; readOnly: boolean };
  /**
   * Root disks from the artifacts step, attached as the device the kernel has built in. QEMU opens them with
   * snapshot=on, so the guest's writes never reach the file (cache entries and users' images stay byte-identical).
   */
  drives?: Array<{ path: string; format: 'raw' | 'qcow2'; interface: 'nvme' | 'virtio' }>;
}

export interface HypervisorCommand {
  file: string;
  args: string[];
  /** Kernel command line as the guest will see it, after the backend's own additions. */
  cmdline: string;
  doorbell?: DoorbellChannel;
  /** Removes what the command needs on disk (a generated config file); called once its passes are done. */
  release?: () => void;
}

/**
 * A hypervisor backend only knows how to turn a request into a command line and how to name itself. The pass
 * runner owns the process, the console capture and the clean-up, so every backend gets them the same way.
 */
export interface HypervisorBackend {
  readonly name: HypervisorName;
  /** Resolves the binary and its version, or throws an InfraError that says how to install it. */
  detect(): Promise<{ binary: string; version: string }>;
  command(binary: string, request: BootRequest): HypervisorCommand;
  /** Turns the resolved kernel into one this hypervisor boots (e.g. a bzImage into a vmlinux ELF), cached. */
  prepareKernel?(kernel: string, cacheDir: string, log: (message: string) => void): Promise<string>;
}
