import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheCommand, parseAge } from '../../src/artifacts/cache/commands.js';
import { ArtifactStore, hashParts } from '../../src/artifacts/cache/store.js';
import { parseCliArgs } from '../../src/cli/args.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function filledCache() {
  const cacheDir = mkdtempSync(join(tmpdir(), 'boot-budget-cachecmd-'));
  dirs.push(cacheDir);
  const store = new ArtifactStore({ cacheDir, warn: () => undefined });
  const old = await store.get('kernel-build', hashParts(['old']), 'an old kernel', async (d) =>
    writeFileSync(join(d, 'bzImage'), 'x'.repeat(2048)),
  );
  const fresh = await store.get('initramfs', hashParts(['new']), 'a fresh initramfs', async (d) =>
    writeFileSync(join(d, 'i'), 'y'),
  );
  const longAgo = new Date(Date.now() - 40 * 86_400_000);
  utimesSync(old.dir, longAgo, longAgo);
  // Kernel build trees: one left 40 days ago, one in use today.
  const oldTree = join(cacheDir, 'work', 'kbuild-0123');
  const freshTree = join(cacheDir, 'work', 'kbuild-4567');
  mkdirSync(oldTree, { recursive: true });
  mkdirSync(freshTree, { recursive: true });
  writeFileSync(join(oldTree, 'vmlinux.o'), 'z'.repeat(4096));
  utimesSync(oldTree, longAgo, longAgo);
  return { cacheDir, old, fresh, oldTree, freshTree };
}

describe('boot-budget cache', () => {
  it('parses its arguments', () => {
    expect(parseCliArgs(['cache', 'prune', '--older-than', '30d'])).toMatchObject({
      command: 'cache',
      cacheAction: 'prune',
      olderThanMs: 30 * 86_400_000,
    });
    expect(parseCliArgs(['cache', 'list'])).toMatchObject({ command: 'cache', cacheAction: 'list' });
    expect(() => parseCliArgs(['cache', 'purge'])).toThrow(/cache takes one of list, prune or clear/);
    expect(() => parseCliArgs(['cache', 'list', '--older-than', '1d'])).toThrow(/only goes with cache prune/);
    expect(parseAge('12h')).toBe(12 * 3_600_000);
    expect(parseAge('12')).toBeUndefined();
  });

  it('lists entries with their size, last use and description', async () => {
    const { cacheDir } = await filledCache();
    const out = await cacheCommand('list', cacheDir);
    expect(out).toMatch(/^initramfs +[0-9a-f]{12} +1 B +used 0m ago +a fresh initramfs$/m);
    expect(out).toMatch(/^kernel-build +[0-9a-f]{12} +2\.0 KiB +used 40d ago +an old kernel$/m);
    expect(out).toMatch(/^2 entries, 2\.0 KiB in /m);
  });

  it('prunes entries unused for longer than --older-than, keeps the rest', async () => {
    const { cacheDir, old, fresh, oldTree, freshTree } = await filledCache();
    const out = await cacheCommand('prune', cacheDir, { olderThanMs: 30 * 86_400_000 });
    expect(out).toMatch(/removed kernel-build\/[0-9a-f]{12} \(an old kernel, used 40d ago\)/);
    expect(out).toMatch(/pruned 1 of 2 entries/);
    expect(existsSync(old.dir)).toBe(false);
    expect(existsSync(fresh.dir)).toBe(true);
    // Kernel build trees go by the same age rule.
    expect(out).toMatch(/^removed work\/kbuild-0123$/m);
    expect(out).not.toMatch(/kbuild-4567/);
    expect(existsSync(oldTree)).toBe(false);
    expect(existsSync(freshTree)).toBe(true);
  });

  it('clears everything it owns', async () => {
    const { cacheDir } = await filledCache();
    writeFileSync(join(cacheDir, 'not-ours'), 'keep');
    expect(await cacheCommand('clear', cacheDir)).toMatch(/cleared 2 entries/);
    expect(existsSync(join(cacheDir, 'store'))).toBe(false);
    expect(existsSync(join(cacheDir, 'work'))).toBe(false);
    expect(existsSync(join(cacheDir, 'not-ours'))).toBe(true);
  });
});
