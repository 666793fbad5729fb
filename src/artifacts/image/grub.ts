/**
 * GRUB for a disk image, without root and without grub-install (which wants a mounted disk): `grub-mkimage` builds
 * the loader with an embedded configuration that reads `grub.cfg` from the image's ESP. For UEFI it is the ESP's
 * BOOTX64.EFI. For BIOS, core.img goes into a BIOS boot partition and boot.img into the MBR's first 440 bytes, patched
 * as grub-bios-setup patches them: boot.img learns the sector core.img starts at, and core.img's first sector
 * (diskboot.img) the sector where the rest of core.img follows.
 */
import { open, readFile, stat } from 'node:fs/promises';
import type { DiskFirmware } from '../../scenario/types.js';
import type { LoaderEntry } from './loaders.js';
import { runTool } from './tools.js';

const GRUB_LIB = '/usr/lib/grub';

/** Where each platform's modules and images live, and the package that ships them. */
export const GRUB_PLATFORMS: Readonly<Record<DiskFirmware, { format: string; dir: string; package: string }>> = {
  uefi: { format: 'x86_64-efi', dir: `${GRUB_LIB}/x86_64-efi`, package: 'grub-efi-amd64-bin' },
  bios: { format: 'i386-pc', dir: `${GRUB_LIB}/i386-pc`, package: 'grub-pc-bin' },
};

const COMMON_MODULES = ['part_gpt', 'fat', 'normal', 'configfile', 'linux', 'echo', 'test'];
const PLATFORM_MODULES: Readonly<Record<DiskFirmware, readonly string[]>> = {
  // biosdisk reads the disk through the BIOS; serial + terminal put GRUB on ttyS0 (SeaBIOS has no serial console).
  bios: ['biosdisk', 'serial', 'terminal'],
  // OVMF's console already includes the serial port.
  uefi: [],
};

/** The line GRUB prints first in boot-budget's images: it places the `loader` stage's start on BIOS boots. */
export const GRUB_START_LINE = 'GRUB: reading /grub/grub.cfg';

/** The configuration built into the GRUB image: console, then the ESP's grub.cfg. */
export function grubEarlyConfig(firmware: DiskFirmware, espPartition: number): string {
  return [
    ...(firmware === 'bios'
      ? ['serial --unit=0 --speed=115200', 'terminal_input serial', 'terminal_output serial']
      : []),
    `set root=(hd0,gpt${espPartition})`,
    'set prefix=($root)/grub',
    `echo '${GRUB_START_LINE}'`,
    'configfile /grub/grub.cfg',
    '',
  ].join('\n');
}

/** grub.cfg on the ESP: one entry, booted after `timeout` seconds (GRUB draws its menu and counts down). */
export function grubConfig(entry: LoaderEntry): string {
  return [
    `set timeout=${entry.menuTimeoutS}`,
    'set default=0',
    "menuentry 'boot-budget' {",
    // Debian's generated grub.cfg prints the same two lines.
    "  echo 'Loading Linux ...'",
    `  linux ${entry.kernel} ${entry.options}`,
    ...(entry.initrd ? ["  echo 'Loading initial ramdisk ...'", `  initrd ${entry.initrd}`] : []),
    '}',
    '',
  ].join('\n');
}

/** Runs grub-mkimage into `out` with the early config at `configFile`. */
export async function makeGrubImage(firmware: DiskFirmware, out: string, configFile: string): Promise<void> {
  const platform = GRUB_PLATFORMS[firmware];
  await stat(platform.dir).catch(() => {
    throw new Error(`${platform.dir} is missing; install it with: sudo apt-get install ${platform.package}`);
  });
  await runTool('grub-mkimage', [
    '-O',
    platform.format,
    '-d',
    platform.dir,
    '-o',
    out,
    '-c',
    configFile,
    '-p',
    '/grub',
    ...COMMON_MODULES,
    ...PLATFORM_MODULES[firmware],
  ]);
}

const SECTOR = 512;
/** Offsets in boot.img (grub-core/boot/i386/pc/boot.S): the LBA of core.img, and the drive check grub-bios-setup
 *  turns into two NOPs for hard disks (some BIOSes pass a wrong boot drive). */
const BOOT_KERNEL_SECTOR = 0x5c;
const BOOT_DRIVE_CHECK = 0x66;
/** The MBR's boot code ends where the disk signature and the partition table begin. */
const MBR_CODE_BYTES = 440;
/** diskboot.img ends its sector with a blocklist entry: start LBA (8 bytes), sector count (2), segment (2). */
const BLOCKLIST_START = SECTOR - 12;

/** Writes core.img at `coreLba` and boot.img into the MBR of `disk`, patched to find each other. */
export async function installGrubBios(disk: string, coreImg: string, coreLba: number): Promise<void> {
  const boot = await readFile(`${GRUB_PLATFORMS.bios.dir}/boot.img`);
  const core = await readFile(coreImg);
  core.writeBigUInt64LE(BigInt(coreLba + 1), BLOCKLIST_START);
  boot.writeBigUInt64LE(BigInt(coreLba), BOOT_KERNEL_SECTOR);
  boot[BOOT_DRIVE_CHECK] = 0x90;
  boot[BOOT_DRIVE_CHECK + 1] = 0x90;
  const file = await open(disk, 'r+');
  try {
    await file.write(boot, 0, MBR_CODE_BYTES, 0);
    await file.write(core, 0, core.length, coreLba * SECTOR);
  } finally {
    await file.close();
  }
}
