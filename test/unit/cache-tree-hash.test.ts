import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeTree, hashTree, MANIFEST } from '../../src/artifacts/cache/store.js';

// hashTree keys kernel-source and rootfs cache entries: if its bytes change, every cache out there misses once.

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Directories (one empty), an executable and a plain file, a symlink, and more files than there are hashing workers. */
function fixture(): string {
  root = mkdtempSync(join(tmpdir(), 'boot-budget-tree-hash-'));
  for (const d of ['bin', 'empty', 'many']) mkdirSync(join(root, d));
  writeFileSync(join(root, 'bin', 'tool'), '#!/bin/sh\necho hi\n');
  chmodSync(join(root, 'bin', 'tool'), 0o755);
  writeFileSync(join(root, 'readme'), 'hello\n');
  chmodSync(join(root, 'readme'), 0o644);
  symlinkSync('bin/tool', join(root, 'link'));
  for (let i = 0; i < 40; i++) writeFileSync(join(root, 'many', `f${i}`), `file ${i}\n`);
  return root;
}

describe('tree hashes', () => {
  it('hashTree gives the key it always gave', async () => {
    expect(await hashTree(fixture())).toBe('750800e05f0af7d02b64e5867f63879254869f9774d298124bbf95e4cb47930c');
  });

  it('hashTree sees the executable bit; describeTree lists depth first in name order and skips the manifest', async () => {
    const dir = fixture();
    const before = await hashTree(dir);
    chmodSync(join(dir, 'readme'), 0o755);
    expect(await hashTree(dir)).not.toBe(before);
    writeFileSync(join(dir, MANIFEST), '{}');
    const files = await describeTree(dir);
    expect(Object.keys(files).slice(0, 6)).toEqual(['bin', 'bin/tool', 'empty', 'link', 'many', 'many/f0']);
    expect(Object.keys(files).at(-1)).toBe('readme');
    expect(files).toMatchObject({
      bin: 'dir',
      link: 'symlink:bin/tool',
      readme: 'sha256:5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03',
    });
    expect(files).not.toHaveProperty(MANIFEST);
  });
});
