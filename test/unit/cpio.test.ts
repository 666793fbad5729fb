import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type CpioEntry, gzipCpio, writeCpio } from '../../src/artifacts/rootfs/cpio.js';

const fileBytes = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x0a, 0x41, 0x42]);
const nestedBytes = Buffer.from('nested\n');

/** Given out of order on purpose: the writer must sort parents ahead of children. */
const plainEntries: CpioEntry[] = [
  { path: 'etc/sub/nested.txt', type: 'file', mode: 0o640, data: nestedBytes },
  { path: 'etc/link', type: 'symlink', target: 'sub/nested.txt' },
  { path: 'etc', type: 'dir', mode: 0o750 },
  { path: 'etc/sub', type: 'dir', mode: 0o755 },
  { path: 'data.bin', type: 'file', mode: 0o755, data: fileBytes },
];
const deviceEntries: CpioEntry[] = [
  { path: 'dev', type: 'dir', mode: 0o755 },
  { path: 'dev/console', type: 'chardev', mode: 0o600, major: 5, minor: 1 },
];
const allEntries = [...plainEntries, ...deviceEntries];

function cpio(args: string[], input: Buffer, cwd?: string): string {
  const result = spawnSync('cpio', ['--quiet', ...args], { input, cwd, encoding: 'utf8' });
  if (result.error) throw result.error;
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

interface ParsedEntry {
  name: string;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  rdevMajor: number;
  rdevMinor: number;
  data: Buffer;
}

/** An independent reader, to check the header fields GNU cpio does not show. */
function parse(buf: Buffer): ParsedEntry[] {
  const out: ParsedEntry[] = [];
  let at = 0;
  for (;;) {
    expect(at % 4).toBe(0);
    expect(buf.toString('ascii', at, at + 6)).toBe('070701');
    const field = (i: number) => parseInt(buf.toString('ascii', at + 6 + i * 8, at + 14 + i * 8), 16);
    const nameSize = field(11);
    const fileSize = field(6);
    const name = buf.toString('utf8', at + 110, at + 110 + nameSize - 1);
    expect(buf[at + 110 + nameSize - 1]).toBe(0);
    const dataAt = Math.ceil((at + 110 + nameSize) / 4) * 4;
    const entry = {
      name,
      ino: field(0),
      mode: field(1),
      uid: field(2),
      gid: field(3),
      nlink: field(4),
      mtime: field(5),
      rdevMajor: field(9),
      rdevMinor: field(10),
      data: buf.subarray(dataAt, dataAt + fileSize),
    };
    at = Math.ceil((dataAt + fileSize) / 4) * 4;
    out.push(entry);
    if (name === 'TRAILER!!!') break;
  }
  expect(at).toBe(buf.length);
  return out;
}

describe('writeCpio', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('lists every entry, parents first, for GNU cpio', () => {
    const names = cpio(['-t'], writeCpio(allEntries)).trim().split('\n');
    expect(names).toEqual(['data.bin', 'dev', 'dev/console', 'etc', 'etc/link', 'etc/sub', 'etc/sub/nested.txt']);
  });

  it('extracts files, modes and symlinks with GNU cpio', () => {
    dir = mkdtempSync(join(tmpdir(), 'boot-budget-cpio-'));
    // Device nodes are left out: creating one needs root, and the listing test covers them.
    cpio(['-i', '-d', '--no-absolute-filenames', '--no-preserve-owner'], writeCpio(plainEntries), dir);

    expect(readFileSync(join(dir, 'data.bin'))).toEqual(fileBytes);
    expect(readFileSync(join(dir, 'etc/sub/nested.txt'))).toEqual(nestedBytes);
    expect(statSync(join(dir, 'data.bin')).mode & 0o7777).toBe(0o755);
    expect(statSync(join(dir, 'etc/sub/nested.txt')).mode & 0o7777).toBe(0o640);
    expect(statSync(join(dir, 'etc')).isDirectory()).toBe(true);
    expect(statSync(join(dir, 'etc')).mode & 0o7777).toBe(0o750);
    expect(lstatSync(join(dir, 'etc/link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'etc/link'))).toBe('sub/nested.txt');
    expect(readFileSync(join(dir, 'etc/link'))).toEqual(nestedBytes);
  });

  it('writes device nodes as archive entries with their major and minor', () => {
    const listing = cpio(['-tv'], writeCpio(allEntries));
    const line = listing.split('\n').find((line) => line.endsWith(' dev/console'));
    expect(line).toMatch(/^crw-------\s/);
    expect(line).toMatch(/\s5,\s+1\s/);
  });

  it('fixes owner, times, link counts and inode numbers', () => {
    const parsed = parse(writeCpio(allEntries));
    const trailer = parsed.pop()!;
    expect(trailer.name).toBe('TRAILER!!!');
    expect(trailer.ino).toBe(0);
    expect(parsed.map((e) => e.ino)).toEqual(parsed.map((_, i) => i + 1));
    for (const e of parsed) {
      expect([e.uid, e.gid, e.mtime]).toEqual([0, 0, 0]);
      expect(e.nlink).toBe((e.mode & 0o170000) === 0o040000 ? 2 : 1);
    }
    const byName = new Map(parsed.map((e) => [e.name, e]));
    expect(byName.get('dev/console')).toMatchObject({ mode: 0o020600, rdevMajor: 5, rdevMinor: 1 });
    expect(byName.get('etc/link')).toMatchObject({ mode: 0o120777, data: Buffer.from('sub/nested.txt') });
    expect(byName.get('data.bin')).toMatchObject({ mode: 0o100755, rdevMajor: 0, rdevMinor: 0, data: fileBytes });
  });

  it('pads to 4 bytes and ends with the trailer', () => {
    // Names and sizes of every length mod 4, so each padding case is exercised.
    const entries: CpioEntry[] = [1, 2, 3, 4, 5].map((n) => ({
      path: 'x'.repeat(n),
      type: 'file',
      mode: 0o644,
      data: Buffer.alloc(n, n),
    }));
    const buf = writeCpio(entries);
    expect(buf.length % 4).toBe(0);
    // The 110-byte header plus the 11-byte name needs three bytes of padding.
    expect(buf.subarray(buf.length - 14)).toEqual(Buffer.from('TRAILER!!!\0\0\0\0'));
    expect(parse(buf).map((e) => e.data.length)).toEqual([1, 2, 3, 4, 5, 0]);
  });

  it('is deterministic, gzipped too', () => {
    const a = writeCpio(allEntries);
    const b = writeCpio([...allEntries].reverse());
    expect(b.equals(a)).toBe(true);
    const gz = gzipCpio(a);
    expect(gzipCpio(b).equals(gz)).toBe(true);
    expect(gunzipSync(gz).equals(a)).toBe(true);
  });

  it('rejects absolute paths and ".." segments', () => {
    const file = (path: string): CpioEntry => ({ path, type: 'file', mode: 0o644, data: Buffer.alloc(0) });
    expect(() => writeCpio([file('/etc/passwd')])).toThrow(/relative/);
    expect(() => writeCpio([file('..')])).toThrow(/\.\./);
    expect(() => writeCpio([{ path: 'a', type: 'dir', mode: 0o755 }, file('a/../../b')])).toThrow(/\.\./);
  });

  it('rejects duplicates and entries without a parent directory', () => {
    const file = (path: string): CpioEntry => ({ path, type: 'file', mode: 0o644, data: Buffer.alloc(0) });
    expect(() => writeCpio([file('a'), file('a')])).toThrow(/duplicate/);
    expect(() => writeCpio([file('a/b')])).toThrow(/directory entry for a/);
    expect(() => writeCpio([file('a'), file('a/b')])).toThrow(/directory entry for a/);
  });
});
