import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { copyDirectory, extractTarball } from '../../src/artifacts/tree/extract.js';
import { TreeWriter } from '../../src/artifacts/tree/tree-writer.js';
import { type Member, tarball } from '../helpers/tarball.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A sandbox: `outside/` stands for everything beyond the target, `target/` is where extraction goes. */
function sandbox() {
  const base = mkdtempSync(join(tmpdir(), 'boot-budget-tar-'));
  dirs.push(base);
  const outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'do not touch');
  return { base, outside, target: join(base, 'target') };
}

function write(base: string, name: string, bytes: Buffer): string {
  const path = join(base, name);
  writeFileSync(path, bytes);
  return path;
}

async function extract(members: Member[], limit?: number) {
  const box = sandbox();
  const path = write(box.base, 'x.tar', tarball(members));
  const run = extractTarball(path, new TreeWriter(box.target, path, limit));
  return { box, run };
}

describe('tarball extraction is confined to its target', () => {
  it('extracts ordinary members: files with modes, directories, links inside the tree', async () => {
    const { box, run } = await extract([
      { path: 'etc/', type: 'Directory' },
      { path: 'etc/hostname', data: 'guest\n' },
      { path: 'bin/tool', data: '#!/bin/sh\n', mode: 0o755 },
      { path: 'bin/alias', type: 'SymbolicLink', linkpath: 'tool' },
      { path: 'etc/mtab', type: 'SymbolicLink', linkpath: '/proc/self/mounts' },
      { path: 'bin/hard', type: 'Link', linkpath: 'bin/tool' },
    ]);
    await expect(run).resolves.toEqual({ members: 6 });
    expect(readFileSync(join(box.target, 'etc/hostname'), 'utf8')).toBe('guest\n');
    expect(lstatSync(join(box.target, 'bin/tool')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(box.target, 'bin/alias'))).toBe('tool');
    // Absolute link targets are the guest's paths; they are kept, never followed here.
    expect(readlinkSync(join(box.target, 'etc/mtab'))).toBe('/proc/self/mounts');
    expect(lstatSync(join(box.target, 'bin/hard')).nlink).toBe(2);
  });

  it('rejects ../escape, naming the member', async () => {
    const { box, run } = await extract([
      { path: 'ok', data: 'x' },
      { path: '../escape', data: 'pwned' },
    ]);
    await expect(run).rejects.toThrow(/member "..\/escape" contains "..", which would escape the target/);
    expect(existsSync(join(box.base, 'escape'))).toBe(false);
  });

  it('rejects /abs/path, naming the member', async () => {
    const { box, run } = await extract([{ path: '/abs/path', data: 'pwned' }]);
    await expect(run).rejects.toThrow(/member "\/abs\/path" has an absolute path/);
    expect(existsSync('/abs/path')).toBe(false);
    expect(existsSync(join(box.target, 'abs'))).toBe(false);
  });

  it('rejects a member written through a symlink to /etc (and to a directory outside)', async () => {
    const { box, run } = await extract([
      { path: 'evil', type: 'SymbolicLink', linkpath: '/etc' },
      { path: 'evil/boot-budget-test-pwned', data: 'pwned' },
    ]);
    await expect(run).rejects.toThrow(/member "evil\/boot-budget-test-pwned" passes through the symlink "evil"/);
    expect(existsSync('/etc/boot-budget-test-pwned')).toBe(false);

    const second = await extract([
      { path: 'up', type: 'SymbolicLink', linkpath: '../outside' },
      { path: 'up/secret', data: 'pwned' },
    ]);
    await expect(second.run).rejects.toThrow(/symlink "up" -> "..\/outside" resolves outside the target directory/);
    expect(readFileSync(join(second.box.outside, 'secret'), 'utf8')).toBe('do not touch');
    expect(readFileSync(join(box.outside, 'secret'), 'utf8')).toBe('do not touch');
  });

  it('rejects a hardlink to a file outside the target', async () => {
    for (const linkpath of ['../outside/secret', '/etc/passwd']) {
      const { box, run } = await extract([{ path: 'stolen', type: 'Link', linkpath }]);
      await expect(run).rejects.toThrow(
        new RegExp(`hardlink "stolen" -> "${linkpath.replace(/[./]/g, '\\$&')}" points outside the target`),
      );
      expect(existsSync(join(box.target, 'stolen'))).toBe(false);
      expect(lstatSync(join(box.outside, 'secret')).nlink).toBe(1);
    }
  });

  it('stops a decompression bomb at the size limit, naming the member', async () => {
    const box = sandbox();
    const bomb = gzipSync(
      tarball([
        { path: 'small', data: 'ok' },
        { path: 'zeros', data: Buffer.alloc(8 * 1024 * 1024) },
      ]),
    );
    expect(bomb.length).toBeLessThan(64 * 1024);
    const path = write(box.base, 'bomb.tar.gz', bomb);
    await expect(extractTarball(path, new TreeWriter(box.target, path, 1024 * 1024))).rejects.toThrow(
      /member "zeros" takes the extracted size past the limit of 1.0 MiB/,
    );
    expect(existsSync(join(box.target, 'zeros'))).toBe(false);
  });

  it('reads .tar.gz, .tar.xz and .tar.zst', async () => {
    const box = sandbox();
    const plain = write(box.base, 'p.tar', tarball([{ path: 'hello', data: 'world' }]));
    const variants: string[] = [write(box.base, 'g.tar.gz', gzipSync(readFileSync(plain)))];
    execFileSync('xz', ['-k', plain]);
    variants.push(`${plain}.xz`);
    // zstd's CLI only makes the fixture (decoding is fzstd's); .ci/run installs it, and a missing one fails here.
    execFileSync('zstd', ['-q', '-k', plain]);
    variants.push(`${plain}.zst`);
    expect(variants.map((v) => v.split('.').pop())).toEqual(['gz', 'xz', 'zst']);
    for (const [i, variant] of variants.entries()) {
      const target = join(box.base, `t${i}`);
      await extractTarball(variant, new TreeWriter(target, variant));
      expect(readFileSync(join(target, 'hello'), 'utf8')).toBe('world');
    }
  });

  it('rejects a corrupt archive with a message naming it', async () => {
    const box = sandbox();
    const path = write(box.base, 'bad.tar.gz', Buffer.from('not gzip at all'));
    await expect(extractTarball(path, new TreeWriter(box.target, path))).rejects.toThrow(/bad\.tar\.gz/);
  });

  it('merges layers in order: later files replace earlier ones, a file may replace a directory', async () => {
    const box = sandbox();
    const base = write(
      box.base,
      'base.tar',
      tarball([
        { path: 'etc/motd', data: 'base' },
        { path: 'keep', data: 'base' },
        { path: 'swap/inner', data: 'dir' },
      ]),
    );
    const top = join(box.base, 'top');
    mkdirSync(join(top, 'etc'), { recursive: true });
    writeFileSync(join(top, 'etc', 'motd'), 'top');
    writeFileSync(join(top, 'swap'), 'now a file');
    const writer = new TreeWriter(box.target, base);
    await extractTarball(base, writer);
    await copyDirectory(top, writer);
    expect(readFileSync(join(box.target, 'etc/motd'), 'utf8')).toBe('top');
    expect(readFileSync(join(box.target, 'keep'), 'utf8')).toBe('base');
    expect(readFileSync(join(box.target, 'swap'), 'utf8')).toBe('now a file');
  });
});
