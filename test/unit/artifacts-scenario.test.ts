import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkScenarioFile, loadScenarioFile } from '../../src/scenario/load.js';

let root: string;
let dir: string;
/** The loader checks that every local input exists, so the scenarios below name real (empty) files and folders. */
const FILES = ['linux.tar.xz', 'my.config', 'virtio.config', 'rootfs.tar.zst', 'base.tar.gz', 'd.qcow2', 'd.img'];
const DIRS = ['tree', 'top', 'a', '../src/linux'];
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'boot-budget-artifact-scenario-'));
  dir = path.join(root, 'scenarios');
  for (const d of DIRS) await mkdir(path.join(dir, d), { recursive: true });
  for (const f of FILES) await writeFile(path.join(dir, f), '');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function load(kernel: string, rootfs: string) {
  await writeFile(path.join(dir, 's.yaml'), `name: s\nkernel:\n${kernel}\nrootfs:\n${rootfs}\n`);
  // The workspace is the temp root: the scenarios name ../src, a sibling of their directory.
  return loadScenarioFile('s.yaml', dir, { workspace: root });
}

async function problems(kernel: string, rootfs: string) {
  await writeFile(path.join(dir, 's.yaml'), `name: s\nkernel:\n${kernel}\nrootfs:\n${rootfs}\n`);
  const check = await checkScenarioFile('s.yaml', dir, { workspace: root });
  if (check.ok) throw new Error('expected the scenario to be rejected');
  return check.errors.map((e) => `${e.line}:${e.column} ${e.keyPath}: ${e.detail}`);
}

const SHA = 'a'.repeat(64);

describe('artifact sources in scenarios', () => {
  it('reports a missing local input at the key that names it', async () => {
    expect(
      await problems(
        '  build:\n    source: ./gone.tar.gz\n    fragments: [CONFIG_X=y, ./gone.config]',
        '  layers: [a, missing-layer]',
      ),
    ).toEqual([
      expect.stringMatching(
        /^4:13 kernel\.build\.source: kernel source not found: .*gone\.tar\.gz; paths are relative to the scenario file$/,
      ),
      expect.stringMatching(/^5:29 kernel\.build\.fragments\.1: config fragment not found: .*gone\.config/),
      expect.stringMatching(/^7:15 rootfs\.layers\.1: rootfs layer not found: .*missing-layer/),
    ]);
    expect(await problems('  apt: linux-image-cloud-amd64', '  disk: { image: tree }')).toEqual([
      expect.stringMatching(/^5:18 rootfs\.disk\.image: .*tree is not a file; the disk image must be a file$/),
    ]);
  });

  it('reads url and build kernels, resolving paths against the scenario file', async () => {
    expect(
      (await load(`  url: https://example.org/bzImage\n  sha256: ${SHA.toUpperCase()}`, '  busybox: {}')).kernel,
    ).toEqual({
      kind: 'url',
      url: 'https://example.org/bzImage',
      sha256: SHA,
    });
    const built = await load(
      '  build:\n    source: ./linux.tar.xz\n    config: ./my.config\n    fragments: [./virtio.config, CONFIG_EXT4_FS=y]\n    make-args: [LLVM=1]',
      '  busybox: {}',
    );
    expect(built.kernel).toEqual({
      kind: 'build',
      build: {
        source: { kind: 'tarball', path: path.join(dir, 'linux.tar.xz') },
        config: { kind: 'file', path: path.join(dir, 'my.config') },
        fragments: [
          { kind: 'file', path: path.join(dir, 'virtio.config') },
          { kind: 'inline', text: 'CONFIG_EXT4_FS=y' },
        ],
        makeArgs: ['LLVM=1'],
        target: 'bzImage',
      },
    });
    const apt = await load('  build:\n    source: { apt: linux-source-6.1 }\n    config: tinyconfig', '  busybox: {}');
    expect(apt.kernel).toMatchObject({
      build: {
        source: { kind: 'apt', package: 'linux-source-6.1' },
        config: { kind: 'target', name: 'tinyconfig' },
        fragments: [],
      },
    });
    const tree = await load('  build:\n    source: ../src/linux', '  busybox: {}');
    expect(tree.kernel).toMatchObject({
      build: {
        source: { kind: 'dir', path: path.resolve(dir, '../src/linux') },
        config: { kind: 'target', name: 'defconfig' },
      },
    });
  });

  it('reads every rootfs source', async () => {
    const k = '  apt: linux-image-cloud-amd64';
    expect((await load(k, '  initramfs: ./tree')).rootfs).toEqual({
      kind: 'initramfs',
      layers: [{ kind: 'dir', path: path.join(dir, 'tree') }],
      agent: true,
    });
    expect((await load(k, '  tarball: rootfs.tar.zst\n  size: 1G\n  extract-limit: 2G')).rootfs).toEqual({
      kind: 'ext4',
      layers: [{ kind: 'tarball', path: path.join(dir, 'rootfs.tar.zst') }],
      agent: true,
      sizeMiB: 1024,
      extractLimitBytes: 2 * 1024 ** 3,
    });
    expect((await load(k, '  layers: [base.tar.gz, top]\n  agent: false')).rootfs).toEqual({
      kind: 'initramfs',
      layers: [
        { kind: 'tarball', path: path.join(dir, 'base.tar.gz') },
        { kind: 'dir', path: path.join(dir, 'top') },
      ],
      agent: false,
    });
    expect((await load(k, '  layers: [a]\n  into: ext4')).rootfs).toMatchObject({ kind: 'ext4' });
    expect((await load(k, '  disk: { image: d.qcow2, format: qcow2 }')).rootfs).toEqual({
      kind: 'disk',
      image: path.join(dir, 'd.qcow2'),
      format: 'qcow2',
    });
  });

  it('rejects bad values with messages at their line', async () => {
    expect(await problems('  url: https://example.org/bzImage\n  sha256: nope', '  busybox: {}')).toEqual([
      '4:11 kernel.sha256: "nope" is not a sha256 (64 hex digits)',
    ]);
    expect(await problems('  url: https://example.org/bzImage', '  busybox: {}')).toEqual([
      expect.stringMatching(/kernel.sha256: missing required key/),
    ]);
    expect(await problems('  apt: linux-image-cloud-amd64', '  disk: { image: d.img, format: vmdk }')).toEqual([
      expect.stringMatching(/rootfs.disk.format: "vmdk" is not allowed; choose one of: raw, qcow2/),
    ]);
  });
});
