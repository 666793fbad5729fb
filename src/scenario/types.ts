/**
 * The typed, validated form of one scenario file. The zod schema in `schema.ts` is the source of truth for what a
 * user may write; `load.ts` turns that raw shape into this one, resolving paths and compiling regexes, and keeps the
 * source position of every key that a later error or annotation has to point at.
 */

/** A place in a scenario file: 1-based line and column, as editors and GitHub annotations count them. */
export interface SourcePos {
  line: number;
  column: number;
}

export type Accel = 'kvm' | 'tcg';
/** `wall`: host time; `virtual`: QEMU's virtual clock under icount (src/boot/icount.ts). */
export type Clock = 'wall' | 'virtual';
export type KvmMode = 'auto' | 'required' | 'off';
export type Machine = 'pc' | 'q35' | 'microvm';
export type Firmware = 'default' | 'qboot' | DiskFirmware;
/** The firmware a whole-disk boot starts in: OVMF (UEFI) or SeaBIOS (legacy BIOS). */
export type DiskFirmware = 'uefi' | 'bios';
/** `boot: kernel` hands QEMU the kernel (`-kernel`); `boot: disk` boots the image through its own firmware and loader. */
export type BootMode = 'kernel' | 'disk';
export type BootLoader = 'systemd-boot' | 'grub';
export type HypervisorName = 'qemu' | 'firecracker' | 'cloud-hypervisor';
export type Statistic = 'median' | 'mean' | 'p90' | 'max';
export type BudgetLevel = 'error' | 'warn';

/** Where `kernel.apt` is written, so that "none of these packages exists here" points at the key. */
export interface AptKernelLocation extends SourcePos {
  /** The scenario file as the user should see it. */
  file: string;
  /** `kernel.apt`, or `baseline.kernel.apt`. */
  keyPath: string;
}

export type KernelSpec =
  | { kind: 'path'; path: string } // absolute, resolved against the scenario file's directory
  /** Candidates tried in order against the host's apt; the first it has is used. */
  | { kind: 'apt'; packages: string[]; at?: AptKernelLocation }
  | { kind: 'url'; url: string; sha256: string }
  | { kind: 'build'; build: KernelBuildSpec };

/** Where kernel sources come from; paths are absolute. */
export type KernelSourceSpec =
  | { kind: 'dir'; path: string }
  | { kind: 'tarball'; path: string }
  | { kind: 'url'; url: string; sha256: string }
  | { kind: 'apt'; package: string };

export interface KernelBuildSpec {
  source: KernelSourceSpec;
  /** A make target such as tinyconfig, or an absolute path to a .config. */
  config: { kind: 'target'; name: 'defconfig' | 'tinyconfig' | 'allnoconfig' } | { kind: 'file'; path: string };
  /** Config fragments in order: files (absolute paths) or inline `CONFIG_X=y` text. */
  fragments: Array<{ kind: 'file'; path: string } | { kind: 'inline'; text: string }>;
  makeArgs: string[];
  target: string;
}

/** One input of a rootfs: a directory or a tarball (absolute path). */
export type TreeSourceSpec = { kind: 'dir' | 'tarball'; path: string };

/** A tree that mmdebstrap builds; the tree's other layers go on top of it. */
export interface MmdebstrapSpec {
  suite: string;
  variant: string;
  include: string[];
  /** A mirror URL, or an apt sources file (absolute path). */
  mirror?: { kind: 'url'; url: string } | { kind: 'file'; path: string };
}

export type RootfsSpec =
  | { kind: 'busybox' }
  | {
      kind: 'initramfs';
      base?: MmdebstrapSpec;
      layers: TreeSourceSpec[];
      agent: boolean;
      extractLimitBytes?: number;
    }
  | {
      kind: 'ext4';
      base?: MmdebstrapSpec;
      layers: TreeSourceSpec[];
      agent: boolean;
      sizeMiB?: number;
      extractLimitBytes?: number;
    }
  | { kind: 'disk'; image: string; format: 'raw' | 'qcow2' }
  | DiskImageSpec;

