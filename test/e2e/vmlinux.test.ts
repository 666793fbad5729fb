import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bzImagePayload, cachedVmlinux, detectCompression, inspectVmlinux } from '../../src/boot/vmlinux.js';
import { debianCloudKernel } from '../helpers/debian-kernel.js';

// Debian's cloud kernel through boot-budget's apt source, and the real System.map streamed out of its -dbg package
// (a 283 MB download, once; both are kept in the test cache). End to end because it downloads.

describe("vmlinux extraction from Debian's cloud kernel", () => {
  let kernel: Awaited<ReturnType<typeof debianCloudKernel>>;
  let cacheDir: string;
  beforeAll(async () => {
    kernel = await debianCloudKernel();
    cacheDir = mkdtempSync(join(tmpdir(), 'boot-budget-vmlinux-test-'));
    return () => rmSync(cacheDir, { recursive: true, force: true });
  }, 300_000);

  it('the bzImage payload is LZ4 (legacy frame), which is the path this kernel takes', () => {
    const payload = bzImagePayload(readFileSync(kernel.bzImage));
    expect(payload).toBeDefined();
    expect(detectCompression(payload!)).toBe('lz4');
  });

  it('extracts an x86-64 ELF whose entry point is startup_64 at its physical load address', async () => {
    const { path, info, compression } = await cachedVmlinux(kernel.bzImage, cacheDir);
    expect(compression).toBe('lz4');
    // readelf (binutils) checks the ELF independently of our own parser.
    const header = execFileSync('readelf', ['-h', path], { encoding: 'utf8' });
    expect(header).toMatch(/Class:\s+ELF64/);
    expect(header).toMatch(/Machine:\s+Advanced Micro Devices X86-64/);
    const readelfEntry = BigInt(/Entry point address:\s+(0x[0-9a-f]+)/.exec(header)![1]!);
    expect(info.entry).toBe(readelfEntry);

    // System.map has virtual addresses. The kernel image is mapped at __START_KERNEL_map (0xffffffff80000000) plus its
    // physical load address, and the ELF entry is physical (the CPU jumps there before paging is on), so
    // startup_64 (virtual) − __START_KERNEL_map = entry.
    const map = readFileSync(kernel.systemMap, 'utf8');
    const startup64 = BigInt(`0x${/^([0-9a-f]+) T startup_64$/m.exec(map)![1]}`);
    expect(startup64 - 0xffffffff80000000n).toBe(info.entry);
    expect(info.entry).toBe(0x1000000n); // CONFIG_PHYSICAL_START, 16 MiB
  });

  it('finds the PVH note Cloud Hypervisor needs (Debian builds with CONFIG_PVH)', async () => {
    const { info } = await cachedVmlinux(kernel.bzImage, cacheDir);
    expect(info.pvh).toBe(true);
    const notes = execFileSync('readelf', ['-n', (await cachedVmlinux(kernel.bzImage, cacheDir)).path], {
      encoding: 'utf8',
    });
    expect(notes).toMatch(/Xen\s+0x00000008\s+Unknown note type: \(0x00000012\)/);
  });

  it('caches by the bzImage content: a second call reuses the file', async () => {
    const first = await cachedVmlinux(kernel.bzImage, cacheDir);
    const mtime = statSync(first.path).mtimeMs;
    let logged = 0;
    const second = await cachedVmlinux(kernel.bzImage, cacheDir, () => logged++);
    expect(second.path).toBe(first.path);
    expect(statSync(second.path).mtimeMs).toBe(mtime);
    expect(logged).toBe(0);
    expect(first.path).toContain(join(cacheDir, 'vmlinux'));
    expect(inspectVmlinux(readFileSync(second.path))?.machine).toBe(62);
  });
});
