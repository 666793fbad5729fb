/** One thing that happened during a boot, on the host timeline (ms since the hypervisor was spawned). */
export interface BootEvent {
  t: number;
  text: string;
  /** `console`: a line seen live on the serial console; `kmsg`: a kernel log record placed by clock alignment;
   *  `host`: something boot-budget itself observed (spawn, exit, kernel clock zero). */
  source: 'console' | 'kmsg' | 'host';
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
}

export interface StageTiming {
  name: string;
  startT: number;
  endT: number;
  ms: number;
  span: Span | null;
}

export interface PassMeasurement {
  stages: StageTiming[];
  alignment: ClockAlignment | null;
  events: BootEvent[];
}
