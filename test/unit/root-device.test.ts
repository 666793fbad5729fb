import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseRootDevice } from '../../src/artifacts/rootfs/root-device.js';
import { InfraError } from '../../src/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function kernelWith(files: { config?: string; builtin?: string }) {
  const dir = mkdtempSync(join(tmpdir(), 'boot-budget-rootdev-'));
  dirs.push(dir);
  const kernel = { path: join(dir, 'bzImage'), description: 'a test kernel' } as {
    path: string;
    description: string;
    configPath?: string;
    modulesDir?: string;
  };
  if (files.config !== undefined) {
    kernel.configPath = join(dir, '.config');
    writeFileSync(kernel.configPath, files.config);
  }
  if (files.builtin !== undefined) {
    // apt kernels keep /lib/modules/<version>/modules.builtin.
    kernel.modulesDir = join(dir, 'modules');
    mkdirSync(join(kernel.modulesDir, '6.1.0-57-cloud-amd64'), { recursive: true });
    writeFileSync(join(kernel.modulesDir, '6.1.0-57-cloud-amd64', 'modules.builtin'), files.builtin);
  }
  return kernel;
}

// Lines as Debian's cloud kernel's modules.builtin has them (NVMe built in, virtio-blk a module).
const CLOUD_BUILTIN =
  'kernel/drivers/nvme/host/nvme-core.ko\nkernel/drivers/nvme/host/nvme.ko\nkernel/fs/ext4/ext4.ko\n';

describe('the root device a disk rootfs is attached as', () => {
  it('takes what the kernel has built in: NVMe from modules.builtin, virtio-blk from a .config', async () => {
    expect(await chooseRootDevice(kernelWith({ builtin: CLOUD_BUILTIN }), 'pc')).toMatchObject({
      interface: 'nvme',
      device: '/dev/nvme0n1',
    });
    const config = 'CONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_BLK=y\n# CONFIG_BLK_DEV_NVME is not set\n';
    expect(await chooseRootDevice(kernelWith({ config }), 'pc')).toMatchObject({
      interface: 'virtio',
      device: '/dev/vda',
    });
  });

  it('refuses a kernel with neither NVMe nor virtio-blk built in, saying what is missing', async () => {
    const modulesOnly = kernelWith({ builtin: 'kernel/fs/ext4/ext4.ko\n' });
    await expect(chooseRootDevice(modulesOnly, 'pc')).rejects.toThrow(InfraError);
    await expect(chooseRootDevice(modulesOnly, 'q35')).rejects.toThrow(/neither NVMe nor virtio-blk built in/);
    const config = 'CONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_BLK=m\nCONFIG_BLK_DEV_NVME=m\n';
    await expect(chooseRootDevice(kernelWith({ config }), 'pc')).rejects.toThrow(
      /neither virtio-blk nor NVMe built in, so it cannot reach a disk root/,
    );
  });
});
