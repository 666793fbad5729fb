/**
 * The host packages that scenarios need, derived from the scenarios themselves: one table that the Action's
 * `install: true`, `boot-budget doctor`'s "missing packages" and its `apt-get install` line all read. The names are
 * the same on Debian 12 and Ubuntu 24.04 (both archives carry every one, see the README's "Kernels on Debian and
 * Ubuntu"). A new artifact or boot feature that runs a host tool adds a row here, not a list of its own.
 */
import type { KernelSpec, RootfsSpec, Scenario } from '../scenario/types.js';

export interface HostPackage {
  /** The Debian/Ubuntu package name. */
  name: string;
  /** What boot-budget uses it for, shown by doctor. */
  why: string;
}

/** What one scenario asks of the host: its own kernel and rootfs, and its baseline's when it has one. */
interface Uses {
  scenario: Scenario | undefined;
  kernels: KernelSpec[];
  rootfs: RootfsSpec[];
}

interface Requirement extends HostPackage {
  /** Whether a scenario needs it; with no scenario at all, the Quick start's needs (a busybox boot) are meant. */
  needed(uses: Uses): boolean;
}

const treeLayers = (uses: Uses) => uses.rootfs.flatMap((r) => ('layers' in r ? r.layers : []));
const BUILD_TOOLS = 'the kernel build (make bzImage)';

export const HOST_REQUIREMENTS: readonly Requirement[] = [
  // The KVM proof boots a QEMU test guest whatever the hypervisor, so QEMU is always needed.
  { name: 'qemu-system-x86', why: 'the qemu hypervisor and the KVM proof', needed: () => true },
  {
    name: 'busybox-static',
    why: 'the busybox initramfs and the agent added to trees',
    needed: ({ scenario, rootfs }) =>
      scenario === undefined || rootfs.some((r) => r.kind === 'busybox' || ('agent' in r && r.agent)),
  },
  {
    name: 'e2fsprogs',
    why: 'ext4 root images made without root (mke2fs -d, debugfs)',
    needed: ({ rootfs }) => rootfs.some((r) => r.kind === 'ext4'),
  },
  {
    name: 'mmdebstrap',
    why: 'Debian trees built by mmdebstrap (rootfs `mmdebstrap:`)',
    needed: ({ rootfs }) => rootfs.some((r) => 'base' in r && r.base !== undefined),
  },
  {
    // Ubuntu does not trust Debian's archive by default; on Debian this is always installed already.
    name: 'debian-archive-keyring',
    why: "mmdebstrap's check of Debian's archive signatures",
    needed: ({ rootfs }) => rootfs.some((r) => 'base' in r && r.base !== undefined),
  },
  {
    name: 'xz-utils',
    why: '.tar.xz tarballs (the xz tool)',
    needed: (uses) =>
      treeLayers(uses).some((l) => /\.(tar\.xz|txz)$/.test(l.path)) ||
      uses.kernels.some(
        (k) => k.kind === 'build' && k.build.source.kind === 'tarball' && /xz$/.test(k.build.source.path),
      ),
  },
  {
    name: 'ovmf',
    why: 'UEFI firmware for whole-disk boots (boot: disk, firmware: uefi)',
    needed: ({ scenario }) => scenario?.boot === 'disk' && scenario.firmware === 'uefi',
  },
  ...(
    [
      ['fdisk', 'the partition table of a built disk image (sfdisk on a file)'],
      ['dosfstools', "a built disk image's EFI system partition (mkfs.vfat)"],
      ['mtools', "files on a built disk image's ESP without mounting it (mmd, mcopy)"],
    ] as const
  ).map(
    ([name, why]): Requirement => ({
      name,
      why,
      needed: ({ rootfs }) => rootfs.some((r) => r.kind === 'disk-image'),
    }),
  ),
  ...(
    [
      ['systemd-boot-efi', 'systemd-boot for a built disk image', 'systemd-boot', 'uefi'],
      ['grub-efi-amd64-bin', 'GRUB for a built UEFI disk image (grub-mkimage)', 'grub', 'uefi'],
      ['grub-pc-bin', 'GRUB for a built BIOS disk image (grub-mkimage, boot.img)', 'grub', 'bios'],
    ] as const
  ).map(
    ([name, why, loader, firmware]): Requirement => ({
      name,
      why,
      needed: ({ rootfs }) =>
        rootfs.some((r) => r.kind === 'disk-image' && r.loader === loader && r.firmware === firmware),
    }),
  ),
  ...['build-essential', 'bc', 'flex', 'bison', 'libelf-dev', 'libssl-dev'].map(
    (name): Requirement => ({
      name,
      why: BUILD_TOOLS,
      needed: ({ kernels }) => kernels.some((k) => k.kind === 'build'),
    }),
  ),
];

function usesOf(scenario: Scenario): Uses {
  const kernels = [
    ...(scenario.kernel ? [scenario.kernel] : []),
    ...(scenario.rootfs.kind === 'disk-image' ? [scenario.rootfs.kernel] : []),
    ...(scenario.baseline?.kernel ? [scenario.baseline.kernel] : []),
  ];
  const own = [scenario.rootfs, ...(scenario.baseline?.rootfs ? [scenario.baseline.rootfs] : [])];
  // A disk image is built from a rootfs of its own, which needs what that rootfs needs.
  const rootfs = own.flatMap((r): RootfsSpec[] => (r.kind === 'disk-image' ? [r, r.from] : [r]));
  return { scenario, kernels, rootfs };
}

/**
 * The packages these scenarios need, in the table's order and each once. With no scenarios: what the Quick start's
 * busybox scenario needs, which is what `doctor` checks when it is given none.
 */
export function hostPackagesFor(scenarios: readonly Scenario[]): HostPackage[] {
  const uses = scenarios.length ? scenarios.map(usesOf) : [{ scenario: undefined, kernels: [], rootfs: [] }];
  return HOST_REQUIREMENTS.filter((r) => uses.some((u) => r.needed(u))).map(({ name, why }) => ({ name, why }));
}

/** Whether a scenario resolves a package from apt's lists (an apt kernel, or kernel source from apt). */
export function needsFreshAptLists(scenarios: readonly Scenario[]): boolean {
  return scenarios
    .flatMap((s) => usesOf(s).kernels)
    .some((k) => k.kind === 'apt' || (k.kind === 'build' && k.build.source.kind === 'apt'));
}

/** The one line a user runs to install `missing`. */
export function aptInstallCommand(missing: readonly string[]): string {
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`;
}
