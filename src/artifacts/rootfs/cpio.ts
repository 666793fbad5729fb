/**
 * A writer for cpio "newc" archives (magic 070701), the format the kernel unpacks as an initramfs. Written by hand so
 * that building a rootfs needs neither root (device nodes are archive entries, not mknod calls) nor a cpio binary, and
 * so that the same entries always give the same bytes: the cache is keyed by content, and a rebuilt archive must not
 * look like a new one.
 */
import { gzipSync } from 'node:zlib';

export type CpioEntry =
  | { path: string; type: 'file'; mode: number; data: Buffer }
  | { path: string; type: 'dir'; mode: number }
  | { path: string; type: 'symlink'; target: string }
  | { path: string; type: 'chardev' | 'blockdev'; mode: number; major: number; minor: number };

const FILE_TYPE_BITS: Record<CpioEntry['type'], number> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  chardev: 0o020000,
  blockdev: 0o060000,
};

const MAGIC = '070701';
const TRAILER = 'TRAILER!!!';
const U32_MAX = 0xffffffff;

interface Header {
  ino: number;
  mode: number;
  nlink: number;
  fileSize: number;
  rdevMajor: number;
  rdevMinor: number;
}

/** Serialises `entries` sorted by path, with owner, times and inode numbers fixed so the output depends on nothing else. */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const byPath = new Map<string, CpioEntry>();
  for (const entry of entries) {
    checkPath(entry.path);
    if (byPath.has(entry.path)) throw new Error(`cpio: duplicate path ${entry.path}`);
    byPath.set(entry.path, entry);
  }
  // A prefix sorts before anything it prefixes, so every directory lands ahead of its contents, which the kernel needs:
  // it creates each entry as it reads it and does not make missing parents.
  const paths = [...byPath.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const chunks: Buffer[] = [];
  paths.forEach((path, i) => {
    const entry = byPath.get(path)!;
    const slash = path.lastIndexOf('/');
    if (slash >= 0) {
      const parent = path.slice(0, slash);
      if (byPath.get(parent)?.type !== 'dir') throw new Error(`cpio: ${path} needs a directory entry for ${parent}`);
    }
    const data = entryData(entry);
    const isDevice = entry.type === 'chardev' || entry.type === 'blockdev';
    chunks.push(
      header(path, {
        ino: i + 1,
        mode: FILE_TYPE_BITS[entry.type] | (entry.type === 'symlink' ? 0o777 : checkMode(entry.mode, path)),
        nlink: entry.type === 'dir' ? 2 : 1,
        fileSize: data.length,
        rdevMajor: isDevice ? checkU32(entry.major, `${path} major`) : 0,
        rdevMinor: isDevice ? checkU32(entry.minor, `${path} minor`) : 0,
      }),
      data,
      padding(data.length),
    );
  });
  chunks.push(header(TRAILER, { ino: 0, mode: 0, nlink: 1, fileSize: 0, rdevMajor: 0, rdevMinor: 0 }));
  return Buffer.concat(chunks);
}

/** gzip at level 9. Node writes mtime 0 into the gzip header, so equal input gives equal output. */
export function gzipCpio(buf: Buffer): Buffer {
  const out = gzipSync(buf, { level: 9 });
  // The OS byte comes from how zlib was compiled; pin it to "Unix" so hosts agree on the bytes too.
  out[9] = 3;
  return out;
}

function checkPath(path: string): void {
  if (path === '' || path.startsWith('/')) throw new Error(`cpio: path must be relative: ${JSON.stringify(path)}`);
  if (path.includes('\0')) throw new Error(`cpio: path contains NUL: ${JSON.stringify(path)}`);
  for (const segment of path.split('/')) {
    if (segment === '..') throw new Error(`cpio: path must not contain "..": ${path}`);
    // Empty and "." segments would give one file two spellings and defeat the duplicate and parent checks.
    if (segment === '' || segment === '.') throw new Error(`cpio: path is not normalised: ${path}`);
  }
}

function checkMode(mode: number, path: string): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new Error(`cpio: ${path}: mode must be permission bits (0..0o7777), got ${mode}`);
  }
  return mode;
}

function checkU32(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) throw new Error(`cpio: ${what} out of range: ${value}`);
  return value;
}

function entryData(entry: CpioEntry): Buffer {
  switch (entry.type) {
    case 'file':
      checkU32(entry.data.length, `${entry.path} size`);
      return entry.data;
    case 'symlink':
      if (entry.target === '' || entry.target.includes('\0')) {
        throw new Error(`cpio: ${entry.path}: bad symlink target ${JSON.stringify(entry.target)}`);
      }
      return Buffer.from(entry.target, 'utf8');
    default:
      return Buffer.alloc(0);
  }
}

function header(name: string, h: Header): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const fields = [
    h.ino,
    h.mode,
    0, // uid
    0, // gid
    h.nlink,
    0, // mtime
    h.fileSize,
    0, // devmajor
    0, // devminor
    h.rdevMajor,
    h.rdevMinor,
    nameBytes.length,
    0, // check: unused by the no-CRC variant
  ];
  const text = MAGIC + fields.map((f) => f.toString(16).padStart(8, '0')).join('');
  const head = Buffer.from(text, 'ascii');
  return Buffer.concat([head, nameBytes, padding(head.length + nameBytes.length)]);
}

function padding(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}
