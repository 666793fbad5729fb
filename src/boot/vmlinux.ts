/**
 * bzImage → uncompressed vmlinux ELF, for hypervisors that load ELF kernels directly (Firecracker on x86_64, Cloud
 * Hypervisor's PVH boot). Same idea as the kernel's scripts/extract-vmlinux: find the compressed payload, decompress
 * it, keep the result only if it is an ELF. Decompression is in-process so the CLI bundle needs no host tools:
 * gzip with node:zlib, zstd with fzstd, LZ4 with lz4js's block decoder. XZ, LZMA, bzip2 and LZO kernels are refused
 * with a message rather than half-supported: no well-kept pure-JS decoder for them runs in an ncc bundle on Node 20.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { decompressBlock as lz4DecompressBlock } from 'lz4js';
import { InfraError } from '../errors.js';

export type Compression = 'gzip' | 'zstd' | 'lz4' | 'xz' | 'lzma' | 'bzip2' | 'lzo';

/** Magic numbers as extract-vmlinux scans for them, and whether boot-budget can decompress each. */
export const COMPRESSIONS: ReadonlyArray<{ name: Compression; magic: Buffer; supported: boolean }> = [
  { name: 'gzip', magic: Buffer.from([0x1f, 0x8b, 0x08]), supported: true },
  { name: 'zstd', magic: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), supported: true },
  // LZ4 legacy frame (lz4 -l), which is what the kernel's Makefile writes.
  { name: 'lz4', magic: Buffer.from([0x02, 0x21, 0x4c, 0x18]), supported: true },
  { name: 'xz', magic: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), supported: false },
  { name: 'lzma', magic: Buffer.from([0x5d, 0x00, 0x00]), supported: false },
  { name: 'bzip2', magic: Buffer.from('BZh'), supported: false },
  { name: 'lzo', magic: Buffer.from([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]), supported: false },
];

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const PT_NOTE = 4;
/** XEN_ELFNOTE_PHYS32_ENTRY: the PVH entry point that Cloud Hypervisor (and QEMU's PVH loader) jump to. */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;
const LZ4_LEGACY_MAGIC = 0x184c2102;

export interface VmlinuxInfo {
  /** e_entry: a physical address for x86 vmlinux (the kernel is linked to run at its load address until paging is on). */
  entry: bigint;
  machine: number;
  /** The ELF carries a Xen PVH entry note, so PVH loaders can boot it. */
  pvh: boolean;
}

/** Reads the fields boot-budget cares about from a 64-bit little-endian ELF, or undefined when it is not one. */
export function inspectVmlinux(elf: Buffer): VmlinuxInfo | undefined {
  if (elf.length < 64 || !elf.subarray(0, 4).equals(ELF_MAGIC) || elf[4] !== 2 || elf[5] !== 1) return undefined;
  const machine = elf.readUInt16LE(0x12);
  const entry = elf.readBigUInt64LE(0x18);
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  let pvh = false;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (ph + 56 > elf.length || elf.readUInt32LE(ph) !== PT_NOTE) continue;
    const offset = Number(elf.readBigUInt64LE(ph + 8));
    const end = Math.min(offset + Number(elf.readBigUInt64LE(ph + 32)), elf.length);
    // Each note: namesz, descsz, type, then name and desc, each padded to 4 bytes.
    for (let at = offset; at + 12 <= end; ) {
      const namesz = elf.readUInt32LE(at);
      const descsz = elf.readUInt32LE(at + 4);
      const type = elf.readUInt32LE(at + 8);
      const name = elf.toString('latin1', at + 12, at + 12 + Math.max(0, namesz - 1));
      if (name === 'Xen' && type === XEN_ELFNOTE_PHYS32_ENTRY) pvh = true;
      at += 12 + align4(namesz) + align4(descsz);
    }
  }
  return { entry, machine, pvh };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** The compressed payload of a bzImage, per the x86 boot protocol (2.08+: payload_offset/payload_length). */
