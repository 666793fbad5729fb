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
  /** Written to /dev/kmsg only, as `<marker> <line number>: <line>`, just before each `run:` line starts: it names the
   *  run line a userspace span belongs to, without a byte on the console. */
  run: `${MARKER_PREFIX}run`,
  /** Prefixes each line of `systemd-analyze blame` that a systemd image's ready unit prints after ready. */
  blame: `${MARKER_PREFIX}blame`,
  /** Written like the ready marker, right after it, by a systemd image's ready unit: more pairs of kmsg and console
   *  copies to pin the clocks with, each written by boot-budget itself. */
  sync: `${MARKER_PREFIX}sync`,
  /** Around the `systemctl show` output a systemd image's ready unit prints after ready (src/agent/systemd-unit.ts). */
  systemdBegin: `${MARKER_PREFIX}systemd-begin`,
  systemdEnd: `${MARKER_PREFIX}systemd-end`,
  /** Followed by ` <line number> <exit status>` when a `run:` line fails; the agent carries on. */
  runFailed: `${MARKER_PREFIX}run-failed`,
  /** `clock: virtual`: followed by the TSC read just after ready, written to /dev/kmsg only (src/agent/tsc.ts). */
  tscReady: `${MARKER_PREFIX}tsc-ready`,
  /** `clock: virtual`: followed by the TSC read after the log dump, written to the console: where shutdown starts. */
  tscEnd: `${MARKER_PREFIX}tsc-end`,
} as const;

/**
 * Guest-to-host doorbells: the agent rings one at init and at ready through a channel that is not the serial console,
 * so the marks cost no console bytes and survive `quiet`. The host puts `<DOORBELL_ENV>=<kind>` on the kernel command
 * line; the kernel hands unknown `name=value` words to init as environment, so the agent learns the kind without
 * reading a file. Each kind is data: how the guest rings, and the byte it rings with for each mark.
 */
export const DOORBELL_ENV = 'BOOT_BUDGET_DOORBELL';

export type DoorbellKind = 'debugcon' | 'port80' | 'boot-timer';

export interface Doorbell {
  /** The x86 I/O port the guest writes its code to; none for a doorbell rung another way. */
  port?: number;
  codes: Partial<Record<'init' | 'ready', number>>;
}

export const DOORBELLS: {
  debugcon: Doorbell & { port: number };
  port80: Doorbell & { port: number };
  'boot-timer': Doorbell;
} = {
  // QEMU isa-debugcon, at the port SeaBIOS and OVMF already print to. SeaBIOS's debug log shares it, so the codes are
  // control bytes it never writes.
  debugcon: { port: 0x402, codes: { init: 0x01, ready: 0x02 } },
  // Cloud Hypervisor's debug port; 0x60–0x7f is its "Userspace" range.
  port80: { port: 0x80, codes: { init: 0x60, ready: 0x61 } },
  // Firecracker's boot timer takes one magic value (123) and logs the time once; it marks ready only.
  'boot-timer': { codes: { ready: 123 } },
};

/** Set to `poweroff` on the command line by backends whose guest reboot restarts the VM instead of ending it. */
export const END_ENV = 'BOOT_BUDGET_END';

/** Set to `virtual` on the command line for `clock: virtual`: the agent then reads the TSC at ready and after the dump. */
export const CLOCK_ENV = 'BOOT_BUDGET_CLOCK';
