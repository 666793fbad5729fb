/**
 * Every hypervisor boot-budget can drive, with what it needs, as data. run-scenarios picks backends from here, doctor
 * lists them, and the README's hypervisor matrix describes the same rows.
 */
import type { Accel, HypervisorName } from '../scenario/types.js';
import { cloudHypervisorBackend } from './cloud-hypervisor.js';
import { firecrackerBackend } from './firecracker.js';
import { qemuBackend } from './qemu.js';
import type { HypervisorBackend } from './types.js';

export interface HypervisorInfo {
  backend: HypervisorBackend;
  /** Accelerators it can run guests with; Firecracker and Cloud Hypervisor are KVM-only. */
  accels: readonly Accel[];
  /** The kernel image it is given: the bzImage as resolved, or a vmlinux that boot-budget extracts from it. */
  kernel: 'bzImage' | 'vmlinux' | 'vmlinux with a PVH note';
  /** The guest-to-host doorbell `doorbell: true` uses. */
  doorbell: string;
  /** How to get it; doctor prints this for a missing one. */
  install: string;
}

export const HYPERVISORS: Record<HypervisorName, HypervisorInfo> = {
  qemu: {
    backend: qemuBackend,
    accels: ['kvm', 'tcg'],
    kernel: 'bzImage',
    doorbell: 'isa-debugcon at 0x402 on a FIFO',
    install: 'sudo apt-get install qemu-system-x86',
  },
  firecracker: {
    backend: firecrackerBackend,
    accels: ['kvm'],
    kernel: 'vmlinux',
    doorbell: '--boot-timer (MMIO write of 123 at 0xc0000000)',
    install: 'not in Debian or npm: a release binary from firecracker-microvm/firecracker, on PATH as `firecracker`',
  },
  'cloud-hypervisor': {
    backend: cloudHypervisorBackend,
    accels: ['kvm'],
    kernel: 'vmlinux with a PVH note',
    doorbell: 'debug port 0x80 (Userspace codes 0x60–0x7f)',
    install:
      'not in Debian or npm: a release binary from cloud-hypervisor/cloud-hypervisor, on PATH as `cloud-hypervisor`',
  },
};
