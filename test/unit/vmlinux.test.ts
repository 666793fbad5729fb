import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bzImagePayload,
  cachedVmlinux,
  detectCompression,
  extractVmlinux,
  inspectVmlinux,
} from '../../src/boot/vmlinux.js';
import { InfraError } from '../../src/errors.js';
import { debianCloudKernel } from '../helpers/debian-kernel.js';

/** A minimal 64-bit x86 ELF header with no program headers: enough for inspectVmlinux. */
function tinyElf(entry: bigint): Buffer {
  const elf = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(elf);
  elf.writeUInt16LE(62, 0x12);
  elf.writeBigUInt64LE(entry, 0x18);
  elf.writeUInt16LE(56, 0x36);
  return elf;
}

describe('vmlinux extraction, synthetic images', () => {
  it('returns an ELF unchanged', () => {
    const elf = tinyElf(0x1000000n);
    expect(extractVmlinux(elf)).toEqual({ elf, compression: 'none' });
  });

  it('finds a gzip payload by scanning, as extract-vmlinux does, past a false magic', () => {
    const elf = Buffer.concat([tinyElf(0x2000000n), Buffer.alloc(4096, 7)]);
    // A stray gzip magic followed by garbage comes first; the real stream follows.
    const image = Buffer.concat([
      Buffer.from('junk'),
      Buffer.from([0x1f, 0x8b, 0x08, 0, 0]),
      Buffer.alloc(100),
      gzipSync(elf),
    ]);
    const out = extractVmlinux(image);
    expect(out.compression).toBe('gzip');
    expect(out.elf.equals(elf)).toBe(true);
  });

  it('refuses an XZ kernel with a typed error that says what to do', () => {
    const image = Buffer.concat([
      Buffer.alloc(64),
      Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
      Buffer.alloc(64),
    ]);
    expect(() => extractVmlinux(image)).toThrow(InfraError);
    expect(() => extractVmlinux(image)).toThrow(/xz-compressed.*gzip, zstd and LZ4/);
  });

  it('refuses data with no kernel in it', () => {
    expect(() => extractVmlinux(Buffer.alloc(1024))).toThrow(/no compressed vmlinux/);
  });
});

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
