import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InfraError } from '../../errors.js';
import { storeFor } from '../cache/context.js';
import { hashParts } from '../cache/store.js';
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

/** The candidate version of package `name`, as `apt-cache show` describes it. */
export async function aptShow(name: string): Promise<AptPackage> {
  let stdout: string;
  try {
    ({ stdout } = await run('apt-cache', ['show', '--no-all-versions', name], { maxBuffer: 16 * 1024 * 1024 }));
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new InfraError('kernel: apt needs apt-cache and apt-get, which this host lacks (Debian or Ubuntu only).');
    throw new InfraError(
      `apt has no package "${name}": ${(err.stderr ?? err.message).trim()}`,
      'If the name is right, refresh the package lists first: sudo apt-get update',
    );
  }
  const parsed = parseAptShow(stdout);
  if (!parsed) throw new InfraError(`apt-cache show ${name} printed no Package/Version fields.`);
  return parsed;
}

/**
 * Unpacks package `name` at `version` into `root` with `apt-get download` and `dpkg-deb -x`: no root needed, and the
 * host's installed packages are left alone. The .deb is not kept: beside its unpacked files, the store would hold
 * every byte twice.
 */
export async function fetchDeb(name: string, version: string, root: string): Promise<void> {
  const download = `${root}.download`;
  await mkdir(download, { recursive: true });
  try {
    try {
      await run('apt-get', ['download', `${name}=${version}`], { cwd: download, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const err = error as { stderr?: string; message: string };
      throw new InfraError(`apt-get download ${name}=${version} failed: ${(err.stderr ?? err.message).trim()}`);
    }
    const deb = (await readdir(download)).find((f) => f.endsWith('.deb'));
    if (!deb) throw new InfraError(`apt-get download ${name} produced no .deb file.`);
    try {
      await run('dpkg-deb', ['-x', join(download, deb), root]);
    } catch (error) {
      const err = error as { stderr?: string; message: string };
      throw new InfraError(`dpkg-deb -x ${deb} failed: ${(err.stderr ?? err.message).trim()}`);
    }
  } finally {
    await rm(download, { recursive: true, force: true });
  }
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
 * without touching the host's installed packages. Stored by package name and version; the kernel's /lib/modules is
 * kept beside vmlinuz, because Debian's cloud kernel builds its virtio drivers as modules.
 */
export const aptKernel: KernelSource<{ kind: 'apt'; package: string }> = {
  kind: 'apt',
  async resolve(spec, ctx) {
    const pkg = await resolveVersioned(spec.package);
    const description = `${pkg.name} ${pkg.version} (apt${pkg.name === spec.package ? '' : ` via ${spec.package}`})`;
    const key = hashParts(['kernel-apt/1', pkg.name, pkg.version]);
    const entry = await storeFor(ctx).get('kernel-apt', key, `${pkg.name} ${pkg.version}`, async (staged) => {
      // Caches from before the store kept the same files under kernels/apt/; move them in rather than download again.
      const legacy = join(
        ctx.cacheDir,
        'kernels',
        'apt',
        `${pkg.name}_${pkg.version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`,
      );
      if (existsSync(join(legacy, 'vmlinuz'))) {
        ctx.log(`moving ${pkg.name} ${pkg.version} from the old cache layout into the store`);
        await rename(join(legacy, 'vmlinuz'), join(staged, 'vmlinuz'));
        if (existsSync(join(legacy, 'modules'))) await rename(join(legacy, 'modules'), join(staged, 'modules'));
        await rm(legacy, { recursive: true, force: true });
        return;
      }
      ctx.log(`downloading ${pkg.name} ${pkg.version} with apt-get download`);
      const work = join(staged, '.work');
      await mkdir(work);
      try {
        const unpacked = join(work, 'root');
        await fetchDeb(pkg.name, pkg.version, unpacked);
        const vmlinuz = await findVmlinuz(unpacked);
        if (!vmlinuz)
          throw new InfraError(`${pkg.name} ${pkg.version} contains no /boot/vmlinuz-*; is it a kernel image package?`);
        await rename(vmlinuz, join(staged, 'vmlinuz'));
        if (existsSync(join(unpacked, 'lib', 'modules')))
          await rename(join(unpacked, 'lib', 'modules'), join(staged, 'modules'));
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });
    const modules = join(entry.dir, 'modules');
    return { path: join(entry.dir, 'vmlinuz'), description, ...(existsSync(modules) ? { modulesDir: modules } : {}) };
  },
};
