import { describe, expect, it } from 'vitest';
import {
  cloudHypervisorArgs,
  cloudHypervisorBackend,
  decodeDebugPortLine,
  parseCloudHypervisorVersion,
  parseDebugPortLine,
} from '../../src/boot/cloud-hypervisor.js';
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

describe('cloud-hypervisor argv', () => {
  it('boots the kernel directly with the serial port on stdout and the virtio console off', () => {
    expect(cloudHypervisorArgs(request)).toEqual([
      '--kernel',
      '/k/vmlinux',
      '--initramfs',
      '/k/initrd.cpio.gz',
      '--cmdline',
      'console=ttyS0 quiet BOOT_BUDGET_END=poweroff panic=-1',
      '--cpus',
      'boot=2',
      '--memory',
      'size=512M',
      '--serial',
      'tty',
      '--console',
      'off',
    ]);
  });

  it('attaches a disk read-only unless told otherwise', () => {
    const args = cloudHypervisorArgs({ ...request, disk: { path: '/d/root.raw', readOnly: true } });
    expect(args.slice(-2)).toEqual(['--disk', 'path=/d/root.raw,readonly=on']);
    expect(cloudHypervisorArgs({ ...request, disk: { path: '/d/root.raw', readOnly: false } }).slice(-1)).toEqual([
      'path=/d/root.raw',
    ]);
  });

  it('with doorbell: true tells the agent to ring port 0x80 and reads the rings from stderr', () => {
    const command = cloudHypervisorBackend.command('cloud-hypervisor', { ...request, doorbell: true });
    expect(command.cmdline).toContain('BOOT_BUDGET_DOORBELL=port80');
    expect(command.doorbell?.channel).toBe('stderr');
    expect(cloudHypervisorBackend.command('cloud-hypervisor', request).doorbell).toBeUndefined();
  });

  it('reads the version from --version', () => {
    expect(parseCloudHypervisorVersion('cloud-hypervisor v38.0.0\n')).toBe('38.0.0');
  });
});

describe('cloud-hypervisor debug port lines', () => {
  it('parses the documented line below one second', () => {
    const line =
      'cloud-hypervisor: 19.762449ms: <vcpu0> WARN:devices/src/legacy/debug_port.rs:78 -- [Debug I/O port: Firmware code 0x0] 0.019004 seconds';
    expect(parseDebugPortLine(line)).toEqual({ range: 'Firmware', code: 0, seconds: 0.019004, micros: 19004 });
  });

  it('reads the part after the dot as total microseconds when upstream prints them (at or above 1 s)', () => {
    // `{as_secs}.{as_micros:>06}`: 1.5 s is printed as 1.1500000, 12.000042 s as 12.12000042.
    expect(parseDebugPortLine('[Debug I/O port: Userspace code 0x61] 1.1500000 seconds')?.seconds).toBeCloseTo(1.5, 9);
    expect(parseDebugPortLine('[Debug I/O port: Kernel code 0x41] 12.12000042 seconds')?.seconds).toBeCloseTo(
      12.000042,
      9,
    );
    // Exactly one second: 1000000 microseconds.
    expect(parseDebugPortLine('[Debug I/O port: Custom code 0xff] 1.1000000 seconds')).toEqual({
      range: 'Custom',
      code: 0xff,
      seconds: 1,
      micros: 1_000_000,
    });
  });

  it('also reads a plain fraction, should upstream fix the format, and rejects inconsistent ones', () => {
    expect(parseDebugPortLine('[Debug I/O port: Userspace code 0x60] 2.500000 seconds')?.seconds).toBeCloseTo(2.5, 9);
    expect(parseDebugPortLine('[Debug I/O port: Userspace code 0x60] 3.1500000 seconds')).toBeUndefined();
    expect(parseDebugPortLine('[Debug I/O port: Nonsense code 0x60] 0.1 seconds')).toBeUndefined();
  });

  it('marks only the agent codes in the Userspace range; other rings are kept as plain events', () => {
    expect(decodeDebugPortLine({ t: 900, text: '[Debug I/O port: Userspace code 0x61] 0.850000 seconds' })).toEqual([
      { t: 900, mark: 'ready', text: 'doorbell: ready (Userspace code 0x61)', vmmMs: 850 },
    ]);
    expect(decodeDebugPortLine({ t: 5, text: '[Debug I/O port: Firmware code 0x1] 0.402744 seconds' })).toEqual([
      { t: 5, text: 'doorbell: Firmware code 0x01', vmmMs: 402.744 },
    ]);
    expect(decodeDebugPortLine({ t: 5, text: 'Linux version 6.1' })).toEqual([]);
  });
});
