import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeBootTimerLine,
  firecrackerArgs,
  firecrackerBackend,
  firecrackerCmdline,
  firecrackerConfig,
  parseFirecrackerVersion,
  parseGuestBootTime,
} from '../../src/boot/firecracker.js';
import type { BootRequest } from '../../src/boot/types.js';

const request: BootRequest = {
  kernel: '/k/vmlinux',
  initrd: '/k/initrd.cpio.gz',
  cmdline: 'console=ttyS0 quiet',
  cpus: 2,
  memoryMiB: 512,
  machine: 'pc',
  accel: 'kvm',
};

describe('firecracker config file', () => {
  it('uses the documented field names of --config-file (boot-source, drives, machine-config)', () => {
    const config = firecrackerConfig(request);
    expect(Object.keys(config).sort()).toEqual(['boot-source', 'drives', 'machine-config']);
    expect(config['boot-source']).toEqual({
      kernel_image_path: '/k/vmlinux',
      initrd_path: '/k/initrd.cpio.gz',
      boot_args: 'console=ttyS0 quiet 8250.nr_uarts=1 reboot=k pci=off panic=-1',
    });
    expect(config['machine-config']).toEqual({ vcpu_count: 2, mem_size_mib: 512 });
    expect(config.drives).toEqual([]);
  });

  it('attaches a disk read-only unless told otherwise, as the root device only without an initramfs', () => {
    const ro = firecrackerConfig({ ...request, initrd: undefined, disk: { path: '/d/root.ext4', readOnly: true } });
    expect(ro.drives).toEqual([
      { drive_id: 'rootfs', path_on_host: '/d/root.ext4', is_root_device: true, is_read_only: true },
    ]);
    expect(ro['boot-source']).not.toHaveProperty('initrd_path');
    const rw = firecrackerConfig({ ...request, disk: { path: '/d/data.ext4', readOnly: false } });
    expect(rw.drives[0]).toMatchObject({ is_root_device: false, is_read_only: false });
  });

  it('adds its quirks only where the user set nothing, and the doorbell word only with doorbell: true', () => {
    expect(firecrackerCmdline({ cmdline: 'console=hvc0 8250.nr_uarts=0 reboot=t', doorbell: false })).toBe(
      'console=hvc0 8250.nr_uarts=0 reboot=t pci=off panic=-1',
    );
    expect(firecrackerCmdline({ cmdline: 'quiet', doorbell: true })).toBe(
      'quiet BOOT_BUDGET_DOORBELL=boot-timer console=ttyS0 8250.nr_uarts=1 reboot=k pci=off panic=-1',
    );
  });

  it('runs without the API socket; the boot timer adds --boot-timer and the Info level it logs at', () => {
    expect(firecrackerArgs('/t/config.json', false)).toEqual(['--no-api', '--config-file', '/t/config.json']);
    expect(firecrackerArgs('/t/config.json', true)).toEqual([
      '--no-api',
      '--config-file',
      '/t/config.json',
      '--boot-timer',
      '--level',
      'Info',
    ]);
  });

  it('writes the config into a temp dir that release() removes', () => {
    const command = firecrackerBackend.command('firecracker', { ...request, doorbell: true });
    const file = command.args[command.args.indexOf('--config-file') + 1]!;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(firecrackerConfig({ ...request, doorbell: true }));
    expect(command.doorbell?.channel).toBe('stdout');
    command.release?.();
    expect(existsSync(file)).toBe(false);
  });
});

describe('firecracker log lines', () => {
  it('parses the boot timer line as Firecracker formats it ({:>6} pads the microseconds)', () => {
    expect(parseGuestBootTime('Guest-boot-time =  94512 us 94 ms,   1234 CPU us 1 CPU ms')).toEqual({
      us: 94512,
      cpuUs: 1234,
    });
    // With the logger's timestamp and instance prefix, and above a million microseconds.
    const line =
      '2024-01-29T09:14:10.315589518 [anonymous-instance:main] Guest-boot-time = 1203456 us 1203 ms, 987654 CPU us 987 CPU ms';
    expect(parseGuestBootTime(line)).toEqual({ us: 1203456, cpuUs: 987654 });
    expect(parseGuestBootTime('Guest-boot-time = 12 ms')).toBeUndefined();
    expect(parseGuestBootTime('[    0.1] boot-budget:ready')).toBeUndefined();
  });

  it('turns the boot timer line into the ready doorbell, stamped when the host saw it', () => {
    const [mark, ...rest] = decodeBootTimerLine({
      t: 812.5,
      text: 'Guest-boot-time =  94512 us 94 ms,   1234 CPU us 1 CPU ms',
    });
    expect(rest).toEqual([]);
    expect(mark).toMatchObject({ t: 812.5, mark: 'ready', vmmMs: 94.512 });
    expect(decodeBootTimerLine({ t: 1, text: 'serio: i8042 KBD port at 0x60,0x64 irq 1' })).toEqual([]);
  });

  it('reads the version from --version', () => {
    expect(parseFirecrackerVersion('Firecracker v1.7.0\n\nSupported snapshot data format versions: v1.0.0\n')).toBe(
      '1.7.0',
    );
  });
});
