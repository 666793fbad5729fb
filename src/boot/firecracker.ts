/**
 * Firecracker, run without its API socket from a generated JSON config (`firecracker --no-api --config-file FILE`).
 * Field names follow Firecracker's docs/getting-started.md and its API swagger (`boot-source`, `drives`,
 * `machine-config`). The serial console (ttyS0) and Firecracker's own log both go to stdout.
 *
 * Firecracker is KVM-only and, on x86_64, boots an uncompressed ELF vmlinux, not a bzImage: prepareKernel extracts
 * one (vmlinux.ts). Its i8042 emulation is partial (only enough for the guest to reset the machine): a kernel that
 * probes the PS/2 AUX port waits for it, the 0.3 s pause in Julia Evans' Firecracker boot. Firecracker users boot with
 * `i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd`; boot-budget leaves that to the scenario, so a budget shows it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { directKernel } from './disk-boot.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectBinary } from './detect.js';
import { withQuirks, type CmdlineQuirk } from './cmdline.js';
import { doorbellParam, markForCode } from './doorbell.js';
import { trackTempDir } from './processes.js';
import { cachedVmlinux } from './vmlinux.js';
import type { BootRequest, ConsoleLine, DoorbellMark, HypervisorBackend, HypervisorCommand } from './types.js';

export const FIRECRACKER_BINARY = 'firecracker';

const INSTALL_HINT =
  'Firecracker is not packaged in Debian or npm: put a release binary on PATH as `firecracker` (see firecracker-microvm/firecracker docs/getting-started.md).';

/** Kernel parameters Firecracker guests need, as its getting-started guide boots them. */
export const FIRECRACKER_QUIRKS: readonly CmdlineQuirk[] = [
  { key: 'console', param: 'console=ttyS0', why: 'the one serial port, which Firecracker connects to its stdout' },
  {
    key: '8250.nr_uarts',
    param: '8250.nr_uarts=1',
    why: 'Firecracker emulates one UART; the kernel otherwise probes four',
  },
  {
    key: 'reboot',
    param: 'reboot=k',
    why: 'Firecracker ends the VM on an i8042 reset; other reboot methods do not reach it',
  },
  { key: 'pci', param: 'pci=off', why: 'Firecracker has no PCI bus by default; probing for one is wasted time' },
  { key: 'panic', param: 'panic=-1', why: 'a panic must end the VM at once rather than hang until the timeout' },
];

/** The config file's shape, as documented for `--config-file` (the same objects as the API's PUT bodies). */
export interface FirecrackerConfig {
  'boot-source': { kernel_image_path: string; boot_args: string; initrd_path?: string };
  drives: Array<{ drive_id: string; path_on_host: string; is_root_device: boolean; is_read_only: boolean }>;
  'machine-config': { vcpu_count: number; mem_size_mib: number };
}

export function firecrackerCmdline(request: Pick<BootRequest, 'cmdline' | 'doorbell'>): string {
  // The boot timer needs no agent parameter to exist, but the agent must know to ring it.
  return withQuirks(
    `${request.cmdline}${request.doorbell ? ` ${doorbellParam('boot-timer')}` : ''}`,
    FIRECRACKER_QUIRKS,
  );
}

/** `cmdline` defaults to the request's with the quirks; command() passes the one it has already made. */
export function firecrackerConfig(request: BootRequest, cmdline = firecrackerCmdline(request)): FirecrackerConfig {
  return {
    'boot-source': {
      kernel_image_path: directKernel(request, 'firecracker'),
      boot_args: cmdline,
      ...(request.initrd ? { initrd_path: request.initrd } : {}),
    },
    drives: request.disk
      ? [
          {
            drive_id: 'rootfs',
            path_on_host: request.disk.path,
            is_root_device: !request.initrd,
            is_read_only: request.disk.readOnly,
          },
        ]
      : [],
    'machine-config': { vcpu_count: request.cpus, mem_size_mib: request.memoryMiB },
  };
}

/** `--level Info` because the boot timer logs at Info and the default level is Warning (docs/logger.md). */
export function firecrackerArgs(configFile: string, doorbell: boolean): string[] {
  return ['--no-api', '--config-file', configFile, ...(doorbell ? ['--boot-timer', '--level', 'Info'] : [])];
}

// Firecracker's boot timer: `Guest-boot-time = {:>6} us {} ms, {:>6} CPU us {} CPU ms` (src/vmm, log_boot_time). The
// log line may carry a timestamp and level prefix, and may land mid-line in the console, so it is searched for.
const BOOT_TIME = /Guest-boot-time\s*=\s*(\d+)\s*us\s+(\d+)\s*ms,\s*(\d+)\s*CPU us\s+(\d+)\s*CPU ms/;

export function parseGuestBootTime(text: string): { us: number; cpuUs: number } | undefined {
  const match = BOOT_TIME.exec(text);
  return match ? { us: Number(match[1]), cpuUs: Number(match[3]) } : undefined;
}

/** A stdout line with the boot-timer log becomes the ready ring; the boot timer only rings for the agent's ready. */
export function decodeBootTimerLine(line: ConsoleLine): DoorbellMark[] {
  const parsed = parseGuestBootTime(line.text);
  if (!parsed) return [];
  return [
    {
      t: line.t,
      mark: markForCode('boot-timer', 123),
      text: `doorbell: ready (Firecracker boot timer: ${(parsed.us / 1000).toFixed(3)} ms, ${(parsed.cpuUs / 1000).toFixed(3)} CPU ms)`,
      vmmMs: parsed.us / 1000,
    },
  ];
}

export function parseFirecrackerVersion(stdout: string): string {
  return /Firecracker\s+v?(\S+)/i.exec(stdout)?.[1] ?? stdout.split('\n')[0]?.trim() ?? 'unknown';
}

export const firecrackerBackend: HypervisorBackend = {
  name: 'firecracker',

  detect() {
    return detectBinary(FIRECRACKER_BINARY, parseFirecrackerVersion, INSTALL_HINT);
  },

  command(binary: string, request: BootRequest): HypervisorCommand {
    // The config file is written once for all passes of a scenario; release() removes it after the last one.
    const dir = mkdtempSync(join(tmpdir(), 'boot-budget-firecracker-'));
    const release = trackTempDir(dir);
    const configFile = join(dir, 'config.json');
    const cmdline = firecrackerCmdline(request);
    writeFileSync(configFile, `${JSON.stringify(firecrackerConfig(request, cmdline), null, 2)}\n`);
    return {
      file: binary,
      args: firecrackerArgs(configFile, request.doorbell === true),
      cmdline,
      ...(request.doorbell ? { doorbell: { channel: 'stdout' as const, decode: decodeBootTimerLine } } : {}),
      release,
    };
  },

  async prepareKernel(kernel, cacheDir, log) {
    return (await cachedVmlinux(kernel, cacheDir, log)).path;
  },
};
