/**
 * The content-addressed artifact store under `<cacheDir>/store/<kind>/<key>/`. A key is the sha256 of everything an
 * artifact's bytes depend on, so an entry is immutable: it is written once (into a temp dir, then renamed into place)
 * and never updated. Each entry carries a manifest with the sha256 of every file; reading an entry re-hashes it, and
 * a corrupt entry is removed and rebuilt with a warning rather than booted. Writers of one key are kept apart by a
 * lock (proper-lockfile, with stale-lock detection), so a second boot-budget process waits for the first one's build
 * and then reuses it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import lockfile from 'proper-lockfile';
import { InfraError } from '../../errors.js';
import type { RemoteCache } from '../types.js';

export const MANIFEST = '.boot-budget-manifest.json';
const STORE_DIR = 'store';
const KIND_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

export interface Manifest {
  version: 1;
  kind: string;
  key: string;
  created: string;
  /** What the entry is, for `cache list`. */
  description: string;
  /** Relative path → `sha256:<hex>` for files, `symlink:<target>` for links, `dir` for directories. */
  files: Record<string, string>;
}

export interface StoreEntry {
  dir: string;
  manifest: Manifest;
  /** False when this call built (or restored) the entry. */
  hit: boolean;
  /** Set when the entry came from the remote cache. */
  remote?: boolean;
}

export interface StoreOptions {
  cacheDir: string;
  warn(message: string): void;
  remote?: RemoteCache;
  /** How long to wait for another process's lock before giving up; a kernel build can hold it for many minutes. */
  lockWaitMs?: number;
}

/** sha256 over length-prefixed parts, so that one split of the bytes into parts never hashes like another. */
export function hashParts(parts: ReadonlyArray<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(bytes.length));
    hash.update(length).update(bytes);
  }
  return hash.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface TreeNode {
  /** Relative to the walked root. */
  rel: string;
  kind: 'dir' | 'symlink' | 'file';
  /** lstat's mode. */
  mode: number;
  /** A symlink's target. */
  target?: string;
}

/** Every directory, symlink and regular file under `root` without following links, depth first in name order. */
async function walkTree(root: string, skip: (rel: string) => boolean = () => false): Promise<TreeNode[]> {
  const nodes: TreeNode[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (skip(rel)) continue;
      const st = await lstat(path);
      if (st.isDirectory()) {
        nodes.push({ rel, kind: 'dir', mode: st.mode });
        await walk(path);
      } else if (st.isSymbolicLink()) nodes.push({ rel, kind: 'symlink', mode: st.mode, target: await readlink(path) });
      else if (st.isFile()) nodes.push({ rel, kind: 'file', mode: st.mode });
    }
  };
  await walk(root);
  return nodes;
}

/** The sha256 of every file among `nodes`, by relative path. */
async function hashFiles(root: string, nodes: readonly TreeNode[]): Promise<Map<string, string>> {
  const files = nodes.filter((n) => n.kind === 'file');
  const hashes = new Map<string, string>();
  // An unpacked kernel tree is ~84,000 files; hashing them one at a time is bound by per-file latency, not by bytes.
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const { rel } = files[next++]!;
      hashes.set(rel, await sha256File(join(root, rel)));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return hashes;
}

/** Every file, link and directory under `root`, without following links, in a stable order. */
export async function describeTree(root: string): Promise<Record<string, string>> {
  const nodes = await walkTree(root, (rel) => rel === MANIFEST);
  const hashes = await hashFiles(root, nodes);
  return Object.fromEntries(
    nodes.map((n) => [
      n.rel,
      n.kind === 'dir' ? 'dir' : n.kind === 'symlink' ? `symlink:${n.target}` : `sha256:${hashes.get(n.rel)}`,
    ]),
  );
}

/** A content hash of a directory tree: names, kinds, executable bits, file bytes and link targets. */
export async function hashTree(root: string): Promise<string> {
  const nodes = await walkTree(root);
  const hashes = await hashFiles(root, nodes);
  return hashParts(
    nodes.map((n) =>
      n.kind === 'dir'
        ? `d ${n.rel}`
        : n.kind === 'symlink'
          ? `l ${n.rel} ${n.target}`
          : `f ${n.rel} ${(n.mode & 0o111) !== 0 ? 'x' : '-'} ${hashes.get(n.rel)}`,
    ),
  );
}

