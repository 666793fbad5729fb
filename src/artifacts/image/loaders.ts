/**
 * What each boot loader puts on the ESP, as data: its binary (from a Debian package, or built) and the configuration
 * files that boot one entry with the scenario's kernel, initrd and command line after `menuTimeoutS` seconds.
 */
import type { BootLoader, DiskFirmware } from '../../scenario/types.js';
import type { EspFile } from './esp.js';
import { grubConfig } from './grub.js';

export interface LoaderEntry {
  /** Paths on the ESP. */
  kernel: string;
  initrd?: string;
  options: string;
  menuTimeoutS: number;
}

export interface LoaderInfo {
  firmware: readonly DiskFirmware[];
  /**
   * The loader's binary: a file a package ships (installed as the removable-media path that OVMF boots without any
   * NVRAM entry), or `grub-mkimage` to build one per image (grub.ts).
   */
  binary: { file: string } | { build: 'grub-mkimage' };
  package: string;
  files(entry: LoaderEntry): EspFile[];
}

/** UEFI's removable-media boot path: firmware boots it when no Boot#### variable names anything else. */
export const REMOVABLE_EFI_PATH = '/EFI/BOOT/BOOTX64.EFI';

export const LOADERS: Readonly<Partial<Record<BootLoader, LoaderInfo>>> = {
  'systemd-boot': {
    firmware: ['uefi'],
    binary: { file: '/usr/lib/systemd/boot/efi/systemd-bootx64.efi' },
    package: 'systemd-boot-efi',
    files: (entry) => [
      // `timeout 0` boots the default entry without drawing the menu; a positive one waits that long on the menu.
      { at: '/loader/loader.conf', text: `timeout ${entry.menuTimeoutS}\ndefault boot-budget.conf\neditor no\n` },
      {
        at: '/loader/entries/boot-budget.conf',
        text: [
          'title boot-budget',
          `linux ${entry.kernel}`,
          ...(entry.initrd ? [`initrd ${entry.initrd}`] : []),
          `options ${entry.options}`,
          '',
        ].join('\n'),
      },
    ],
  },
  grub: {
    firmware: ['uefi', 'bios'],
    binary: { build: 'grub-mkimage' },
    package: 'grub-efi-amd64-bin (UEFI) or grub-pc-bin (BIOS)',
    files: (entry) => [{ at: '/grub/grub.cfg', text: grubConfig(entry) }],
  },
};
