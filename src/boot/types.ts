import type { Accel, HypervisorName, Machine } from '../scenario/types.js';
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
}

/** What a backend needs to know to boot one pass. Paths are absolute and never written to. */
export interface BootRequest {
  kernel: string;
  initrd?: string;
  cmdline: string;
  cpus: number;
  memoryMiB: number;
  machine: Machine;
  accel: Accel;
}

export interface HypervisorCommand {
  file: string;
  args: string[];
  /** Kernel command line as the guest will see it, after the backend's own additions. */
  cmdline: string;
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
}