export class ArtifactStore {
  constructor(private readonly options: StoreOptions) {}

  get root(): string {
    return join(this.options.cacheDir, STORE_DIR);
  }

  entryDir(kind: string, key: string): string {
    return join(this.root, kind, key);
  }

  /**
   * The entry for (kind, key), building it with `build(dir)` when it is missing or corrupt. `build` writes the
   * artifact's files into `dir`, a fresh directory that becomes the entry only if `build` succeeds. A full or
   * unwritable cache surfaces as the file-system error; `cacheWriteError` words it for people (resolve.ts does).
   */
  async get(
    kind: string,
    key: string,
    description: string,
    build: (dir: string) => Promise<void>,
    /** `remote: false` keeps an entry out of the remote cache (an unpacked source tree is cheaper to unpack again). */
    options: { remote?: boolean } = {},
  ): Promise<StoreEntry> {
    if (!KIND_PATTERN.test(kind) || !/^[0-9a-f]{16,64}$/.test(key)) throw new Error(`bad store address ${kind}/${key}`);
    const dir = this.entryDir(kind, key);
    const found = await this.read(kind, key);
    if (found) return { dir, manifest: found, hit: true };

    await mkdir(join(this.root, kind), { recursive: true });
    return this.withLock(dir, async () => {
      // Another process may have finished the entry while this one waited for the lock.
      const again = await this.read(kind, key);
      if (again) return { dir, manifest: again, hit: true };

      const remoteKey = `boot-budget-${kind}-${key}`;
      const remote = options.remote === false ? undefined : this.options.remote;
      if (remote) {
        const staged = await this.stagingDir(dir);
        try {
          if (await remote.restore(remoteKey, staged)) {
            const manifest = await this.verify(staged, kind, key);
            if (manifest) {
              await rename(staged, dir);
              return { dir, manifest, hit: false, remote: true };
            }
            this.options.warn(`the remote cache entry ${remoteKey} failed verification; building it here instead`);
          }
        } finally {
          await rm(staged, { recursive: true, force: true });
        }
      }

      const staged = await this.stagingDir(dir);
      let manifest: Manifest;
      try {
        await build(staged);
        manifest = {
          version: 1,
          kind,
          key,
          created: new Date().toISOString(),
          description,
          files: await describeTree(staged),
        };
        await writeFile(join(staged, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
        await rename(staged, dir);
      } finally {
        await rm(staged, { recursive: true, force: true });
      }
      // Keys are immutable, so the remote copy is saved once, on this miss, and never overwritten.
      if (remote) await remote.save(remoteKey, dir);
      return { dir, manifest, hit: false };
    });
  }

  /** The verified manifest of an existing entry; a corrupt entry is removed (with a warning) and reads as missing. */
  async read(kind: string, key: string): Promise<Manifest | undefined> {
    const dir = this.entryDir(kind, key);
    try {
      await stat(join(dir, MANIFEST));
    } catch {
      return undefined;
    }
    const manifest = await this.verify(dir, kind, key);
    if (manifest) {
      // The directory's mtime records the last use, which `cache prune --older-than` goes by.
      const now = new Date();
      await utimes(dir, now, now).catch(() => undefined);
      return manifest;
    }
    this.options.warn(
      `cache entry ${kind}/${key.slice(0, 16)} is corrupt (its files no longer match their sha256); rebuilding it`,
    );
    await this.remove(kind, key);
    return undefined;
  }

  private async verify(dir: string, kind: string, key: string): Promise<Manifest | undefined> {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
    } catch {
      return undefined;
    }
    if (manifest.version !== 1 || manifest.kind !== kind || manifest.key !== key) return undefined;
    const actual = await describeTree(dir).catch(() => undefined);
    if (!actual) return undefined;
    const expected = manifest.files;
    const keys = Object.keys(expected);
    if (keys.length !== Object.keys(actual).length) return undefined;
    return keys.every((k) => actual[k] === expected[k]) ? manifest : undefined;
  }

  private async stagingDir(dir: string): Promise<string> {
    const staged = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await mkdir(staged, { recursive: true });
    return staged;
  }

  /** Runs `fn` holding the lock of `path` (a sibling `<path>.lock` directory), waiting for other holders. */
  async withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(path, fn, this.options.lockWaitMs, this.options.warn);
  }

