import * as core from '@actions/core';
import * as glob from '@actions/glob';
import { parseShard, type Shard } from '../core/shard.js';
import { UsageError } from '../errors.js';
import type { KvmMode } from '../scenario/types.js';

/** Everything the Action's inputs say, typed. The only module that calls getInput (see actions/checkout). */
export interface ActionSettings {
  /** Scenario files and directories, globs already expanded. */
  paths: string[];
  passes?: number;
  warmup?: number;
  kvm?: KvmMode;
  cache: boolean;
  results: string;
  shard?: Shard;
  failOn: 'error' | 'warn';
  install: boolean;
  /** Results files to merge instead of booting anything (the final job of a sharded matrix). */
  merge: string[];
  /** Let scenario paths leave the workspace (input `allow-outside`, default false). */
  allowOutside?: boolean;
  /** Compare with the base branch on pull requests and save a baseline on pushes (input `baseline`). */
  baseline: boolean;
  maxPasses?: number;
  /** Input `clock`: every scenario on this clock; empty keeps each scenario's. */
  clock?: 'wall' | 'virtual';
}

function optionalCount(name: string, min: number): number | undefined {
  const text = core.getInput(name);
  if (text === '') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new UsageError(`input ${name}: expected a whole number ≥ ${min}, got "${text}"`);
  return Number(text);
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T | undefined): T | undefined {
  const text = core.getInput(name);
  if (text === '') return fallback;
  if (!(allowed as readonly string[]).includes(text))
    throw new UsageError(`input ${name}: expected one of ${allowed.join(', ')}, got "${text}"`);
  return text as T;
}

function flag(name: string, fallback: boolean): boolean {
  const text = core.getInput(name).trim().toLowerCase();
  if (text === '') return fallback;
  if (['true', 'yes', '1'].includes(text)) return true;
  if (['false', 'no', '0'].includes(text)) return false;
  throw new UsageError(`input ${name}: expected true or false, got "${text}"`);
}

/** Paths stay as given (a missing one is reported by the loader, with its name); patterns are expanded. */
async function expand(patterns: string[], what: 'files' | 'any'): Promise<string[]> {
  const out: string[] = [];
  for (const pattern of patterns) {
    if (!/[*?[\]{}]/.test(pattern)) {
      out.push(pattern);
      continue;
    }
    const globber = await glob.create(pattern, { implicitDescendants: false, matchDirectories: what === 'any' });
    const matches = (await globber.glob()).sort();
    if (matches.length === 0) throw new UsageError(`pattern "${pattern}" matches nothing`);
    out.push(...matches);
  }
  return out;
}

function words(name: string): string[] {
  return core
    .getInput(name)
    .split(/[\s,]+/)
    .filter(Boolean);
}

export async function readActionSettings(platform: NodeJS.Platform = process.platform): Promise<ActionSettings> {
  const scenarioPatterns = words('scenarios');
  return {
    paths: await expand(scenarioPatterns.length ? scenarioPatterns : ['scenarios/'], 'any'),
    passes: optionalCount('passes', 1),
    warmup: optionalCount('warmup', 0),
    kvm: oneOf('kvm', ['auto', 'required', 'off'] as const, undefined),
    cache: flag('cache', true),
    results: core.getInput('results') || 'boot-budget-results.json',
    shard: core.getInput('shard') ? parseShard(core.getInput('shard')) : undefined,
    failOn: oneOf('fail-on', ['error', 'warn'] as const, 'error')!,
    install: flag('install', platform === 'linux'),
    merge: await expand(words('merge'), 'files'),
    allowOutside: flag('allow-outside', false),
    baseline: flag('baseline', true),
    maxPasses: optionalCount('max-passes', 1),
    clock: oneOf('clock', ['wall', 'virtual'] as const, undefined),
  };
}
