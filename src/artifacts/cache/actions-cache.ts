/**
 * The RemoteCache port over GitHub's Actions cache (@actions/cache). The only module that imports @actions/cache:
 * the core and the store know just the port, so the CLI bundle never loads it.
 *
 * The Actions cache versions an entry by its `paths` list, so save and restore must name the very same absolute
 * path. Store entries are restored into temp dirs with random names, so the adapter moves bytes through one fixed
 * transfer directory per key (`<transferRoot>/<key>`) on both sides. Keys are immutable: an entry is saved only
 * when this run built it (the store calls `save` on a miss only), and never after a restore of the same key.
 * Every call is guarded by isFeatureAvailable(), and every failure is a warning: a run never fails because the
 * remote cache did.
 */
import * as actionsCache from '@actions/cache';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RemoteCache } from '../types.js';

/** The three functions used, so tests can inject fakes at the boundary. */
export interface ActionsCacheApi {
  isFeatureAvailable(): boolean;
  restoreCache(paths: string[], primaryKey: string): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

const KEY_PATTERN = /^boot-budget-[a-z0-9-]+-[0-9a-f]{16,64}$/;

export class ActionsRemoteCache implements RemoteCache {
  private readonly restored = new Set<string>();

  constructor(
    /** A directory that is the same on every runner (e.g. under the runner's temp dir or the cache dir). */
    private readonly transferRoot: string,
    private readonly warn: (message: string) => void,
    private readonly api: ActionsCacheApi = actionsCache,
  ) {}

  private pathsFor(key: string): string[] {
    return [join(this.transferRoot, key)];
  }

  private available(): boolean {
    try {
      return this.api.isFeatureAvailable();
    } catch {
      return false;
    }
  }

  async restore(key: string, dir: string): Promise<boolean> {
    if (!KEY_PATTERN.test(key) || !this.available()) return false;
    const [transfer] = this.pathsFor(key) as [string];
    try {
      await rm(transfer, { recursive: true, force: true });
      const hit = await this.api.restoreCache(this.pathsFor(key), key);
      if (hit !== key) return false;
      await rm(dir, { recursive: true, force: true });
      await rename(transfer, dir).catch(async () => {
        await cp(transfer, dir, { recursive: true, verbatimSymlinks: true });
      });
      this.restored.add(key);
      return true;
    } catch (error) {
      this.warn(`Actions cache: restoring ${key} failed (${(error as Error).message}); building it here instead`);
      return false;
    } finally {
      await rm(transfer, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  async save(key: string, dir: string): Promise<void> {
    if (!KEY_PATTERN.test(key) || this.restored.has(key) || !this.available()) return;
    const [transfer] = this.pathsFor(key) as [string];
    try {
      await rm(transfer, { recursive: true, force: true });
      await mkdir(this.transferRoot, { recursive: true });
      await cp(dir, transfer, { recursive: true, verbatimSymlinks: true });
      await this.api.saveCache(this.pathsFor(key), key);
    } catch (error) {
      // Another job saving the same immutable key first lands here too (ReserveCacheError); that is not a problem.
      this.warn(`Actions cache: saving ${key} failed (${(error as Error).message}); the local cache still has it`);
    } finally {
      await rm(transfer, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