  /** All entries, for `cache list` and `cache prune`. */
  async list(): Promise<
    Array<{ kind: string; key: string; dir: string; bytes: number; lastUsed: Date; description: string }>
  > {
    const out = [];
    let kinds: string[] = [];
    try {
      kinds = (await readdir(this.root)).sort();
    } catch {
      return [];
    }
    for (const kind of kinds) {
      if (!KIND_PATTERN.test(kind)) continue;
      for (const key of (await readdir(join(this.root, kind))).sort()) {
        if (!/^[0-9a-f]+$/.test(key)) continue;
        const dir = join(this.root, kind, key);
        let manifest: Manifest;
        try {
          manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
        } catch {
          continue;
        }
        const st = await stat(dir);
        out.push({ kind, key, dir, bytes: await dirBytes(dir), lastUsed: st.mtime, description: manifest.description });
      }
    }
    return out;
  }

  /** Removes one entry under its lock, so a process reading or building it is not pulled from under. */
  async remove(kind: string, key: string): Promise<void> {
    const dir = this.entryDir(kind, key);
    await this.withLock(dir, async () => {
      const trash = `${dir}.removed-${process.pid}-${randomBytes(4).toString('hex')}`;
      await rename(dir, trash).catch(() => undefined);
      await rm(trash, { recursive: true, force: true });
    });
  }
}

const CACHE_WRITE_CODES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a file is where a directory is expected',
  EEXIST: 'a file is where a directory is expected',
};

/**
 * A full or unwritable cache is the machine's trouble, not a bug: say so, and where. The staging directory has been
 * removed by then, so no partial entry is left; errors about files outside the cache (a scenario's own inputs) pass.
 */
export function cacheWriteError(error: unknown, cacheDir: string): InfraError | undefined {
  const { code, path } = (error ?? {}) as NodeJS.ErrnoException;
  const reason = code ? CACHE_WRITE_CODES[code] : undefined;
  if (!reason || (path !== undefined && !path.startsWith(cacheDir))) return undefined;
  return new InfraError(
    `cannot write the artifact cache ${cacheDir}: ${reason} (${code}${path ? ` at ${path}` : ''}); nothing partial was kept.`,
    'Free some space there, or point boot-budget at another cache with --cache-dir (XDG_CACHE_HOME in the Action).',
  );
}

/**
 * The bytes of the regular files under `dir`, store manifests left out (they are bookkeeping, not artifact). A
 * directory that is missing or goes away meanwhile (another process pruning) counts as empty.
 */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirBytes(path);
    else if (entry.isFile() && entry.name !== MANIFEST) total += (await lstat(path).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

/**
 * proper-lockfile keeps the lock fresh by touching it every few seconds; a lock whose holder died goes stale after
 * `stale` ms and is taken over. Waiting is a poll, because a kernel build can hold a lock for many minutes.
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  waitMs = 60 * 60 * 1000,
  warn: (message: string) => void = () => undefined,
): Promise<T> {
  const started = Date.now();
  await mkdir(dirname(path), { recursive: true });
  let release: (() => Promise<void>) | undefined;
  let told = false;
  while (!release) {
    try {
      release = await lockfile.lock(path, { realpath: false, stale: 20_000, update: 5_000 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() - started > waitMs) {
        throw new InfraError(
          `gave up after ${Math.round(waitMs / 1000)} s waiting for the cache lock ${path}.lock held by another boot-budget process.`,
        );
      }
      if (!told) warn(`waiting for another boot-budget process that holds ${path}.lock`);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