/** `disk-image:`: a whole bootable disk (partition table, ESP, bootloader, kernel, rootfs) that boot-budget builds. */
export interface DiskImageSpec {
  kind: 'disk-image';
  /** What the guest runs: an initramfs (`busybox`, `initramfs`) goes on the ESP, an ext4 tree becomes partition 2. */
  from: Exclude<RootfsSpec, { kind: 'disk' } | { kind: 'disk-image' }>;
  kernel: KernelSpec;
  loader: BootLoader;
  firmware: DiskFirmware;
  /** The loader's menu timeout in whole seconds (systemd-boot `timeout`, GRUB's `timeout`); 0 boots at once. */
  menuTimeoutS: number;
  sizeMiB?: number;
}

/** `agent` is boot-budget's own marker: the busybox agent's, or on a systemd image its ready unit's after
 *  default.target; `target`/`unit` name what a systemd image's ready unit waits for instead. */
export type ReadySpec =
  | { kind: 'agent' }
  | { kind: 'regex'; regex: RegExp }
  | { kind: 'target' | 'unit'; name: string; pos: SourcePos };

/** A user-defined stage: from the first event matching `from` to the first later event matching `to`. */
export interface StageDef {
  name: string;
  from: RegExp;
  to: RegExp;
  pos: SourcePos;
}

export interface Budget {
  stage: string;
  maxMs: number;
  level: BudgetLevel;
  statistic: Statistic;
  /** Position of the budget's key under `budgets:`; annotations point here. */
  pos: SourcePos;
}

export interface Scenario {
  name: string;
  /** Absolute path of the scenario file. */
  file: string;
  /** The path as the user should see it (relative to the working directory when inside it). */
  displayFile: string;
  /** Absent exactly when `boot` is `disk`: the image carries its own kernel. */
  kernel?: KernelSpec;
  rootfs: RootfsSpec;
  boot: BootMode;
  hypervisor: HypervisorName;
  /** Have the agent ring the hypervisor's guest-to-host doorbell at init and ready (see src/boot/doorbell.ts). */
  doorbell: boolean;
  machine: Machine;
  /** `firmware:`; `qboot` maps to QEMU's `-bios` with Debian's qboot.rom (bench/profiles.ts). */
  firmware: Firmware;
  kvm: KvmMode;
  clock: Clock;
  cpus: number;
  memoryMiB: number;
  cmdline: string;
  /** `initcalls: true`: the boot step adds `initcall_debug log_buf_len=4M` to the cmdline (see boot/cmdline.ts). */
  initcalls: boolean;
  passes: number;
  warmup: number;
  timeoutMs: number;
  ready: ReadySpec;
  /** Shell lines the agent runs between the init and ready markers. */
  run: string[];
  stages: StageDef[];
  budgets: Budget[];
  /** Positions of top-level keys (e.g. `name`, `kernel`), for errors found after loading. */
  keyPos: Record<string, SourcePos>;
  /** `max-passes:` when given; the core defaults to 15. */
  maxPasses?: number;
  /** `regression:` when given; compare and A/B use the defaults otherwise. */
  regression?: RegressionSpec;
  /** `baseline:` when given: the A side of a same-job A/B. */
  baseline?: BaselineSpec;
}

/** Only the keys the file sets: the rest come from the clock's defaults (judge/regression.ts). */
export interface RegressionSpec {
  /** Fraction: 0.05 for `max-increase: 5%`. */
  maxIncrease?: number;
  pValue?: number;
  minMs?: number;
  /** Position of the `regression:` key; regression annotations point here. */
  pos: SourcePos;
}

/** What the baseline side replaces; everything else is the scenario's own. */
export interface BaselineSpec {
  kernel?: KernelSpec;
  rootfs?: RootfsSpec;
  run?: string[];
  cmdline?: string;
  pos: SourcePos;
}
