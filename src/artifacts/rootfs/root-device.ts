/**
 * Which block device a disk root can be attached as, so that the kernel reaches it without loading modules.
 * Debian's cloud kernel builds virtio_pci/virtio_blk as modules but NVMe in (its modules.builtin lists nvme.ko), so
 * it gets an NVMe drive; a kernel built from source with VIRTIO_BLK=y gets virtio-blk. A kernel that has neither built in would need an
 * initramfs that loads the modules first (the supermin approach), which boot-budget does not generate yet.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InfraError } from '../../errors.js';
import type { Machine } from '../../scenario/types.js';
import type { KernelArtifact } from '../types.js';

export interface RootDevice {
  interface: 'nvme' | 'virtio';
  device: string;
  /** Why this one, for the rootfs description. */
  reason: string;
}

const NVME: Omit<RootDevice, 'reason'> = { interface: 'nvme', device: '/dev/nvme0n1' };
const VIRTIO: Omit<RootDevice, 'reason'> = { interface: 'virtio', device: '/dev/vda' };

async function builtinModules(modulesDir: string): Promise<string | undefined> {
  // apt kernels keep /lib/modules, which holds one <version>/ directory.
  const direct = join(modulesDir, 'modules.builtin');
  if (existsSync(direct)) return readFile(direct, 'utf8');
  for (const name of await readdir(modulesDir).catch(() => [] as string[])) {
    const file = join(modulesDir, name, 'modules.builtin');
    if (existsSync(file)) return readFile(file, 'utf8');
  }
  return undefined;
}

export async function chooseRootDevice(kernel: KernelArtifact | undefined, machine: Machine): Promise<RootDevice> {
  // microvm has no PCI bus for NVMe; its virtio devices are virtio-mmio.
  if (machine === 'microvm') return { ...VIRTIO, reason: 'virtio-mmio (microvm has no PCI)' };
  if (kernel?.configPath) {
    const config = await readFile(kernel.configPath, 'utf8');
    const y = (name: string) => new RegExp(`^CONFIG_${name}=y$`, 'm').test(config);
    if (y('VIRTIO_BLK') && y('VIRTIO_PCI')) return { ...VIRTIO, reason: 'virtio-blk (built into the kernel)' };
    if (y('BLK_DEV_NVME')) return { ...NVME, reason: 'nvme (built into the kernel)' };
    throw new InfraError(
      'the kernel has neither virtio-blk nor NVMe built in, so it cannot reach a disk root.',
      'Add CONFIG_VIRTIO_PCI=y and CONFIG_VIRTIO_BLK=y (or CONFIG_BLK_DEV_NVME=y) to the kernel config.',
    );
  }
  if (kernel?.modulesDir) {
    const builtin = await builtinModules(kernel.modulesDir);
    if (builtin?.includes('/nvme.ko'))
      return { ...NVME, reason: 'nvme (built into the kernel; its virtio-blk is a module)' };
    if (builtin?.includes('/virtio_blk.ko')) return { ...VIRTIO, reason: 'virtio-blk (built into the kernel)' };
    throw new InfraError(
      'the kernel has neither NVMe nor virtio-blk built in; a disk root would need an initramfs that loads their modules, which boot-budget does not build yet.',
    );
  }
  return { ...VIRTIO, reason: 'virtio-blk (assumed: the kernel does not say what it has built in)' };
}
