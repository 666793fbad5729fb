import type { BootLoader, DiskFirmware, KernelSpec, RootfsSpec, Scenario } from '../scenario/types.js';

/** What artifact builders may use: where the cache lives and how to tell people what is going on. */
export interface ArtifactContext {
  /** Root of the local content-addressed cache, e.g. ~/.cache/boot-budget. */
  cacheDir: string;
  /** One line of progress for people ("downloading linux-image-…"). */
  log(message: string): void;
  /** A shared second-level cache (GitHub's Actions cache) behind the local store, when running where one exists. */
  remoteCache?: RemoteCache;
  /** A line that replaces the previous one, for progress on a terminal; without it, progress comes as periodic `log` lines. */
  live?(message: string): void;
}

export interface KernelArtifact {
  /** Absolute path of a bootable kernel image (bzImage/vmlinuz). Never modified. */
  path: string;
  /** Short human description, e.g. `linux-image-6.1.0-56-cloud-amd64 6.1.192-2 (apt)`. */
  description: string;
  /** The kernel's /lib/modules/<version> tree, when known (apt kernels keep theirs). */
  modulesDir?: string;
  /** The kernel's .config, when known (kernels built from source). */
  configPath?: string;
}

/** A disk the guest boots from. Never written to: QEMU gets it with snapshot=on. */
export interface DriveArtifact {
  path: string;
  format: 'raw' | 'qcow2';
  /** How it is attached: built-in NVMe or virtio-blk, whichever the kernel can use without modules. */
  interface: 'nvme' | 'virtio';
}

/** What boots the tree, and how boot-budget sees it reach ready. */
export interface InitInfo {
  /** `agent` (boot-budget's busybox agent), `systemd`, or `other` (the tree's own init, ready by regex). */
  kind: 'agent' | 'systemd' | 'other';
  /** The init program inside the image, e.g. `/sbin/init -> /lib/systemd/systemd`. */
  path: string;
  /** How ready is detected, for people: e.g. `boot-budget's ready unit after graphical.target`. */
  readiness: string;
}

export interface RootfsArtifact {
  /** What boots the tree and how ready is seen; absent where the builder does not know (a disk image). */
  init?: InitInfo;
  /** Absolute path of an initramfs to pass as initrd, when the rootfs is one. */
  initrd?: string;
  /** True when boot-budget's agent is /init and will print the markers. */
  agent: boolean;
  description: string;
  /** Block devices to attach, for a disk root. */
  drives?: DriveArtifact[];
  /** Kernel parameters the rootfs needs (`root=`, `init=`), each added only when the cmdline lacks its key. */
  cmdline?: string[];
  /** How the root device is reached, e.g. `nvme (built into the kernel) → /dev/nvme0n1`; shown in results. */
  rootDevice?: string;
  /**
   * Set when the first drive is a whole bootable disk: the firmware boots it through its own loader, with no
   * `-kernel`. `loader` and `cmdline` are known when boot-budget built the image.
   */
  wholeDisk?: { firmware: DiskFirmware; loader?: BootLoader; cmdline?: string };
}

/** A way to obtain a kernel. One implementation per `kernel:` variant (path, apt, url, build). */
export interface KernelSource<S extends KernelSpec = KernelSpec> {
  readonly kind: S['kind'];
  resolve(spec: S, ctx: ArtifactContext): Promise<KernelArtifact>;
}

/** A way to obtain a root filesystem. One implementation per `rootfs:` variant. */
export interface RootfsSource<S extends RootfsSpec = RootfsSpec> {
  readonly kind: S['kind'];
  build(spec: S, scenario: Scenario, ctx: ArtifactContext, kernel?: KernelArtifact): Promise<RootfsArtifact>;
}

/**
 * A second-level cache shared between machines, such as GitHub's Actions cache. Entries are directories named by
 * immutable keys (`boot-budget-<kind>-<hash>`): a key is saved once, on a miss, and never overwritten. Failures are
 * the adapter's to swallow as warnings; a run never fails because a remote cache did.
 */
export interface RemoteCache {
  /** Restores the entry into `dir` (which it creates); true on a hit. */
  restore(key: string, dir: string): Promise<boolean>;
  /** Saves `dir` under `key`. */
  save(key: string, dir: string): Promise<void>;
}
