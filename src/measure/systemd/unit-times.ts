/**
 * The data every systemd view shares, as systemd's own src/analyze/ shares `UnitTimes` and `BootTimes` between blame,
 * critical-chain and plot: what the ready unit read from the manager with `systemctl show`, and what results carry.
 * Guest times are µs on CLOCK_MONOTONIC, which is the kernel's log clock; 0 means "never", as in systemd.
 */

/** The manager's boot timestamps (analyze-time-data.c's BootTimes), µs. */
export interface BootTimes {
  /** Time before the kernel that the firmware ran, and the loader: counted back from kernel start, 0 when unknown. */
  firmwareUs: number;
  loaderUs: number;
  /** Whether the manager knows when the kernel started (KernelTimestamp is set outside containers). */
  kernelKnown: boolean;
  initrdUs: number;
  userspaceUs: number;
  /** When the boot transaction finished; 0 while the ready unit runs, since it is part of that transaction. */
  finishUs: number;
  securityStartUs: number;
}

/** One unit's activation (analyze-time-data.c's UnitTimes), µs since kernel clock zero. */
export interface UnitTimes {
  name: string;
  /** InactiveExitTimestampMonotonic: activation started. */
  activatingUs: number;
  /** ActiveEnterTimestampMonotonic: it became active. */
  activatedUs: number;
  /** ActiveExitTimestampMonotonic / InactiveEnterTimestampMonotonic: it stopped again (a oneshot that finished). */
  deactivatingUs: number;
  deactivatedUs: number;
  /** Units it is ordered after (`After=`): the edges the critical chain walks. */
  after: string[];
}

/** What one pass's ready unit dumped. */
export interface SystemdDump {
  boot: BootTimes;
  /** The unit the ready unit waited for (`default.target` resolved, e.g. `graphical.target`). */
  target: string | null;
  units: UnitTimes[];
  /** Units whose start job was still queued at ready (`systemctl list-jobs`, state `waiting`). */
  waiting: string[];
  /** Lines of the dump that were not systemctl's `Key=value` output (its error messages), for the report. */
  problems: string[];
}

/** systemd's phases, as `systemd-analyze time` names them. */
export type SystemdPhase = 'firmware' | 'loader' | 'kernel' | 'initrd' | 'userspace';

/**
 * When the unit's activation ended: it became active, or, for a unit that never stayed active (a oneshot service
 * without RemainAfterExit, which goes from activating straight back to inactive), when it finished. 0 for neither.
 */
export function reachedUs(unit: UnitTimes): number {
  if (unit.activatedUs > 0) return unit.activatedUs;
  if (unit.activatingUs > 0 && unit.deactivatedUs >= unit.activatingUs) return unit.deactivatedUs;
  return 0;
}

/** Time to start, as blame computes it: to active, or to inactive again for a unit that never stayed active. */
export function activationUs(unit: UnitTimes): number {
  if (unit.activatedUs >= unit.activatingUs && unit.activatedUs > 0) return unit.activatedUs - unit.activatingUs;
  if (unit.deactivatedUs >= unit.activatingUs && unit.deactivatedUs > 0) return unit.deactivatedUs - unit.activatingUs;
  return 0;
}

// ─── What results carry (judge/types.ts, the JSON report and everything that reads it) ───

/** One unit of the boot on the host timeline (ms since the hypervisor was spawned). */
export interface UnitResult {
  name: string;
  /** When it started activating; null when the kernel clock could not be aligned to host time. */
  activating: number | null;
  /** When its activation ended: it became active, or (a oneshot that ran and exited) it finished; null when neither
   *  happened before ready (a unit that still waits) or the clocks could not be aligned. */
  active: number | null;
  /** Time to start, as `systemd-analyze blame` counts it. */
  ms: number;
  /** On the critical chain to the ready target. */
  critical: boolean;
}

/** One link of the critical chain, target first, as `systemd-analyze critical-chain` prints it. */
export interface ChainLink {
  name: string;
  /** When it became active (or, a oneshot, finished), ms after userspace started (`@…`). */
  atMs: number;
  /** Time to start (`+…`); 0 for units that took none (targets, most mounts). */
  ms: number;
}

/** A unit on the critical chain that the image could do without, and how much of the chain it is. */
export interface SurgeryCandidate {
  name: string;
  ms: number;
  /** ms over the chain's length (userspace start → target reached). */
  share: number;
}

/** systemd's view of one boot, beside boot-budget's own stages (never instead of them). */
export interface SystemdResult {
  /** ms per phase, computed from the manager's timestamps as `systemd-analyze time` does, or from `Startup finished`. */
  phases: Partial<Record<SystemdPhase, number>>;
  totalMs: number;
  /** Where the phases came from. */
  source?: 'manager' | 'startup-finished';
  /** The target the ready unit waited for, and when it was reached, ms after userspace started. */
  target?: string;
  targetMs?: number;
  criticalChain?: ChainLink[];
  surgery?: SurgeryCandidate[];
  /** Units whose start job was still queued when the ready unit ran. */
  waiting?: string[];
  /** systemctl's complaints while the ready unit read the manager, if any. */
  problems?: string[];
}
