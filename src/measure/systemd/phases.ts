/**
 * systemd's own split of the boot, computed from the manager's timestamps the way `systemd-analyze time` does
 * (src/analyze/analyze-time-data.c): firmware and loader are counted back from kernel start, the kernel ends where the
 * initrd (or userspace) starts, and userspace ends when the boot finished. The ready unit runs inside the boot
 * transaction, before systemd would call it finished, so userspace here ends when the ready target was reached: what
 * systemd-analyze prints as "<target> reached after … in userspace".
 */
import type { BootTimes, SystemdPhase } from './unit-times.js';

export interface SystemdPhases {
  phases: Partial<Record<SystemdPhase, number>>;
  totalMs: number;
}

const ms = (us: number) => us / 1000;

/** null when the manager's times say nothing useful (no userspace start, or an end before it). */
export function systemdPhases(boot: BootTimes, endUs: number): SystemdPhases | null {
  if (boot.userspaceUs <= 0 || endUs < boot.userspaceUs) return null;
  const phases: SystemdPhases['phases'] = {};
  if (boot.firmwareUs > 0) phases.firmware = ms(boot.firmwareUs - boot.loaderUs);
  if (boot.loaderUs > 0) phases.loader = ms(boot.loaderUs);
  // Outside a container systemd sets SecurityStartTimestamp, and then the kernel's part is known.
  const kernelDoneUs = boot.securityStartUs > 0 ? (boot.initrdUs > 0 ? boot.initrdUs : boot.userspaceUs) : 0;
  if (kernelDoneUs > 0) phases.kernel = ms(kernelDoneUs);
  if (boot.initrdUs > 0) phases.initrd = ms(boot.userspaceUs - boot.initrdUs);
  phases.userspace = ms(endUs - boot.userspaceUs);
  // As systemd-analyze: firmware + the monotonic end (which already counts kernel and initrd from zero).
  const totalMs = kernelDoneUs > 0 ? ms(boot.firmwareUs + endUs) : ms(endUs - boot.userspaceUs);
  return { phases, totalMs };
}
