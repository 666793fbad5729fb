/**
 * The words the agent and the measure step agree on. The agent writes each marker first to /dev/kmsg (at KERN_INFO,
 * so `quiet` keeps it off the console) and then to /dev/console. The kmsg copy carries the guest's clock, the console
 * copy the host's; a marker seen in both pins the guest clock to host time.
 */
export const MARKER_PREFIX = 'boot-budget:';

export const Marker = {
  init: `${MARKER_PREFIX}init`,
  ready: `${MARKER_PREFIX}ready`,
  dmesgBegin: `${MARKER_PREFIX}dmesg-begin`,
  dmesgEnd: `${MARKER_PREFIX}dmesg-end`,
  /** Followed by ` <line number> <exit status>` when a `run:` line fails; the agent carries on. */
  runFailed: `${MARKER_PREFIX}run-failed`,
} as const;

export type MarkerName = keyof typeof Marker;
