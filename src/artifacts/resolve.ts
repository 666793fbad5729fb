import { InfraError } from '../errors.js';
import type { KernelSpec, Scenario } from '../scenario/types.js';
import { cacheWriteError } from './cache/store.js';
import { aptKernel } from './kernel/apt.js';
import { buildKernel } from './kernel/build.js';
import { pathKernel } from './kernel/path.js';
import { urlKernel } from './kernel/url.js';
import { diskImageSource, type KernelCmdline } from './image/disk-image.js';
import { busyboxRootfs } from './rootfs/busybox.js';
import { diskRootfs } from './rootfs/disk.js';
import { ext4Rootfs, initramfsRootfs } from './rootfs/tree-rootfs.js';
import type { ArtifactContext, KernelArtifact, RootfsArtifact } from './types.js';

/**
 * File-system failures (a missing tarball, a full disk) and the cpio writer's complaints are about the user's inputs or
 * the machine, not bugs: they become InfraErrors, which fail the scenario with the message instead of the run. Every
 * store entry is built under here, so this is also where a full or unwritable cache gets its own words.
 */
async function asInfra<T>(what: string, ctx: ArtifactContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InfraError) throw error;
    const cacheProblem = cacheWriteError(error, ctx.cacheDir);
    if (cacheProblem) throw cacheProblem;
    const err = error as NodeJS.ErrnoException;
    if (typeof err.code === 'string' || /^cpio: /.test(err.message ?? ''))
      throw new InfraError(`${what}: ${err.message}`);
    throw error;
  }
}

/** The kernel QEMU boots with `-kernel`, or for a `disk-image:` rootfs the one the image carries. */
export async function resolveKernel(scenario: Scenario, ctx: ArtifactContext): Promise<KernelArtifact> {
  const spec = scenario.kernel ?? (scenario.rootfs.kind === 'disk-image' ? scenario.rootfs.kernel : undefined);
  if (!spec) throw new InfraError('this scenario boots its disk through its own firmware; it has no kernel to resolve');
  return asInfra('kernel', ctx, () => resolveKernelSpec(spec, ctx));
}

async function resolveKernelSpec(spec: KernelSpec, ctx: ArtifactContext): Promise<KernelArtifact> {
  switch (spec.kind) {
    case 'path':
      return pathKernel.resolve(spec, ctx);
    case 'apt':
      return aptKernel.resolve(spec, ctx);
    case 'url':
      return urlKernel.resolve(spec, ctx);
    case 'build':
      return buildKernel.resolve(spec, ctx);
  }
}

/** `kernel` tells a disk rootfs which root device the kernel can reach without modules. */
export async function buildRootfs(
  scenario: Scenario,
  ctx: ArtifactContext,
  kernel?: KernelArtifact,
  /** For a `disk-image:`, whose loader entry carries the kernel command line the boot step would use. */
  kernelCmdline?: KernelCmdline,
): Promise<RootfsArtifact> {
  return asInfra('rootfs', ctx, () => buildRootfsSpec(scenario, ctx, kernel, kernelCmdline));
}

async function buildRootfsSpec(
  scenario: Scenario,
  ctx: ArtifactContext,
  kernel?: KernelArtifact,
  kernelCmdline?: KernelCmdline,
): Promise<RootfsArtifact> {
  const spec = scenario.rootfs;
  switch (spec.kind) {
    case 'busybox':
      return busyboxRootfs.build(spec, scenario, ctx);
    case 'initramfs':
      return initramfsRootfs.build(spec, scenario, ctx);
    case 'ext4':
      return ext4Rootfs.build(spec, scenario, ctx, kernel);
    case 'disk':
      return diskRootfs.build(spec, scenario, ctx, kernel);
    case 'disk-image': {
      if (!kernelCmdline) throw new Error('a disk-image needs the kernel command line rule');
      const buildFrom = (sub: Scenario, c: ArtifactContext, k: KernelArtifact) => buildRootfsSpec(sub, c, k);
      return diskImageSource({ buildFrom }, kernelCmdline).build(spec, scenario, ctx, kernel);
    }
  }
}
