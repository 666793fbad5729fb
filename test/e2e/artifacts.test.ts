import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentScript } from '../../src/agent/script.js';
import { tarball } from '../helpers/tarball.js';
import { CACHE_ARGS, REPO, runCli } from '../helpers/cli.js';
import { expectNoHypervisorsAfterEach, testDir } from '../helpers/vitest-dirs.js';

// Real builds and boots under QEMU (TCG here). The kernel build takes ~6 minutes on 2 cores the first time; it is
// cached in TEST_CACHE_DIR, so reruns (and the other tests here) reuse it.

expectNoHypervisorsAfterEach();

const FRAGMENT = join(REPO, 'test', 'fixtures', 'kernel', 'tiny-virtio.config');
const TINY_KERNEL = `kernel:
  build:
    source: { apt: linux-source-6.1 }
    config: tinyconfig
    fragments: [${FRAGMENT}]`;
const CLOUD_KERNEL = `kernel:
  apt: linux-image-cloud-amd64`;
const COMMON = `passes: 1
warmup: 0
timeout: 90s
`;

interface Results {
  scenarios: Array<{
    name: string;
    verdict: string;
    error?: string;
    kernel: string;
    rootfs: string;
    cmdline: string;
    stages: Record<string, { samples: number[] }>;
  }>;
}

