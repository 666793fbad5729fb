/**
 * Cloud Hypervisor, booting the kernel directly (`--kernel`, `--initramfs`, `--cmdline`) with the serial port on
 * stdout (`--serial tty`) and the virtio console off (`--console off`), per its docs (cli options, debug-port.md).
 *
 * Kernel formats: on x86_64 its direct kernel boot takes an ELF vmlinux with a PVH entry note (a kernel built with
 * CONFIG_PVH=y, as Debian's are); a bzImage boots only through firmware (rust-hypervisor-firmware or CLOUDHV.fd) from a
 * disk image. So prepareKernel extracts the vmlinux from a bzImage (vmlinux.ts) and refuses one without the PVH note.
 *
 * Doorbell: port 0x80. Cloud Hypervisor logs every byte written there with its range name and the time since the VM
 * started, on stderr at warn level (debug in older releases): `[Debug I/O port: Userspace code 0x61] 0.123456 seconds`.
 */
import { END_ENV } from '../agent/protocol.js';
import { directKernel } from './disk-boot.js';
import { InfraError } from '../errors.js';
import { detectBinary } from './detect.js';
import { withQuirks, type CmdlineQuirk } from './cmdline.js';
import { doorbellParam, markForCode } from './doorbell.js';
import { cachedVmlinux } from './vmlinux.js';
import type { BootRequest, ConsoleLine, DoorbellMark, HypervisorBackend, HypervisorCommand } from './types.js';

export const CLOUD_HYPERVISOR_BINARY = 'cloud-hypervisor';

const INSTALL_HINT =
  'Cloud Hypervisor is not packaged in Debian or npm: put a release binary on PATH as `cloud-hypervisor` (see cloud-hypervisor/cloud-hypervisor docs).';

export const CLOUD_HYPERVISOR_QUIRKS: readonly CmdlineQuirk[] = [
  { key: 'console', param: 'console=ttyS0', why: '`--serial tty` is the legacy UART at 0x3f8, connected to stdout' },
  // Cloud Hypervisor resets a guest that reboots and boots it again; a power-off ends the VMM.
  { key: END_ENV, param: `${END_ENV}=poweroff`, why: 'a guest reboot restarts the VM; the agent powers off instead' },
  { key: 'panic', param: 'panic=-1', why: 'a panic must end the VM at once rather than hang until the timeout' },
];

export function cloudHypervisorCmdline(request: Pick<BootRequest, 'cmdline' | 'doorbell'>): string {
  return withQuirks(
    `${request.cmdline}${request.doorbell ? ` ${doorbellParam('port80')}` : ''}`,
    CLOUD_HYPERVISOR_QUIRKS,
  );
}

/** `cmdline` defaults to the request's with the quirks; command() passes the one it has already made. */
export function cloudHypervisorArgs(request: BootRequest, cmdline = cloudHypervisorCmdline(request)): string[] {
  return [
    '--kernel',
    directKernel(request, 'cloud-hypervisor'),
    ...(request.initrd ? ['--initramfs', request.initrd] : []),
    '--cmdline',
    cmdline,
    '--cpus',
    `boot=${request.cpus}`,
    '--memory',
    `size=${request.memoryMiB}M`,
    '--serial',
    'tty',
    '--console',
    'off',
    ...(request.disk ? ['--disk', `path=${request.disk.path}${request.disk.readOnly ? ',readonly=on' : ''}`] : []),
  ];
}

export type DebugPortRange = 'Firmware' | 'Bootloader' | 'Kernel' | 'Userspace' | 'Custom';

export interface DebugPortRecord {
  range: DebugPortRange;
  code: number;
  /** Seconds since the VM started, as Cloud Hypervisor measured them. */
  seconds: number;
  /** The same, in whole microseconds, as printed. */
  micros: number;
}

const DEBUG_PORT =
  /\[Debug I\/O port: (Firmware|Bootloader|Kernel|Userspace|Custom) code 0x([0-9a-fA-F]{1,2})\]\s+(\d+)\.(\d+) seconds/;

/**
 * Parses one debug-port log line. Upstream formats the time as `{as_secs}.{as_micros:>06}`: the part after the dot is
 * the *total* microseconds, not the fraction, so 1.5 s prints as `1.1500000`. Any fraction longer than six digits is
 * read that way, and checked against the seconds before it; a six-digit one is a plain fraction (as below 1 s, or if
 * upstream ever prints the fraction properly).
 */
export function parseDebugPortLine(text: string): DebugPortRecord | undefined {
  const match = DEBUG_PORT.exec(text);
  if (!match) return undefined;
  const [, range, hex, secs, frac] = match as unknown as [string, DebugPortRange, string, string, string];
  let micros: number;
  if (frac.length > 6) {
    micros = Number(frac);
    if (Math.floor(micros / 1e6) !== Number(secs)) return undefined;
  } else {
    micros = Number(secs) * 1e6 + Number(frac.padEnd(6, '0'));
  }
  return { range, code: parseInt(hex, 16), seconds: micros / 1e6, micros };
}

export function decodeDebugPortLine(line: ConsoleLine): DoorbellMark[] {
  const record = parseDebugPortLine(line.text);
  if (!record) return [];
  const mark = record.range === 'Userspace' ? markForCode('port80', record.code) : undefined;
  const label = `${record.range} code 0x${record.code.toString(16).padStart(2, '0')}`;
  return [
    {
      t: line.t,
      ...(mark ? { mark } : {}),
      text: mark ? `doorbell: ${mark} (${label})` : `doorbell: ${label}`,
      vmmMs: record.micros / 1000,
    },
  ];
}

export function parseCloudHypervisorVersion(stdout: string): string {
  return /cloud-hypervisor\s+v?(\S+)/i.exec(stdout)?.[1] ?? stdout.split('\n')[0]?.trim() ?? 'unknown';
}

export const cloudHypervisorBackend: HypervisorBackend = {
  name: 'cloud-hypervisor',

  detect() {
    return detectBinary(CLOUD_HYPERVISOR_BINARY, parseCloudHypervisorVersion, INSTALL_HINT);
  },

  command(binary: string, request: BootRequest): HypervisorCommand {
    const cmdline = cloudHypervisorCmdline(request);
    return {
      file: binary,
      args: cloudHypervisorArgs(request, cmdline),
      cmdline,
      ...(request.doorbell ? { doorbell: { channel: 'stderr' as const, decode: decodeDebugPortLine } } : {}),
    };
  },

  async prepareKernel(kernel, cacheDir, log) {
    const vmlinux = await cachedVmlinux(kernel, cacheDir, log);
    if (!vmlinux.info.pvh) {
      throw new InfraError(
        `${kernel} has no PVH entry note, so Cloud Hypervisor cannot boot it directly.`,
        'Build the kernel with CONFIG_PVH=y, or boot it through firmware from a disk image.',
      );
    }
    return vmlinux.path;
  },
};
