/**
 * Booting a whole disk through its own firmware and boot loader, with no `-kernel`: UEFI with Debian's OVMF, or the
 * machine's SeaBIOS. OVMF's variable store is a pflash drive opened with snapshot=on, so every pass starts from the
 * package's pristine NVRAM in a throw-away overlay of its own (a per-pass copy without the copying), and neither the
 * system file nor the user's image is ever written.
 */
import { existsSync } from 'node:fs';
import { InfraError } from '../errors.js';
import type { DiskFirmware } from '../scenario/types.js';

/** Debian's `ovmf` package; the 4M builds are the ones Debian's libvirt and MEASURED boots use. */
export const OVMF = {
  code: '/usr/share/OVMF/OVMF_CODE_4M.fd',
  vars: '/usr/share/OVMF/OVMF_VARS_4M.fd',
  install: 'sudo apt-get install ovmf',
} as const;

/** What results call each firmware. */
export const DISK_FIRMWARE_NAMES: Readonly<Record<DiskFirmware, string>> = { uefi: 'ovmf', bios: 'seabios' };

/** Throws an InfraError saying how to install the firmware when its files are missing. */
export function checkDiskFirmware(firmware: DiskFirmware): void {
  if (firmware !== 'uefi') return;
  for (const file of [OVMF.code, OVMF.vars]) {
    if (!existsSync(file))
      throw new InfraError(`${file} is missing; UEFI boots need OVMF.`, `Install it with: ${OVMF.install}`);
  }
}

/** QEMU arguments that make `firmware` the machine's firmware. SeaBIOS is QEMU's own default on pc and q35. */
export function diskFirmwareArgs(firmware: DiskFirmware): string[] {
  if (firmware === 'bios') return [];
  const pflash = (unit: number, file: string, extra: string) =>
    `if=pflash,format=raw,unit=${unit},file=${file.replace(/,/g, ',,')},${extra}`;
  return ['-drive', pflash(0, OVMF.code, 'readonly=on'), '-drive', pflash(1, OVMF.vars, 'snapshot=on')];
}

/** The `-kernel` of a request, for backends that only boot kernels directly (load.ts keeps disk boots on QEMU). */
export function directKernel(request: { kernel?: string }, backend: string): string {
  if (request.kernel === undefined) throw new InfraError(`${backend} boots kernels directly; it cannot boot a disk.`);
  return request.kernel;
}
