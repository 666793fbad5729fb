import { existsSync } from 'node:fs';
import type { Accel, Firmware, Machine } from '../scenario/types.js';
import { withQuirks, type CmdlineQuirk } from './cmdline.js';
import { detectBinary } from './detect.js';
import { diskFirmwareArgs } from './disk-boot.js';
import { DEBUGCON_IOBASE, decodeDebugcon, doorbellParam } from './doorbell.js';
import { icountArgs, VIRTUAL_CLOCK_PARAM } from './icount.js';
import type { BootRequest, HypervisorBackend, HypervisorCommand } from './types.js';

export const QEMU_BINARY = 'qemu-system-x86_64';

/** Where Debian's qemu-system-data ships qboot; `firmware: qboot` boots pc/q35 with it instead of SeaBIOS. */
export const QBOOT_ROM = '/usr/share/qemu/qboot.rom';

/**
 * `-bios` for a scenario's `firmware:`. microvm's own firmware is already qboot (bios-microvm.bin); a host without
 * qboot.rom boots the machine's own firmware rather than failing, and `qbootMissing` lets the caller say so.
 */
export function qemuBios(machine: Machine, firmware: Firmware): { bios?: string; qbootMissing?: true } {
  if (firmware !== 'qboot' || machine === 'microvm') return {};
  return existsSync(QBOOT_ROM) ? { bios: QBOOT_ROM } : { qbootMissing: true };
}

const INSTALL_HINT = 'Install it with: sudo apt-get install qemu-system-x86';

/** Kernel parameters a machine needs to boot and end a pass, per accelerator where it matters; both were measured here. */
const MACHINE_QUIRKS: ReadonlyArray<CmdlineQuirk & { machine: Machine; accel?: Accel }> = [
  {
    machine: 'microvm',
    accel: 'tcg',
    key: 'tsc_early_khz',
    param: 'tsc_early_khz=2000000',
    why: 'microvm under TCG hangs after "tsc: Marking TSC unstable" unless the early TSC frequency is given',
  },
  {
    machine: 'microvm',
    key: 'reboot',
    param: 'reboot=t',
    why: 'microvm does not end on the default reboot methods (QEMU ran until the timeout); a triple-fault reset does, as -no-reboot turns it into an exit',
  },
];

/** Added on every machine, after its own quirks. */
const SAFETY_PARAMS: readonly CmdlineQuirk[] = [
  { key: 'panic', param: 'panic=-1', why: 'a panic must end the VM at once rather than hang until the timeout' },
];

function effectiveCmdline(request: Pick<BootRequest, 'cmdline' | 'machine' | 'accel'>): string {
  const machine = MACHINE_QUIRKS.filter(
    (q) => q.machine === request.machine && (q.accel === undefined || q.accel === request.accel),
  );
  return withQuirks(request.cmdline, [...machine, ...SAFETY_PARAMS]);
}

/** `-drive`/`-device` pairs for the request's drives; a comma in a path is doubled, as QEMU's option syntax wants. */
function qemuDriveArgs(request: Pick<BootRequest, 'drives' | 'machine'>): string[] {
  return (request.drives ?? []).flatMap((drive, i) => {
    const id = `bbdisk${i}`;
    const file = drive.path.replace(/,/g, ',,');
    const device =
      drive.interface === 'nvme'
        ? `nvme,drive=${id},serial=bb${i}`
        : `${request.machine === 'microvm' ? 'virtio-blk-device' : 'virtio-blk-pci'},drive=${id}`;
    return ['-drive', `if=none,id=${id},file=${file},format=${drive.format},snapshot=on`, '-device', device];
  });
}

export const qemuBackend: HypervisorBackend = {
  name: 'qemu',

  detect() {
    return detectBinary(
      QEMU_BINARY,
      (stdout) => /version\s+(\S+)/.exec(stdout)?.[1] ?? stdout.split('\n')[0]?.trim() ?? 'unknown',
      INSTALL_HINT,
    );
  },

  command(binary: string, request: BootRequest): HypervisorCommand {
    const virtual = request.clock === 'virtual';
    const cmdline = [
      effectiveCmdline(request),
      ...(request.doorbell ? [doorbellParam('debugcon')] : []),
      ...(virtual ? [VIRTUAL_CLOCK_PARAM] : []),
    ].join(' ');
    const args = [
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      // Its stdout, which runPass makes a FIFO: measured here, a unix-socket chardev dropped console characters under
      // TCG.
      '-serial',
      'stdio',
      // The agent ends a pass with `reboot -f`; this turns that into a clean exit on every machine type.
      '-no-reboot',
      '-machine',
      request.machine,
      ...(request.bios ? ['-bios', request.bios] : []),
      '-accel',
      request.accel,
      ...(virtual ? icountArgs() : []),
      '-cpu',
      request.accel === 'kvm' ? 'host' : 'max',
      '-smp',
      String(request.cpus),
      '-m',
      `${request.memoryMiB}M`,
      ...(request.diskBoot || request.kernel === undefined
        ? diskFirmwareArgs(request.diskBoot?.firmware ?? 'bios')
        : ['-kernel', request.kernel, ...(request.initrd ? ['-initrd', request.initrd] : []), '-append', cmdline]),
      ...qemuDriveArgs(request),
      // The pass runner hands QEMU a FIFO as fd 3; debugcon bytes are written as the guest outputs them, unbuffered.
      ...(request.doorbell
        ? [
            '-chardev',
            'file,id=doorbell,path=/dev/fd/3',
            '-device',
            `isa-debugcon,iobase=0x${DEBUGCON_IOBASE.toString(16)},chardev=doorbell`,
          ]
        : []),
    ];
    return {
      file: binary,
      args,
      cmdline,
      ...(request.doorbell ? { doorbell: { channel: 'fd3' as const, decode: decodeDebugcon } } : {}),
    };
  },
};
