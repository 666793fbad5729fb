/**
 * QEMU's deterministic mode for `clock: virtual`. With `-icount shift=0` every guest instruction advances QEMU's
 * virtual clock by 1 ns (2^0), so guest time counts work rather than host time: measured here, five boots while the
 * 2-core machine was loaded gave `Run /init` within 0.26% of each other. `sleep=off` lets an idle guest jump straight
 * to its next timer instead of waiting for the host clock to get there, and `align=off` stops QEMU from slowing the
 * guest to match the host. `-rtc clock=vm` with a fixed base gives the guest the same date on every boot, so nothing
 * the kernel does depends on the host's time of day.
 *
 * QEMU refuses icount under KVM ("-icount is not allowed with hardware virtualization") and with more than one vCPU
 * (MTTCG), which is why a virtual-clock scenario is TCG with `cpus: 1` (src/scenario/clock.ts).
 */
import { CLOCK_ENV } from '../agent/protocol.js';

/** The icount settings a virtual-clock result records, so that results taken otherwise are never compared with it. */
export interface IcountSettings {
  shift: number;
  sleep: boolean;
  align: boolean;
  /** The guest's real-time clock at reset. */
  rtcBase: string;
}

export const ICOUNT: IcountSettings = { shift: 0, sleep: false, align: false, rtcBase: '2020-01-01T00:00:00' };

export function icountArgs(settings: IcountSettings = ICOUNT): string[] {
  const onOff = (on: boolean) => (on ? 'on' : 'off');
  return [
    '-icount',
    `shift=${settings.shift},sleep=${onOff(settings.sleep)},align=${onOff(settings.align)}`,
    '-rtc',
    `clock=vm,base=${settings.rtcBase}`,
  ];
}

/** The kernel command line word that tells the agent to read the TSC (src/agent/tsc.ts). */
export const VIRTUAL_CLOCK_PARAM = `${CLOCK_ENV}=virtual`;