export function bzImagePayload(image: Buffer): Buffer | undefined {
  if (image.length < 0x250 || image.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  if (image.readUInt16LE(0x206) < 0x208) return undefined;
  // setup_sects 0 means 4, for ancient compatibility.
  const setupSects = image[0x1f1] || 4;
  const start = (setupSects + 1) * 512 + image.readUInt32LE(0x248);
  const end = start + image.readUInt32LE(0x24c);
  return end <= image.length ? image.subarray(start, end) : undefined;
}

export function detectCompression(data: Buffer): Compression | undefined {
  return COMPRESSIONS.find((c) => data.subarray(0, c.magic.length).equals(c.magic))?.name;
}

/**
 * The kernel's legacy-LZ4 payload: magic, then blocks of (u32 LE compressed size, data), then the 4-byte uncompressed
 * size that the kernel's Makefile appends. That size tells how much to allocate and ends the block walk.
 */
function lz4Legacy(data: Buffer): Buffer {
  const size = data.readUInt32LE(data.length - 4);
  const out = Buffer.alloc(size);
  let src = 4;
  let dst = 0;
  while (src + 4 <= data.length) {
    const n = data.readUInt32LE(src);
    if (n === LZ4_LEGACY_MAGIC) {
      src += 4; // A concatenated legacy stream starts over.
      continue;
    }
    if (src + 4 + n > data.length || dst >= size) break;
    dst = lz4DecompressBlock(data, out, src + 4, n, dst);
    src += 4 + n;
  }
  return out.subarray(0, dst);
}

function decompress(kind: Compression, data: Buffer): Buffer {
  switch (kind) {
    case 'gzip':
      return gunzipSync(data);
    case 'zstd': {
      // The kernel appends the uncompressed size after the zstd frame; drop it so fzstd does not read it as a frame.
      const size = data.readUInt32LE(data.length - 4);
      return Buffer.from(zstdDecompress(data.subarray(0, data.length - 4), new Uint8Array(size)));
    }
    case 'lz4':
      return lz4Legacy(data);
    default:
      throw unsupported(kind);
  }
}

function unsupported(kind: Compression): InfraError {
  return new InfraError(
    `this kernel is ${kind}-compressed; boot-budget can extract a vmlinux only from gzip, zstd and LZ4 kernels.`,
    'Give the hypervisor an uncompressed vmlinux with `kernel: { path: ./vmlinux }`, or build the kernel with CONFIG_KERNEL_GZIP, CONFIG_KERNEL_ZSTD or CONFIG_KERNEL_LZ4.',
  );
}

/**
 * The vmlinux inside `image`. An ELF is returned as it is. A bzImage's payload is found through its boot header; any
 * other image is scanned for compression magic as extract-vmlinux does, trying each hit until one yields an ELF.
 */
export function extractVmlinux(image: Buffer): { elf: Buffer; compression: Compression | 'none' } {
  if (inspectVmlinux(image)) return { elf: image, compression: 'none' };
  const payload = bzImagePayload(image);
  const kind = payload && detectCompression(payload);
  if (payload && kind) {
    const elf = decompress(kind, payload);
    if (!inspectVmlinux(elf))
      throw new InfraError(`the bzImage's ${kind} payload did not decompress to an ELF vmlinux.`);
    return { elf, compression: kind };
  }
  let firstUnsupported: Compression | undefined;
  for (const c of COMPRESSIONS) {
    for (let at = image.indexOf(c.magic); at !== -1; at = image.indexOf(c.magic, at + 1)) {
      if (!c.supported) {
        firstUnsupported ??= c.name;
        break;
      }
      try {
        const elf = decompress(c.name, image.subarray(at));
        if (inspectVmlinux(elf)) return { elf, compression: c.name };
      } catch {
        // A magic number that occurs by chance inside other data: try the next one, as extract-vmlinux does.
      }
    }
  }
  if (firstUnsupported) throw unsupported(firstUnsupported);
  throw new InfraError('no compressed vmlinux found in this kernel image (neither a bzImage nor an ELF).');
}

/** What a cached vmlinux's info.json holds: enough to boot it without reading the ELF or the bzImage's payload again. */
interface CachedInfo {
  entry: string;
  machine: number;
  pvh: boolean;
  compression: Compression | 'none';
}

async function readCachedInfo(
  file: string,
): Promise<{ info: VmlinuxInfo; compression: Compression | 'none' } | undefined> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as Partial<CachedInfo>;
    const known = data.compression === 'none' || COMPRESSIONS.some((c) => c.name === data.compression);
    if (
      typeof data.entry !== 'string' ||
      !/^0x[0-9a-f]+$/.test(data.entry) ||
      typeof data.machine !== 'number' ||
      typeof data.pvh !== 'boolean' ||
      !known
    ) {
      return undefined;
    }
    return {
      info: { entry: BigInt(data.entry), machine: data.machine, pvh: data.pvh },
      compression: data.compression!,
    };
  } catch {
    return undefined;
  }
}

/** Write then rename, so a concurrent run never reads a half-written file. */
async function writeAtomically(path: string, data: Buffer | string): Promise<void> {
  const partial = `${path}.${randomBytes(6).toString('hex')}.partial`;
  await writeFile(partial, data);
  await rename(partial, path);
}

/**
 * The vmlinux for `kernelPath`, extracted once and cached under `<cacheDir>/vmlinux/<sha256 of the image>/`. Keyed by
 * content, not path, so a rebuilt kernel at the same path is never served stale. Its info.json is written after it, so
 * a cache hit is one with both, and reads only the small one.
 */
export async function cachedVmlinux(
  kernelPath: string,
  cacheDir: string,
  log: (message: string) => void = () => {},
): Promise<{ path: string; info: VmlinuxInfo; compression: Compression | 'none' }> {
  const image = await readFile(kernelPath);
  const direct = inspectVmlinux(image);
  if (direct) return { path: kernelPath, info: direct, compression: 'none' };
  const sha = createHash('sha256').update(image).digest('hex');
  const dir = join(cacheDir, 'vmlinux', sha);
  const path = join(dir, 'vmlinux');
  const infoPath = join(dir, 'info.json');
  if (
    await stat(path).then(
      (s) => s.isFile(),
      () => false,
    )
  ) {
    const cached = await readCachedInfo(infoPath);
    if (cached) return { path, ...cached };
  }
  // Not cached, or without a readable info.json (cached before it existed, or cut short): the renames below replace
  // whatever is there in one step, so a concurrent run booting the old file is never left without one.
  log(`extracting vmlinux from ${kernelPath}`);
  const { elf, compression } = extractVmlinux(image);
  const info = inspectVmlinux(elf)!;
  await mkdir(dir, { recursive: true });
  await writeAtomically(path, elf);
  const saved: CachedInfo = {
    entry: `0x${info.entry.toString(16)}`,
    machine: info.machine,
    pvh: info.pvh,
    compression,
  };
  await writeAtomically(infoPath, `${JSON.stringify(saved)}\n`);
  return { path, info, compression };
}
