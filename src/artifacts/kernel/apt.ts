import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InfraError } from '../../errors.js';
import type { KernelSource } from '../types.js';

const run = promisify(execFile);

interface AptPackage {
  name: string;
  version: string;
  depends: string[];
}

/** Fields of `apt-cache show --no-all-versions`, which prints the candidate version only. */
export function parseAptShow(text: string): AptPackage | null {
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1]?.trim();
  const name = field('Package');
  const version = field('Version');
  if (!name || !version) return null;
  const depends = (field('Depends') ?? '')
    .split(',')
    .map((d) => d.trim().split(/[\s(|]/)[0] ?? '')
    .filter(Boolean);
  return { name, version, depends };
}

async function aptShow(name: string): Promise<AptPackage> {
  let stdout: string;
  try {
    ({ stdout } = await run('apt-cache', ['show', '--no-all-versions', name], { maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new InfraError('kernel: apt needs apt-cache and apt-get, which this host lacks (Debian or Ubuntu only).');
    throw new InfraError(
      `apt has no package "${name}": ${(err.stderr ?? err.message).trim()}`,
      'If the name is right, refresh the package lists first: sudo apt-get update',
    );
  }
  const parsed = parseAptShow(stdout);
  if (!parsed) throw new InfraError(`apt-cache show ${name} printed no Package/Version fields.`);
  return parsed;
}

/** A metapackage such as linux-image-cloud-amd64 ships no kernel; it depends on the versioned package that does. */
async function resolveVersioned(name: string): Promise<AptPackage> {
  let pkg = await aptShow(name);
  for (let depth = 0; depth < 3 && !/^linux-image-\d/.test(pkg.name); depth++) {
    const next = pkg.depends.find((d) => d.startsWith('linux-image-'));
    if (!next) break;
    pkg = await aptShow(next);
  }
  return pkg;
}

async function findVmlinuz(root: string): Promise<string | null> {
  const boot = join(root, 'boot');
  if (!existsSync(boot)) return null;
  const image = (await readdir(boot)).find((f) => f.startsWith('vmlinuz-'));
  return image ? join(boot, image) : null;
}

/**
 * `kernel: {apt: PACKAGE}`: fetched with `apt-get download` and unpacked with `dpkg-deb -x`, both without root and
 * without touching the host's installed packages. Cached by package name and version.
 */
export const aptKernel: KernelSource<{ kind: 'apt'; package: string }> = {
  kind: 'apt',
  async resolve(spec, ctx) {
    const pkg = await resolveVersioned(spec.package);
    const description = `${pkg.name} ${pkg.version} (apt${pkg.name === spec.package ? '' : ` via ${spec.package}`})`;
    const entry = join(ctx.cacheDir, 'kernels', 'apt', `${pkg.name}_${pkg.version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`);
    const kernelPath = join(entry, 'vmlinuz');
    if (existsSync(kernelPath)) return { path: kernelPath, description };

    ctx.log(`downloading ${pkg.name} ${pkg.version} with apt-get download`);
    await mkdir(join(ctx.cacheDir, 'kernels', 'apt'), { recursive: true });
    const work = await mkdtemp(`${entry}.partial-`);
    try {
      try {
        await run('apt-get', ['download', `${pkg.name}=${pkg.version}`], { cwd: work, maxBuffer: 16 * 1024 * 1024 });
      } catch (error) {
        const err = error as { stderr?: string; message: string };
        throw new InfraError(`apt-get download ${pkg.name}=${pkg.version} failed: ${(err.stderr ?? err.message).trim()}`);
      }
      const deb = (await readdir(work)).find((f) => f.endsWith('.deb'));
      if (!deb) throw new InfraError(`apt-get download ${pkg.name} produced no .deb file.`);
      const unpacked = join(work, 'root');
      await run('dpkg-deb', ['-x', join(work, deb), unpacked]);
      const vmlinuz = await findVmlinuz(unpacked);
      if (!vmlinuz) throw new InfraError(`${pkg.name} ${pkg.version} contains no /boot/vmlinuz-*; is it a kernel image package?`);
      const staged = join(work, 'entry');
      await mkdir(staged);
      await rename(vmlinuz, join(staged, 'vmlinuz'));
      // Later issues need the modules (virtio as modules in Debian's cloud kernel); keep them beside the kernel.
      if (existsSync(join(unpacked, 'lib', 'modules'))) await rename(join(unpacked, 'lib', 'modules'), join(staged, 'modules'));
      // Rename last and atomically: a cache entry either exists whole or not at all.
      await rename(staged, entry).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return { path: kernelPath, description };
  },
};
