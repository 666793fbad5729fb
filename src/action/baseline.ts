/**
 * The base-branch baseline: on a push to the default branch, the run's results JSON is saved to the Actions
 * cache under a key with the commit SHA; on a pull request, the newest results saved for its base branch are restored
 * by key prefix and compared with this run. The only module besides the artifact adapter that imports @actions/cache,
 * and only through the injectable `BaselineCacheApi`, so tests run it without a runner.
 *
 * A missing, unreadable or incomparable baseline is a note in the summary, never a failure: the first pull request
 * after adopting boot-budget has no baseline, and a cache entry may have been evicted.
 */
import * as actionsCache from '@actions/cache';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { RunResults } from '../judge/types.js';
import { describeError } from '../errors.js';
import { compareRuns } from '../judge/compare.js';
import type { BaselineSummary } from '../report/github/regression.js';
import type { RegressionSettings } from '../judge/regression.js';
import { resultsFromJson } from '../report/results-file.js';

export interface BaselineCacheApi {
  isFeatureAvailable(): boolean;
  restoreCache(paths: string[], primaryKey: string, restoreKeys?: string[]): Promise<string | undefined>;
  saveCache(paths: string[], key: string): Promise<number>;
}

/** What the workflow run is, from the runner's environment and event payload. */
export interface RunContext {
  event: string;
  /** The branch pushed to, or the pull request's base branch. */
  branch: string | null;
  sha: string;
  defaultBranch: string | null;
  os: string;
}

export async function runContext(env: NodeJS.ProcessEnv): Promise<RunContext> {
  let defaultBranch: string | null = null;
  if (env.GITHUB_EVENT_PATH) {
    try {
      const payload = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as {
        repository?: { default_branch?: unknown };
      };
      if (typeof payload.repository?.default_branch === 'string') defaultBranch = payload.repository.default_branch;
    } catch {
      // No payload means no way to tell the default branch; the plan below then saves nothing.
    }
  }
  const event = env.GITHUB_EVENT_NAME ?? '';
  const pull = event === 'pull_request' || event === 'pull_request_target';
  const ref = env.GITHUB_REF ?? '';
  const branch = pull
    ? env.GITHUB_BASE_REF || null
    : ref.startsWith('refs/heads/')
      ? ref.slice('refs/heads/'.length)
      : null;
  return { event, branch, sha: env.GITHUB_SHA ?? '', defaultBranch, os: env.RUNNER_OS ?? process.platform };
}

export type BaselinePlan =
  | { kind: 'save'; key: string }
  | { kind: 'restore'; prefix: string; primaryKey: string; branch: string }
  | { kind: 'none'; reason: string };

const KEY_ROOT = 'boot-budget-results';

/** Keys carry the OS, branch and shard, so a restore never picks up results from another setup or shard. */
function keyPrefix(os: string, branch: string, shard?: string): string {
  const clean = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${KEY_ROOT}-${clean(os)}-${clean(branch)}-${shard ? `shard${clean(shard)}-` : ''}`;
}

export function planBaseline(ctx: RunContext, shard?: string): BaselinePlan {
  const pull = ctx.event === 'pull_request' || ctx.event === 'pull_request_target';
  if (pull && ctx.branch) {
    const prefix = keyPrefix(ctx.os, ctx.branch, shard);
    // The primary key never exists (it names this run's head commit), so the restore falls back to the newest prefix match.
    return { kind: 'restore', prefix, primaryKey: `${prefix}${ctx.sha}`, branch: ctx.branch };
  }
  if (ctx.event === 'push' && ctx.branch && ctx.branch === ctx.defaultBranch && ctx.sha) {
    return { kind: 'save', key: `${keyPrefix(ctx.os, ctx.branch, shard)}${ctx.sha}` };
  }
  return {
    kind: 'none',
    reason: pull
      ? 'the pull request has no base branch'
      : `baselines are saved on pushes to the default branch and compared on pull requests (this is a ${ctx.event || 'local'} run)`,
  };
}

/**
 * The cache versions an entry by its paths, so save and restore must name the same absolute file: `transferFile`
 * is under the cache dir, which is the same on every runner.
 */
export async function restoreBaseline(
  plan: Extract<BaselinePlan, { kind: 'restore' }>,
  head: RunResults,
  transferFile: string,
  overrides: Partial<RegressionSettings>,
  api: BaselineCacheApi = actionsCache,
): Promise<BaselineSummary> {
  try {
    if (!api.isFeatureAvailable()) return { note: 'no baseline: the Actions cache is not available to this run' };
    await rm(transferFile, { force: true });
    await mkdir(dirname(transferFile), { recursive: true });
    const key = await api.restoreCache([transferFile], plan.primaryKey, [plan.prefix]);
    if (!key)
      return {
        note: `no baseline: no results of \`${plan.branch}\` in the Actions cache yet (they are saved by pushes to it)`,
      };
    const base = resultsFromJson(JSON.parse(await readFile(transferFile, 'utf8')), `baseline ${key}`);
    // A baseline saved by an older boot-budget still compares; what it lacked is named where the source is.
    const unknown = [...new Set(base.scenarios.flatMap((s) => s.unknown ?? []))];
    const older = unknown.length ? ` (saved by an older boot-budget; unknown: ${unknown.join(', ')})` : '';
    try {
      return {
        comparison: compareRuns(base, head, { overrides }),
        source: `${plan.branch} @ ${key.slice(plan.prefix.length, plan.prefix.length + 12)}${older}`,
      };
    } catch (error) {
      return { note: `baseline not compared: ${describeError(error)}` };
    }
  } catch (error) {
    return { note: `no baseline: restoring it failed (${describeError(error)})` };
  } finally {
    await rm(transferFile, { force: true }).catch(() => undefined);
  }
}

/** Saves this run's results as the baseline for its commit. Returns a note for the log, never throws. */
export async function saveBaseline(
  plan: Extract<BaselinePlan, { kind: 'save' }>,
  resultsFile: string,
  transferFile: string,
  api: BaselineCacheApi = actionsCache,
): Promise<string> {
  try {
    if (!api.isFeatureAvailable()) return 'baseline not saved: the Actions cache is not available to this run';
    await mkdir(dirname(transferFile), { recursive: true });
    await copyFile(resultsFile, transferFile);
    await api.saveCache([transferFile], plan.key);
    return `baseline saved as ${plan.key}`;
  } catch (error) {
    // A re-run of the same commit finds its key taken (ReserveCacheError): the saved results are as good.
    return `baseline not saved: ${describeError(error)}`;
  } finally {
    await rm(transferFile, { force: true }).catch(() => undefined);
  }
}

export function baselineTransferFile(cacheDir: string): string {
  return join(cacheDir, 'baseline-transfer', 'boot-budget-results.json');
}
