import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InfraError } from '../../errors.js';
import type { KernelSpec } from '../../scenario/types.js';
import { storeFor } from '../cache/context.js';
import { hashParts } from '../cache/store.js';
import type { KernelSource } from '../types.js';
import { type AptHost, type AptPackage, systemApt } from './apt-host.js';
import { type AptKernelPlan, describeAptKernel, planAptKernel } from './apt-resolve.js';

/** The candidate version of package `name`, as `apt-cache show` describes it (the build source uses this too). */
export async function aptShow(name: string, apt: AptHost = systemApt): Promise<AptPackage> {
  const pkg = await apt.show(name);
  if (!pkg)
    throw new InfraError(
      `apt has no package "${name}".`,
      'If the name is right, refresh the package lists first: sudo apt-get update',
    );
  return pkg;
}

/** Unpacks package `name` at `version` into `root` without root and without touching installed packages. */
export function fetchDeb(name: string, version: string, root: string, apt: AptHost = systemApt): Promise<void> {
  return apt.unpack(name, version, root);
}

async function findInBoot(root: string, prefix: string): Promise<string | null> {
  const boot = join(root, 'boot');
  if (!existsSync(boot)) return null;
  const file = (await readdir(boot)).find((f) => f.startsWith(prefix));
  return file ? join(boot, file) : null;
}

/**
 * Fills a store entry from the plan's packages: `vmlinuz`, `config` and `modules/` (the image's /lib/modules), from
 * the image package alone on Debian, from the image and its linux-modules package on Ubuntu.
 */
export async function unpackAptKernel(plan: AptKernelPlan, staged: string, apt: AptHost): Promise<void> {
  const work = join(staged, '.work');
  await mkdir(work);
  try {
    const roots: string[] = [];
    for (const pkg of [plan.image, ...(plan.modules ? [plan.modules] : [])]) {
      const root = join(work, pkg.name);
      await apt.unpack(pkg.name, pkg.version, root);
      roots.push(root);
    }
    const vmlinuz = await findInBoot(roots[0]!, 'vmlinuz-');
    if (!vmlinuz)
      throw new InfraError(
        `${plan.image.name} ${plan.image.version} contains no /boot/vmlinuz-*; is it a kernel image package?`,
      );
    await rename(vmlinuz, join(staged, 'vmlinuz'));
    // Ubuntu ships the image 0600 (readable by root only once installed); dpkg-deb -x keeps that mode, and the store
    // entry may later be read by another user, e.g. after the Actions cache restored it.
    await chmod(join(staged, 'vmlinuz'), 0o644);
    for (const root of roots) {
      const config = await findInBoot(root, 'config-');
      if (config && !existsSync(join(staged, 'config'))) await rename(config, join(staged, 'config'));
      const modules = join(root, 'lib', 'modules');
      if (existsSync(modules) && !existsSync(join(staged, 'modules'))) await rename(modules, join(staged, 'modules'));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Caches from before the store kept the same files under kernels/apt/; move them in rather than download again. */
async function moveLegacyEntry(cacheDir: string, image: AptPackage, staged: string): Promise<boolean> {
  const legacy = join(cacheDir, 'kernels', 'apt', `${image.name}_${image.version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`);
  if (!existsSync(join(legacy, 'vmlinuz'))) return false;
  await rename(join(legacy, 'vmlinuz'), join(staged, 'vmlinuz'));
  if (existsSync(join(legacy, 'modules'))) await rename(join(legacy, 'modules'), join(staged, 'modules'));
  await rm(legacy, { recursive: true, force: true });
  return true;
}

/**
 * `kernel: {apt: [CANDIDATES]}`: the first candidate the host's apt has, fetched with `apt-get download` and unpacked
 * with `dpkg-deb -x`, both without root and without touching the host's installed packages. Stored by the versioned
 * package names and versions; /lib/modules is kept beside vmlinuz, because Debian's cloud kernel builds its virtio
 * drivers as modules and the disk root reads modules.builtin to choose a drive.
 */
export function aptKernelSource(apt: AptHost = systemApt): KernelSource<Extract<KernelSpec, { kind: 'apt' }>> {
  return {
    kind: 'apt',
    async resolve(spec, ctx) {
      const plan = await planAptKernel(spec.packages, apt, spec.at);
      const description = describeAptKernel(plan);
      if (plan.skipped.length) ctx.log(`apt has no ${plan.skipped.join(', ')}; using ${plan.requested}`);
      const parts = [plan.image, ...(plan.modules ? [plan.modules] : [])].flatMap((p) => [p.name, p.version]);
      const label = `${plan.image.name} ${plan.image.version}`;
      // A single-package kernel (Debian's) keeps the key it had before candidates and split packages existed.
      const entry = await storeFor(ctx).get(
        'kernel-apt',
        hashParts(['kernel-apt/1', ...parts]),
        label,
        async (staged) => {
          if (!plan.modules && (await moveLegacyEntry(ctx.cacheDir, plan.image, staged))) {
            ctx.log(`moving ${label} from the old cache layout into the store`);
            return;
          }
          ctx.log(`downloading ${description} with apt-get download`);
          await unpackAptKernel(plan, staged, apt);
        },
      );
      const modules = join(entry.dir, 'modules');
      const config = join(entry.dir, 'config');
      return {
        path: join(entry.dir, 'vmlinuz'),
        description,
        ...(existsSync(modules) ? { modulesDir: modules } : {}),
        ...(existsSync(config) ? { configPath: config } : {}),
      };
    },
  };
}

export const aptKernel = aptKernelSource();
