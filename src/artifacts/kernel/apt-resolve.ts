/**
 * `kernel: {apt: [A, B, C]}` → the packages to unpack: the first candidate the host's apt has, followed from its
 * metapackage to the versioned image, plus the package that holds that image's modules where the distribution splits
 * them out.
 *
 * Debian's linux-image-6.1.0-N-cloud-amd64 ships /boot/vmlinuz-*, /boot/config-* and /lib/modules together. Ubuntu
 * splits them: linux-image-6.8.0-N-generic ships only /boot/vmlinuz-* (mode 0600) and depends on
 * linux-modules-6.8.0-N-generic, which ships /lib/modules (with modules.builtin, which tells which disk drivers are
 * built in). Both were read from the distributions' package indexes; see the README's "Kernels on Debian and Ubuntu".
 */
import { InfraError } from '../../errors.js';
import type { AptKernelLocation } from '../../scenario/types.js';
import { type AptHost, type AptPackage, describeOsRelease } from './apt-host.js';

export interface AptKernelPlan {
  /** The scenario's candidate that apt had. */
  requested: string;
  /** Candidates before it that apt did not know. */
  skipped: string[];
  /** The versioned package that ships /boot/vmlinuz-*. */
  image: AptPackage;
  /** Ubuntu's linux-modules-<abi>: the image's /lib/modules, which its image package does not ship. */
  modules?: AptPackage;
}

/** A metapackage (linux-image-cloud-amd64, linux-image-virtual) is followed this many hops to the versioned image. */
const MAX_HOPS = 3;
const VERSIONED_IMAGE = /^linux-image-(?:unsigned-)?\d/;

/** Where an error about `kernel.apt` points: the scenario file and the key, as other scenario errors do. */
function located(at: AptKernelLocation | undefined, message: string): string {
  return at ? `${at.file}:${at.line}:${at.column}: ${at.keyPath}: ${message}` : `kernel.apt: ${message}`;
}

async function followToImage(apt: AptHost, meta: AptPackage): Promise<AptPackage> {
  let pkg = meta;
  for (let hop = 0; hop < MAX_HOPS && !VERSIONED_IMAGE.test(pkg.name); hop++) {
    const next = pkg.depends.find((d) => d.startsWith('linux-image-'));
    if (!next) break;
    const found = await apt.show(next);
    if (!found)
      throw new InfraError(
        `${pkg.name} ${pkg.version} depends on ${next}, which apt cannot find.`,
        'The package lists are older than the archive: sudo apt-get update',
      );
    pkg = found;
  }
  return pkg;
}

/** Ubuntu's image depends on linux-modules-<the same abi and flavour>; Debian's has no such dependency. */
async function modulesOf(apt: AptHost, image: AptPackage): Promise<AptPackage | undefined> {
  const abi = image.name.replace(/^linux-image-(?:unsigned-)?/, '');
  const name = image.depends.find((d) => d === `linux-modules-${abi}`);
  if (!name) return undefined;
  const modules = await apt.show(name);
  if (!modules)
    throw new InfraError(
      `${image.name} ${image.version} depends on ${name}, which apt cannot find.`,
      'The package lists are older than the archive: sudo apt-get update',
    );
  return modules;
}

export async function planAptKernel(
  candidates: readonly string[],
  apt: AptHost,
  at?: AptKernelLocation,
): Promise<AptKernelPlan> {
  const skipped: string[] = [];
  for (const candidate of candidates) {
    const meta = await apt.show(candidate);
    if (!meta) {
      skipped.push(candidate);
      continue;
    }
    const image = await followToImage(apt, meta);
    const modules = await modulesOf(apt, image);
    return { requested: candidate, skipped, image, ...(modules ? { modules } : {}) };
  }
  const host = describeOsRelease(await apt.osRelease());
  const names = candidates.join(', ');
  throw new InfraError(
    located(
      at,
      candidates.length === 1
        ? `apt on this host (${host}) has no package ${names}.`
        : `apt on this host (${host}) has none of ${names}.`,
    ),
    "Add this distribution's kernel package to the list (Debian: linux-image-cloud-amd64; Ubuntu: linux-image-virtual), or refresh the package lists: sudo apt-get update",
    at ? { line: at.line, column: at.column } : undefined,
  );
}

/** For results and reports: the versioned package and version first (tests and tools split on the spaces). */
export function describeAptKernel(plan: AptKernelPlan): string {
  const via = plan.requested === plan.image.name ? '' : ` via ${plan.requested}`;
  const modules = plan.modules ? ` + ${plan.modules.name}` : '';
  return `${plan.image.name} ${plan.image.version} (apt${via}${modules})`;
}
