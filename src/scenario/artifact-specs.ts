/** The validated `kernel:` and `rootfs:` mappings → typed specs with absolute paths (relative to the scenario file). */
import path from 'node:path';
import { parseMemory } from './duration.js';
import { KERNEL_CONFIG_TARGETS } from './artifact-schema.js';
import type { RawScenario } from './schema.js';
import type {
  AptKernelLocation,
  KernelBuildSpec,
  KernelSpec,
  MmdebstrapSpec,
  RootfsSpec,
  TreeSourceSpec,
} from './types.js';

const TARBALL_PATTERN = /\.(tar|tar\.gz|tgz|tar\.xz|txz|tar\.zst|tzst)$/;

/** Whether a scenario path names a tarball (by its extension, as artifacts/tree/extract.ts reads it) or a directory. */
export function isTarball(path: string): boolean {
  return TARBALL_PATTERN.test(path);
}

function treeSource(dir: string, given: string): TreeSourceSpec {
  const absolute = path.resolve(dir, given);
  return { kind: isTarball(given) ? 'tarball' : 'dir', path: absolute };
}

/**
 * `locate` gives the source position of a key under `kernel:` (e.g. ['apt']), for the errors that artifacts raise
 * later about what the key names.
 */
export function toKernelSpec(
  raw: NonNullable<RawScenario['kernel']>,
  dir: string,
  locate?: (key: string) => AptKernelLocation,
): KernelSpec {
  if ('path' in raw) return { kind: 'path', path: path.resolve(dir, raw.path) };
  if ('apt' in raw)
    return {
      kind: 'apt',
      packages: typeof raw.apt === 'string' ? [raw.apt] : raw.apt,
      ...(locate ? { at: locate('apt') } : {}),
    };
  if ('url' in raw) return { kind: 'url', url: raw.url, sha256: raw.sha256.toLowerCase() };
  const b = raw.build;
  const source: KernelBuildSpec['source'] =
    typeof b.source === 'string'
      ? treeSource(dir, b.source)
      : 'apt' in b.source
        ? { kind: 'apt', package: b.source.apt }
        : { kind: 'url', url: b.source.url, sha256: b.source.sha256.toLowerCase() };
  const target = (KERNEL_CONFIG_TARGETS as readonly string[]).includes(b.config);
  return {
    kind: 'build',
    build: {
      source,
      config: target
        ? { kind: 'target', name: b.config as (typeof KERNEL_CONFIG_TARGETS)[number] }
        : { kind: 'file', path: path.resolve(dir, b.config) },
      // A fragment that reads like Kconfig lines is inline; anything else names a file.
      fragments: b.fragments.map((f) =>
        /^\s*(CONFIG_\w+=|# CONFIG_\w+ is not set)/.test(f)
          ? { kind: 'inline', text: f }
          : { kind: 'file', path: path.resolve(dir, f) },
      ),
      makeArgs: b['make-args'],
      target: b.target,
    },
  };
}

export function toRootfsSpec(raw: RawScenario['rootfs'], dir: string): RootfsSpec {
  if ('busybox' in raw) return { kind: 'busybox' };
  if ('disk-image' in raw) {
    const d = raw['disk-image'];
    const from = toRootfsSpec(d.from, dir);
    if (from.kind === 'disk' || from.kind === 'disk-image') throw new Error('disk-image: `from` cannot be a disk');
    return {
      kind: 'disk-image',
      from,
      kernel: toKernelSpec(d.kernel, dir),
      loader: d.loader,
      firmware: d.firmware,
      menuTimeoutS: d['menu-timeout'],
      ...(d.size === undefined ? {} : { sizeMiB: parseMemory(d.size) }),
    };
  }
  if ('disk' in raw) return { kind: 'disk', image: path.resolve(dir, raw.disk.image), format: raw.disk.format };
  const limit =
    raw['extract-limit'] === undefined ? {} : { extractLimitBytes: parseMemory(raw['extract-limit']) * 1024 * 1024 };
  if ('initramfs' in raw)
    return { kind: 'initramfs', layers: [treeSource(dir, raw.initramfs)], agent: raw.agent, ...limit };
  const size = raw.size === undefined ? {} : { sizeMiB: parseMemory(raw.size) };
  if ('mmdebstrap' in raw) {
    const m = raw.mmdebstrap;
    const base: MmdebstrapSpec = {
      suite: m.suite,
      variant: m.variant,
      include: m.include,
      ...(m.mirror === undefined
        ? {}
        : {
            mirror: /:\/\//.test(m.mirror)
              ? { kind: 'url', url: m.mirror }
              : { kind: 'file', path: path.resolve(dir, m.mirror) },
          }),
    };
    const layers = raw.layers.map((l) => treeSource(dir, l));
    return raw.into === 'ext4'
      ? { kind: 'ext4', base, layers, agent: raw.agent, ...size, ...limit }
      : { kind: 'initramfs', base, layers, agent: raw.agent, ...limit };
  }
  if ('tarball' in raw)
    return { kind: 'ext4', layers: [treeSource(dir, raw.tarball)], agent: raw.agent, ...size, ...limit };
  const layers = raw.layers.map((l) => treeSource(dir, l));
  return raw.into === 'ext4'
    ? { kind: 'ext4', layers, agent: raw.agent, ...size, ...limit }
    : { kind: 'initramfs', layers, agent: raw.agent, ...limit };
}
