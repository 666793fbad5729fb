/**
 * Whole-disk boots in the scenario file: `boot: disk`, the `disk-image:` rootfs source, and the rules that tie them
 * to `kernel:`, `firmware:` and `machine:`. The schema pieces are factories over the kernel and rootfs schemas that
 * schema.ts owns, so that this module needs nothing from it (schema.ts imports this one).
 */
import { z } from 'zod';
import { sizeSchema } from './value-schemas.js';

export const BOOT_MODES = ['kernel', 'disk'] as const;
export const DISK_FIRMWARES = ['uefi', 'bios'] as const;
export const BOOT_LOADERS = ['systemd-boot', 'grub'] as const;

export const bootSchema = z
  .enum(BOOT_MODES)
  .default('kernel')
  .describe(
    '`kernel` (default) hands QEMU the kernel with -kernel. `disk` boots the `rootfs:` disk through its own firmware and boot loader, as a real machine does: no `kernel:` key, `firmware: uefi` or `bios`, and the extra `loader` (and `initrd`) stages.',
  );

/** `rootfs: { disk-image: … }`, given the schemas of a kernel source and of the rootfs sources it may be built from. */
export function diskImageSchema<K extends z.ZodType, F extends z.ZodType>(kernel: K, from: F) {
  return z
    .strictObject({
      'disk-image': z
        .strictObject({
          from: from.describe(
            'What the guest runs: `busybox: {}` or `initramfs:` (an initramfs on the ESP), or `tarball:`/`layers:` (an ext4 root partition).',
          ),
          kernel: kernel.describe('The kernel the boot loader starts: any kernel source.'),
          loader: z
            .enum(BOOT_LOADERS)
            .default('systemd-boot')
            .describe(
              'The boot loader: `systemd-boot` (UEFI only) or `grub` (UEFI, or BIOS with core.img in a BIOS boot partition).',
            ),
          firmware: z
            .enum(DISK_FIRMWARES)
            .default('uefi')
            .describe(
              'The firmware the disk is laid out for: `uefi` (OVMF boots EFI/BOOT/BOOTX64.EFI) or `bios` (SeaBIOS boots GRUB from the MBR; needs `loader: grub`).',
            ),
          'menu-timeout': z
            .int()
            .min(0)
            .max(600)
            .default(0)
            .describe(
              "The loader menu's timeout in seconds (systemd-boot's `timeout`, GRUB's `timeout`); 0 boots the entry at once. It shows up inside the `loader` stage.",
            ),
          size: sizeSchema((input) => `${input} has no unit; write a size such as 256M`)
            .optional()
            .describe('The disk size, e.g. 256M; default: its partitions plus 2 MiB.'),
        })
        .describe('A whole bootable GPT disk that boot-budget builds without root: ESP, loader, kernel and rootfs.'),
    })
    .describe('Build a bootable disk image (boot it with `boot: disk`).');
}

export interface DiskBootProblem {
  path: Array<string | number>;
  detail: string;
  anchor: 'key' | 'value' | 'parent';
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The cross-key rules of whole-disk boots, which a per-key schema cannot state. */
export function diskBootProblems(data: unknown): DiskBootProblem[] {
  if (!isObject(data)) return [];
  const boot = data['boot'] ?? 'kernel';
  const rootfs = isObject(data['rootfs']) ? data['rootfs'] : {};
  const image = isObject(rootfs['disk-image']) ? rootfs['disk-image'] : undefined;
  const firmware = data['firmware'];
  const problems: DiskBootProblem[] = [];
  if (boot === 'kernel') {
    if (image)
      problems.push({
        path: ['rootfs', 'disk-image'],
        detail: 'a disk image boots through its own firmware and loader; add `boot: disk` (and drop `kernel:`)',
        anchor: 'key',
      });
    else if (!('kernel' in data))
      problems.push({
        path: ['kernel'],
        detail:
          'missing `kernel:`; a scenario boots a kernel (`kernel: {apt: linux-image-cloud-amd64}`) or, with `boot: disk`, a disk image through its own firmware',
        anchor: 'parent',
      });
    if (firmware === 'uefi' || firmware === 'bios')
      problems.push({
        path: ['firmware'],
        detail: `firmware: ${firmware} boots a disk through its own loader; add \`boot: disk\`, or use \`qboot\` or \`default\` with -kernel`,
        anchor: 'value',
      });
    return problems;
  }
  if (boot !== 'disk') return [];
  if ('kernel' in data)
    problems.push({
      path: ['kernel'],
      detail:
        'with `boot: disk` the disk carries its own kernel; drop `kernel:` (a `disk-image:` names its `kernel:` inside)',
      anchor: 'key',
    });
  if (!image && !('disk' in rootfs))
    problems.push({
      path: ['rootfs'],
      detail: '`boot: disk` needs a disk: `rootfs: { disk: { image: … } }` or `rootfs: { disk-image: … }`',
      anchor: 'key',
    });
  if (firmware === 'qboot' || firmware === 'default')
    problems.push({
      path: ['firmware'],
      detail: `with \`boot: disk\` the firmware is \`uefi\` (OVMF) or \`bios\` (SeaBIOS), not ${firmware}`,
      anchor: 'value',
    });
  const imageFirmware = image?.['firmware'] ?? (image ? 'uefi' : undefined);
  if (
    imageFirmware &&
    typeof firmware === 'string' &&
    firmware !== imageFirmware &&
    DISK_FIRMWARES.includes(firmware as never)
  )
    problems.push({
      path: ['firmware'],
      detail: `the disk image is laid out for ${String(imageFirmware)} but the scenario boots it with ${firmware}`,
      anchor: 'value',
    });
  if (data['machine'] === 'microvm')
    problems.push({
      path: ['machine'],
      detail: 'microvm has no firmware that boots a disk; use `machine: q35` (or pc)',
      anchor: 'value',
    });
  // KVM is proved by booting the kernel it will run; a user's disk hides its kernel behind its own loader, so
  // `required` could only be taken on trust (it boots under TCG, see docs/architecture.md).
  if (!image && 'disk' in rootfs && data['kvm'] === 'required')
    problems.push({
      path: ['kvm'],
      detail:
        "KVM cannot be proved on a user's disk image: boot-budget proves KVM by booting the kernel it will run, and this image's kernel sits behind its own loader; use `kvm: auto` (it boots under TCG) or build the image with `rootfs: { disk-image: … }`",
      anchor: 'value',
    });
  if (data['hypervisor'] !== undefined && data['hypervisor'] !== 'qemu')
    problems.push({ path: ['hypervisor'], detail: '`boot: disk` needs `hypervisor: qemu`', anchor: 'value' });
  return problems;
}

/** The firmware a scenario boots with when `firmware:` is not given. */
export function defaultFirmware(
  boot: (typeof BOOT_MODES)[number],
  imageFirmware: (typeof DISK_FIRMWARES)[number] | undefined,
): 'qboot' | (typeof DISK_FIRMWARES)[number] {
  return boot === 'disk' ? (imageFirmware ?? 'uefi') : 'qboot';
}
