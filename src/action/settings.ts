import * as core from '@actions/core';
import * as glob from '@actions/glob';
import { parseShard, type Shard } from '../core/shard.js';
import { UsageError } from '../errors.js';
import { FAIL_ON_LEVELS, type FailOn } from '../judge/verdict.js';
import type { KvmMode } from '../scenario/types.js';
import { INPUTS, type InputName } from './contract.js';
import { COMMENT_MODES, type CommentMode } from '../report/github/comment.js';

/** Reads one input: `core.getInput` in the Action, a recorder in tests. */
export type InputReader = (name: InputName) => string;

/** Everything the Action's inputs say, typed. The only module that reads inputs (see actions/checkout). */
export interface ActionSettings {
  /** Scenario files and directories, globs already expanded. */
  paths: string[];
  passes?: number;
  warmup?: number;
  kvm?: KvmMode;
  cache: boolean;
  results: string;
  shard?: Shard;
  failOn: FailOn;
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
  /** Where to write the HTML report (input `html`); none when empty. */
  html?: string;
  /** When to post the sticky pull-request comment (input `comment`). */
  comment: CommentMode;
  /** The token the comment is posted with (input `github-token`, default the workflow's). */
  githubToken: string;
}

function optionalCount(input: InputReader, name: InputName, min: number): number | undefined {
  const text = input(name);
  if (text === '') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min)
    throw new UsageError(`input ${name}: expected a whole number ≥ ${min}, got "${text}"`);
  return Number(text);
}

function oneOf<T extends string>(
  input: InputReader,
  name: InputName,
  allowed: readonly T[],
  fallback: T | undefined,
): T | undefined {
  const text = input(name);
  if (text === '') return fallback;
  if (!(allowed as readonly string[]).includes(text))
    throw new UsageError(`input ${name}: expected one of ${allowed.join(', ')}, got "${text}"`);
  return text as T;
}

function flag(input: InputReader, name: InputName, fallback: boolean): boolean {
  const text = input(name).trim().toLowerCase();
  if (text === '') return fallback;
  if (['true', 'yes', '1'].includes(text)) return true;
  if (['false', 'no', '0'].includes(text)) return false;
  throw new UsageError(`input ${name}: expected true or false, got "${text}"`);
}

/** Paths stay as given (a missing one is reported by the loader, with its name); patterns are expanded. */
async function expandGlobs(patterns: string[], what: 'files' | 'any'): Promise<string[]> {
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

function words(input: InputReader, name: InputName): string[] {
  return input(name)
    .split(/[\s,]+/)
    .filter(Boolean);
}

export async function readActionSettings(
  platform: NodeJS.Platform = process.platform,
  input: InputReader = (name) => core.getInput(name),
): Promise<ActionSettings> {
  const scenarioPatterns = words(input, INPUTS.scenarios);
  const shard = input(INPUTS.shard);
  return {
    paths: await expandGlobs(scenarioPatterns.length ? scenarioPatterns : ['scenarios/'], 'any'),
    passes: optionalCount(input, INPUTS.passes, 1),
    warmup: optionalCount(input, INPUTS.warmup, 0),
    kvm: oneOf(input, INPUTS.kvm, ['auto', 'required', 'off'] as const, undefined),
    cache: flag(input, INPUTS.cache, true),
    results: input(INPUTS.results) || 'boot-budget-results.json',
    shard: shard ? parseShard(shard) : undefined,
    failOn: oneOf(input, INPUTS.failOn, FAIL_ON_LEVELS, 'error') ?? 'error',
    install: flag(input, INPUTS.install, platform === 'linux'),
    merge: await expandGlobs(words(input, INPUTS.merge), 'files'),
    allowOutside: flag(input, INPUTS.allowOutside, false),
    baseline: flag(input, INPUTS.baseline, true),
    maxPasses: optionalCount(input, INPUTS.maxPasses, 1),
    clock: oneOf(input, INPUTS.clock, ['wall', 'virtual'] as const, undefined),
    html: input(INPUTS.html) || undefined,
    comment: oneOf(input, INPUTS.comment, COMMENT_MODES, 'on-change') ?? 'on-change',
    githubToken: input(INPUTS.githubToken),
  };
}
