/**
 * A systemd boot's units on the host timeline, the critical chain to the ready target, and the "surgery" list: the
 * units on that chain an image could mask, each with its share of the chain (Julia Evans cut her systemd start to
 * 0.3 s this way). The monotonic clock the manager stamps units with is the kernel's log clock, so a unit lands on the
 * host timeline with the same offset as the kernel's records (kernel clock zero).
 */
import { READY_UNIT_NAME } from '../../agent/systemd-unit.js';
import type { StageTiming } from '../types.js';
import type { UnitSpan } from './startup.js';
import { criticalChain } from './critical-chain.js';
import { systemdPhases } from './phases.js';
import {
  activationUs,
  reachedUs,
  type SurgeryCandidate,
  type SystemdDump,
  type SystemdResult,
  type UnitResult,
} from './unit-times.js';

/**
 * Units no image boots without, or that are not units of work: they are never offered for masking. Targets and
 * slices only group; the root mount, journald and udev's core are what the rest stands on.
 */
export const NOT_MASKABLE: readonly RegExp[] = [
  /\.(target|slice|scope|device)$/,
  /^-\.mount$/,
  /^systemd-journald\b/,
  /^systemd-udevd\b/,
  /^systemd-remount-fs\.service$/,
  /^dbus\b/,
  /^init\.scope$/,
];

export interface SystemdView {
  units: UnitResult[];
  systemd: SystemdResult | null;
}

/**
 * The dump → units (boot-budget's own ready unit left out: it is not the image's boot) and systemd's view. `zeroT` is
 * kernel clock zero on the host timeline, null when the clocks could not be aligned; `readyGuestUs` the guest time of
 * the ready marker, the end of the boot as boot-budget counts it.
 */
export function systemdView(dump: SystemdDump, zeroT: number | null, readyGuestUs: number | null): SystemdView {
  const byName = new Map(dump.units.map((u) => [u.name, u]));
  const target = dump.target ? byName.get(dump.target) : undefined;
  const own = byName.get(READY_UNIT_NAME);
  // Where the boot ends: the target being reached, else the ready unit starting, else the marker.
  const endUs =
    target && target.activatedUs > 0
      ? target.activatedUs
      : own && own.activatingUs > 0
        ? own.activatingUs
        : (readyGuestUs ?? 0);
  const chain = dump.target ? criticalChain(dump.target, dump.units, dump.boot.userspaceUs, endUs) : [];
  const onChain = new Set(chain.map((l) => l.name));
  const host = (us: number) => (zeroT === null ? null : zeroT + us / 1000);
  const units: UnitResult[] = dump.units
    .filter((u) => u.activatingUs > 0 && u.activatingUs <= endUs && u.name !== READY_UNIT_NAME)
    .map((u) => ({
      name: u.name,
      activating: host(u.activatingUs),
      active: reachedUs(u) > 0 && reachedUs(u) <= endUs ? host(reachedUs(u)) : null,
      ms: activationUs(u) / 1000,
      critical: onChain.has(u.name),
    }))
    .sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));

  const phases = systemdPhases(dump.boot, endUs);
  if (!phases) return { units, systemd: null };
  const chainMs = (endUs - dump.boot.userspaceUs) / 1000;
  const surgery: SurgeryCandidate[] = chain
    .filter((l) => l.ms > 0 && !NOT_MASKABLE.some((p) => p.test(l.name)))
    .map((l) => ({ name: l.name, ms: l.ms, share: chainMs > 0 ? l.ms / chainMs : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return {
    units,
    systemd: {
      ...phases,
      source: 'manager',
      ...(dump.target ? { target: dump.target, targetMs: chainMs } : {}),
      criticalChain: chain,
      surgery,
      ...(dump.waiting.length ? { waiting: dump.waiting } : {}),
      ...(dump.problems.length ? { problems: dump.problems.slice(0, 20) } : {}),
    },
  };
}

/** Units as the hint table reads them: time to start, and those still queued at ready. */
export function unitSpans(view: SystemdView): UnitSpan[] {
  return [
    ...view.units.map((u) => ({ unit: u.name, ms: u.ms })),
    ...(view.systemd?.waiting ?? []).map((unit) => ({ unit, ms: 0, waiting: true })),
  ];
}

/** A unit this large explains userspace better than the largest gap between two records: after journald starts,
 *  systemd logs to the journal, not the kernel log, so the gap only says where the log went quiet. */
const UNIT_SPAN_SHARE = 0.05;

/**
 * The unit the ready target waited for last becomes the stage's offending span when it is ≥ 5% of the stage: of the
 * units on the critical chain that took time, the one that finished last (the chain runs back in time from the target,
 * so this is its first unit of work). Slower units further down the chain overlapped with others; this one is what
 * userspace was still waiting on at the end. A unit without both host times (clocks not aligned) cannot be placed.
 */
export function withUnitSpan(stage: StageTiming, units: readonly UnitResult[]): StageTiming {
  let slowest: UnitResult | undefined;
  for (const unit of units) {
    if (!unit.critical || unit.ms <= 0 || unit.activating === null || unit.active === null) continue;
    if (unit.activating < stage.startT || unit.active > stage.endT) continue;
    if (!slowest || unit.active > slowest.active!) slowest = unit;
  }
  if (!slowest || slowest.ms <= 0 || slowest.ms < UNIT_SPAN_SHARE * stage.ms) return stage;
  return {
    ...stage,
    span: {
      from: `systemd:unit ${slowest.name} activating`,
      to: `systemd:unit ${slowest.name} active`,
      fromT: slowest.activating!,
      toT: slowest.active!,
      ms: slowest.ms,
      kind: 'unit',
    },
  };
}
