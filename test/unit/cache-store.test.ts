import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactStore, hashParts } from '../../src/artifacts/cache/store.js';
import type { RemoteCache } from '../../src/artifacts/types.js';
import { REPO } from '../helpers/cli.js';
import { testDir } from '../helpers/vitest-dirs.js';

const KEY = hashParts(['test']);

describe('ArtifactStore', () => {
  it('builds once, then reads the verified entry without building', async () => {
    const warnings: string[] = [];
    const store = new ArtifactStore({ cacheDir: testDir(), warn: (m) => warnings.push(m) });
    let builds = 0;
    const build = async (dir: string) => {
      builds++;
      writeFileSync(join(dir, 'a'), 'alpha');
    };
    const first = await store.get('test', KEY, 'test entry', build);
    const second = await store.get('test', KEY, 'test entry', build);
    expect([first.hit, second.hit, builds]).toEqual([false, true, 1]);
    expect(readFileSync(join(second.dir, 'a'), 'utf8')).toBe('alpha');
    expect(second.manifest.files).toEqual({
      a: 'sha256:8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8',
    });
    expect(warnings).toEqual([]);
    // Nothing but the entry and its lock's absence: no temp dirs left behind.
    expect(readdirSync(join(store.root, 'test'))).toEqual([KEY]);
  });

  it('rebuilds a corrupt entry with a warning', async () => {
    const warnings: string[] = [];
    const store = new ArtifactStore({ cacheDir: testDir(), warn: (m) => warnings.push(m) });
    const build = async (dir: string) => writeFileSync(join(dir, 'a'), 'alpha');
    const first = await store.get('test', KEY, 'test entry', build);
    writeFileSync(join(first.dir, 'a'), 'tampered');
    const second = await store.get('test', KEY, 'test entry', build);
    expect(second.hit).toBe(false);
    expect(readFileSync(join(second.dir, 'a'), 'utf8')).toBe('alpha');
    expect(warnings).toEqual([expect.stringMatching(/cache entry test\/[0-9a-f]{16} is corrupt .* rebuilding it/)]);
  });

  it('leaves no entry when the build fails', async () => {
    const store = new ArtifactStore({ cacheDir: testDir(), warn: () => undefined });
    await expect(
      store.get('test', KEY, 'x', async (dir) => {
        writeFileSync(join(dir, 'half'), 'x');
        throw new Error('compiler exploded');
      }),
    ).rejects.toThrow('compiler exploded');
    expect(readdirSync(join(store.root, 'test'))).toEqual([]);
  });

  it('restores from the remote cache on a local miss and saves only what it built', async () => {
    const saved = new Map<string, string>();
    const remote: RemoteCache = {
      async restore(key, dir) {
        const payload = saved.get(key);
        if (!payload) return false;
        // A remote entry is a saved entry directory, manifest included.
        const { cpSync } = await import('node:fs');
        cpSync(payload, dir, { recursive: true });
        return true;
      },
      async save(key, dir) {
        const copy = join(testDir(), 'saved');
        const { cpSync } = await import('node:fs');
        cpSync(dir, copy, { recursive: true });
        saved.set(key, copy);
      },
    };
    const build = async (dir: string) => writeFileSync(join(dir, 'a'), 'alpha');
    const one = new ArtifactStore({ cacheDir: testDir(), warn: () => undefined, remote });
    expect((await one.get('test', KEY, 'x', build)).hit).toBe(false);
    expect([...saved.keys()]).toEqual([`boot-budget-test-${KEY}`]);

    let built = false;
    const two = new ArtifactStore({ cacheDir: testDir(), warn: () => undefined, remote });
    const restored = await two.get('test', KEY, 'x', async () => {
      built = true;
    });
    expect([restored.remote, built]).toEqual([true, false]);
    expect(readFileSync(join(restored.dir, 'a'), 'utf8')).toBe('alpha');
  });

  it('two processes building one entry at once: one builds, the other waits and reuses it', {
    timeout: 60_000,
  }, async () => {
    const dir = testDir();
    const counter = join(dir, 'builds.txt');
    const script = join(REPO, 'test', 'fixtures', 'cache', 'build-entry.ts');
    const runOne = () =>
      new Promise<{ dir: string; hit: boolean }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, dir, counter], {
          cwd: REPO,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) =>
          code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}: ${err}`)),
        );
      });
    const results = await Promise.all([runOne(), runOne()]);
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(results.map((r) => r.hit).sort()).toEqual([false, true]);
    expect(results[0]!.dir).toBe(results[1]!.dir);
    const warnings: string[] = [];
    const store = new ArtifactStore({ cacheDir: dir, warn: (m) => warnings.push(m) });
    expect(await store.read('test', 'ab'.repeat(32))).toBeDefined();
    expect(readFileSync(join(results[0]!.dir, 'payload'), 'utf8')).toBe('first half second half');
    expect(warnings).toEqual([]);
    expect(existsSync(`${results[0]!.dir}.lock`)).toBe(false);
  });
});