async function boot(
  dir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ results: Results; stderr: string; code: number | null }> {
  const json = join(dir, 'results.json');
  const run = await runCli(['run', dir, '--json', json, ...CACHE_ARGS], { env });
  expect(run.stderr).not.toMatch(/internal error/);
  const results = JSON.parse(readFileSync(json, 'utf8')) as Results;
  for (const s of results.scenarios) expect(s.error, `${s.name}: ${s.error}\n${run.stderr}`).toBeUndefined();
  return { results, stderr: run.stderr, code: run.code };
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('artifact sources, end to end', () => {
  it('builds a tiny kernel from linux-source-6.1, boots it, and a rerun reuses the build without running make', {
    timeout: 30 * 60_000,
  }, async () => {
    const dir = testDir({
      'tiny.yaml': `name: tiny-built\n${TINY_KERNEL}\nrootfs:\n  busybox: {}\ncmdline: console=ttyS0 quiet i8042.noaux=1\n${COMMON}`,
    });
    const first = await boot(dir);
    expect(first.code).toBe(0);
    expect(first.results.scenarios[0]!.kernel).toMatch(
      /^linux 6\.1\.\d+ tinyconfig\+1 fragment\(s\) bzImage \(\d+ KiB\) from linux-source-6\.1/,
    );

    // A `make` that records being called: the rerun must not call it at all.
    const bin = testDir();
    const marker = join(bin, 'make-was-called');
    writeFileSync(join(bin, 'make'), `#!/bin/sh\necho "$@" >> ${marker}\nexit 1\n`);
    chmodSync(join(bin, 'make'), 0o755);
    const again = await boot(dir, { PATH: `${bin}:${process.env.PATH}` });
    expect(again.code).toBe(0);
    expect(existsSync(marker)).toBe(false);
    expect(again.stderr).toMatch(/kernel build cache hit/);
    expect(again.results.scenarios[0]!.kernel).toMatch(/, cached$/);
  });

  it('boots an ext4 image made from a tarball (cloud kernel: root on its built-in NVMe)', async () => {
    const dir = testDir();
    // No busybox in the tarball: boot-budget adds the host's static one and says so.
    writeFileSync(
      join(dir, 'rootfs.tar'),
      tarball([
        { path: 'etc/', type: 'Directory' },
        { path: 'etc/motd', data: 'from the tarball\n' },
      ]),
    );
    writeFileSync(
      join(dir, 'disk.yaml'),
      `name: ext4-from-tarball\n${CLOUD_KERNEL}\nrootfs:\n  tarball: rootfs.tar\nrun:\n  - cat /etc/motd\n${COMMON}stages:\n  - name: motd\n    from: /boot-budget:init/\n    to: /from the tarball/\n`,
    );
    const { results, code } = await boot(dir);
    expect(code).toBe(0);
    const s = results.scenarios[0]!;
    expect(s.rootfs).toMatch(
      /^ext4 from rootfs\.tar .*the host's static busybox .* was added.* root \/dev\/nvme0n1 via nvme \(built into the kernel/,
    );
    expect(s.cmdline).toMatch(/root=\/dev\/nvme0n1 rootfstype=ext4 rootwait rw init=\/boot-budget\/init/);
    expect(s.stages['motd']!.samples).toHaveLength(1);
  });

  it('boots layers merged into an ext4 image on the tiny kernel (virtio-blk): the top layer reaches the guest', {
    timeout: 30 * 60_000,
  }, async () => {
    const dir = testDir();
    writeFileSync(
      join(dir, 'base.tar.gz'),
      execFileSync('gzip', ['-c'], {
        input: tarball([
          { path: 'layer-file', data: 'from the base layer\n' },
          { path: 'etc/base-only', data: 'base\n' },
        ]),
      }),
    );
    mkdirSync(join(dir, 'top'));
    writeFileSync(join(dir, 'top', 'layer-file'), 'top-layer-was-here\n');
    writeFileSync(
      join(dir, 'layers.yaml'),
      `name: layers\n${TINY_KERNEL}\nrootfs:\n  layers: [base.tar.gz, top]\n  into: ext4\ncmdline: console=ttyS0 quiet i8042.noaux=1\nrun:\n  - cat /layer-file /etc/base-only\n${COMMON}stages:\n  - name: layer\n    from: /boot-budget:init/\n    to: /top-layer-was-here/\n`,
    );
    const { results, code } = await boot(dir);
    expect(code).toBe(0);
    const s = results.scenarios[0]!;
    expect(s.rootfs).toMatch(
      /^ext4 from 2 layers \(base\.tar\.gz, top\).* root \/dev\/vda via virtio-blk \(built into the kernel\)/,
    );
    expect(s.stages['layer']!.samples).toHaveLength(1);
  });

  it('boots an initramfs from layers, the top layer winning', async () => {
    const dir = testDir();
    mkdirSync(join(dir, 'base', 'etc'), { recursive: true });
    writeFileSync(join(dir, 'base', 'layer-file'), 'from the base layer\n');
    writeFileSync(join(dir, 'top.tar'), tarball([{ path: 'layer-file', data: 'top-initramfs-layer\n' }]));
    writeFileSync(
      join(dir, 'initramfs.yaml'),
      `name: initramfs-layers\n${CLOUD_KERNEL}\nrootfs:\n  layers: [base, top.tar]\nrun:\n  - cat /layer-file\n${COMMON}stages:\n  - name: layer\n    from: /boot-budget:init/\n    to: /top-initramfs-layer/\n`,
    );
    const { results, code } = await boot(dir);
    expect(code).toBe(0);
    expect(results.scenarios[0]!.rootfs).toMatch(/^initramfs from 2 layers \(base, top\.tar\) \(.*, agent as \/init/);
    expect(results.scenarios[0]!.stages['layer']!.samples).toHaveLength(1);
  });

  it('boots a raw disk image that the guest writes to, and the image stays byte-identical', async () => {
    const dir = testDir();
    const tree = join(dir, 'tree');
    for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp']) mkdirSync(join(tree, d), { recursive: true });
    copyFileSync('/bin/busybox', join(tree, 'bin', 'busybox'));
    writeFileSync(join(tree, 'init'), agentScript(['echo scribble > /written-by-guest', 'sync']), { mode: 0o755 });
    const image = join(dir, 'disk.img');
    execFileSync('mke2fs', ['-q', '-t', 'ext4', '-d', tree, '-E', 'root_owner=0:0', image, '32M']);
    const before = sha256(image);
    writeFileSync(
      join(dir, 'disk.yaml'),
      `name: raw-disk\n${CLOUD_KERNEL}\nrootfs:\n  disk: { image: disk.img, format: raw }\ncmdline: console=ttyS0 quiet rw init=/init\n${COMMON}`,
    );
    const { results, code } = await boot(dir);
    expect(code).toBe(0);
    expect(results.scenarios[0]!.rootfs).toMatch(/^disk disk\.img \(raw, snapshot=on: never written\)/);
    expect(sha256(image)).toBe(before);
    // A failing run (the guest cannot find its init) must not touch the image either.
    writeFileSync(
      join(dir, 'disk.yaml'),
      `name: raw-disk\n${CLOUD_KERNEL}\nrootfs:\n  disk: { image: disk.img, format: raw }\ncmdline: console=ttyS0 quiet rw init=/missing\n${COMMON}`,
    );
    const failed = await runCli(['run', dir, ...CACHE_ARGS]);
    expect(failed.code).toBe(3);
    expect(sha256(image)).toBe(before);
  });
});
