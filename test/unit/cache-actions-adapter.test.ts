import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ActionsCacheApi, ActionsRemoteCache } from '../../src/artifacts/cache/actions-cache.js';
import { testDir } from '../helpers/vitest-dirs.js';

const KEY = `boot-budget-kernel-build-${'c'.repeat(64)}`;

/** A fake Actions cache that stores path contents by key and records every call. */
function fakeApi(options: { available?: boolean; failSave?: boolean; failRestore?: boolean } = {}) {
  const stored = new Map<string, { paths: string[]; copy: string }>();
  const calls: Array<{ fn: string; paths?: string[]; key?: string }> = [];
  const api: ActionsCacheApi = {
    isFeatureAvailable() {
      calls.push({ fn: 'isFeatureAvailable' });
      return options.available ?? true;
    },
    async restoreCache(paths, key) {
      calls.push({ fn: 'restoreCache', paths, key });
      if (options.failRestore) throw new Error('network down');
      const hit = stored.get(key);
      if (!hit || JSON.stringify(hit.paths) !== JSON.stringify(paths)) return undefined;
      cpSync(hit.copy, paths[0]!, { recursive: true });
      return key;
    },
    async saveCache(paths, key) {
      calls.push({ fn: 'saveCache', paths, key });
      if (options.failSave)
        throw new Error('Unable to reserve cache with key, another job may be creating this cache.');
      const copy = join(testDir(), 'copy');
      cpSync(paths[0]!, copy, { recursive: true });
      stored.set(key, { paths, copy });
      return 1;
    },
  };
  return { api, calls, stored };
}

describe('ActionsRemoteCache (the @actions/cache adapter)', () => {
  it('saves on a miss and restores with the identical paths list', async () => {
    const transfer = testDir();
    const { api, calls } = fakeApi();
    const warnings: string[] = [];
    const entry = join(testDir(), 'entry');
    mkdirSync(entry);
    writeFileSync(join(entry, 'bzImage'), 'kernel');

    const cache = new ActionsRemoteCache(transfer, (m) => warnings.push(m), api);
    expect(await cache.restore(KEY, join(testDir(), 'staged'))).toBe(false);
    await cache.save(KEY, entry);

    const other = new ActionsRemoteCache(transfer, (m) => warnings.push(m), api);
    const staged = join(testDir(), 'staged');
    expect(await other.restore(KEY, staged)).toBe(true);
    expect(readFileSync(join(staged, 'bzImage'), 'utf8')).toBe('kernel');
    // Restored keys are never saved again: keys are immutable.
    await other.save(KEY, staged);

    const paths = calls.filter((c) => c.paths).map((c) => `${c.fn} ${JSON.stringify(c.paths)}`);
    const expected = JSON.stringify([join(transfer, KEY)]);
    expect(paths).toEqual([`restoreCache ${expected}`, `saveCache ${expected}`, `restoreCache ${expected}`]);
    expect(warnings).toEqual([]);
    expect(existsSync(join(transfer, KEY))).toBe(false);
  });

  it('does nothing when the feature is unavailable', async () => {
    const { api, calls } = fakeApi({ available: false });
    const cache = new ActionsRemoteCache(testDir(), () => undefined, api);
    expect(await cache.restore(KEY, join(testDir(), 'x'))).toBe(false);
    await cache.save(KEY, testDir());
    expect(calls.map((c) => c.fn)).toEqual(['isFeatureAvailable', 'isFeatureAvailable']);
  });

  it('turns failed saves and restores into warnings, never errors', async () => {
    const warnings: string[] = [];
    const { api } = fakeApi({ failSave: true, failRestore: true });
    const cache = new ActionsRemoteCache(testDir(), (m) => warnings.push(m), api);
    expect(await cache.restore(KEY, join(testDir(), 'x'))).toBe(false);
    await expect(cache.save(KEY, testDir())).resolves.toBeUndefined();
    expect(warnings).toEqual([
      expect.stringMatching(/^Actions cache: restoring boot-budget-kernel-build-c+ failed \(network down\)/),
      expect.stringMatching(/^Actions cache: saving boot-budget-kernel-build-c+ failed \(Unable to reserve/),
    ]);
  });

  it('ignores keys that are not boot-budget keys', async () => {
    const { api, calls } = fakeApi();
    const cache = new ActionsRemoteCache(testDir(), () => undefined, api);
    expect(await cache.restore('something-else', testDir())).toBe(false);
    expect(calls).toEqual([]);
  });
});

describe('@actions/cache stays behind the adapter', () => {
  it('no core, artifact, CLI, scenario or boot module but the adapter imports it', async () => {
    const { readdirSync, statSync } = await import('node:fs');
    const { REPO } = await import('../helpers/cli.js');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (
          path.endsWith('.ts') &&
          !path.endsWith(join('cache', 'actions-cache.ts')) &&
          /from '@actions\/cache'/.test(readFileSync(path, 'utf8'))
        ) {
          offenders.push(path);
        }
      }
    };
    for (const area of ['core', 'artifacts', 'cli', 'scenario', 'boot']) walk(join(REPO, 'src', area));
    expect(offenders).toEqual([]);
  });
});
