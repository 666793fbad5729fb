import { gzipSync } from 'node:zlib';
// Debian's real cloud kernel (an apt download, and its -dbg package for System.map) is in test/e2e/vmlinux.test.ts.
import { describe, expect, it } from 'vitest';
import { extractVmlinux } from '../../src/boot/vmlinux.js';
import { InfraError } from '../../src/errors.js';

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
