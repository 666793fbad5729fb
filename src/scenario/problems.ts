/**
 * zod's issues → problems people can act on: which key, what was wrong with it, and the valid key or value it was
 * probably meant to be. The valid keys are read from the schema itself, so the suggestions never drift from it.
 */
import { distance as levenshtein } from 'fastest-levenshtein';
import { z } from 'zod';
import { BUILTIN_STAGE_NAMES } from './builtin-stages.js';
import { scenarioSchema } from './schema.js';
import { pathKey, type LocatedProblem, type Segment } from './source-map.js';

export interface Problem extends LocatedProblem {
  /** For an unknown key: the valid key it was probably meant to be. */
  suggestion?: string;
  missingKey?: boolean;
}

export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], base: Segment[], data: unknown): Problem[] {
  return issues.flatMap((issue): Problem[] => {
    const at = [...base, ...issue.path.map(toSegment)];
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys.map((key) => unknownKeyProblem(at, key, validKeysAt(at)));
      case 'invalid_union': {
        if (!hasKey(data, at)) {
          const key = String(at[at.length - 1]);
          return [{ path: at, detail: `missing required key "${key}"`, anchor: 'parent', missingKey: true }];
        }
        const branch = closestBranch(issue.errors);
        if (branch) return problemsFromIssues(branch, at, data);
        const input = valueAt(data, at);
        if (isPlainObject(input)) {
          const valid = validKeysAt(at);
          const unknown = Object.keys(input).filter((key) => !valid.includes(key));
          if (unknown.length > 0) return unknown.map((key) => unknownKeyProblem(at, key, valid));
        }
        return [{ path: at, detail: issue.message, anchor: 'value' }];
      }
      case 'invalid_type':
        if (!hasKey(data, at)) {
          const key = String(at[at.length - 1]);
          return [{ path: at, detail: `missing required key "${key}"`, anchor: 'parent', missingKey: true }];
        }
        return [{ path: at, detail: issue.message, anchor: 'value' }];
      default:
        return [{ path: at, detail: issue.message, anchor: 'value' }];
    }
  });
}

/**
 * zod reports a failed union with the issues of every branch. Pick the branch the user evidently meant: the one that
 * got furthest (a wrong type at the top means "not this branch at all"), then the one with fewest issues. No clear
 * winner means the union's own message explains the choice better.
 */
function closestBranch(branches: readonly (readonly z.core.$ZodIssue[])[]): readonly z.core.$ZodIssue[] | undefined {
  const scored = branches.map((issues) => ({ issues, depth: Math.min(...issues.map(issueDepth)) }));
  const best = Math.max(...scored.map((branch) => branch.depth));
  const furthest = scored.filter((branch) => branch.depth === best);
  if (best === 0) return undefined;
  const fewest = Math.min(...furthest.map((branch) => branch.issues.length));
  const winners = furthest.filter((branch) => branch.issues.length === fewest);
  return winners.length === 1 ? winners[0]!.issues : undefined;
}

function issueDepth(issue: z.core.$ZodIssue): number {
  if (issue.path.length === 0) {
    if (issue.code === 'invalid_type' || issue.code === 'invalid_value') return 0;
    return issue.code === 'custom' ? 2 : 1;
  }
  return issue.code === 'invalid_type' && issue.input === undefined ? 1 : 2;
}

function unknownKeyProblem(at: Segment[], key: string, valid: string[]): Problem {
  const suggestion = closest(key, valid);
  const detail = suggestion
    ? `unknown key "${key}"; did you mean "${suggestion}"?`
    : `unknown key "${key}"; keys here: ${valid.join(', ')}`;
  return { path: [...at, key], detail, anchor: 'key', ...(suggestion ? { suggestion } : {}) };
}

/** "missing name" next to "unknown key nme; did you mean name?" says the same thing twice. */
export function dropImpliedMissingKeys(problems: Problem[]): Problem[] {
  const suggested = new Set(
    problems.filter((p) => p.suggestion).map((p) => pathKey([...p.path.slice(0, -1), p.suggestion!])),
  );
  return problems.filter((p) => !(p.missingKey && suggested.has(pathKey(p.path))));
}

/** Budgets may only name stages that exist; zod cannot know this because the declared stages are data. */
export function budgetStageProblems(data: unknown): Problem[] {
  if (!isPlainObject(data) || !isPlainObject(data['budgets'])) return [];
  const declared = Array.isArray(data['stages'])
    ? data['stages'].flatMap((stage: unknown) =>
        isPlainObject(stage) && typeof stage['name'] === 'string' ? [stage['name']] : [],
      )
    : [];
  const known = [...new Set<string>([...BUILTIN_STAGE_NAMES, ...declared])];
  return Object.keys(data['budgets'])
    .filter((stage) => !known.includes(stage))
    .map((stage): Problem => {
      const suggestion = closest(stage, known);
      const hint = suggestion ? `did you mean "${suggestion}"? ` : 'declare it under `stages:` or use a known stage. ';
      return {
        path: ['budgets', stage],
        detail: `unknown stage "${stage}"; ${hint}Stages here: ${known.join(', ')}`,
        anchor: 'key',
      };
    });
}

// ───────────────────────────── messages ─────────────────────────────

/** Messages for issues whose schema has no message of its own. */
export function messageForIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'missing required key';
      // z.int() reports a string as "expected number"; people should hear that a fraction would not do either.
      const expected = issue.expected === 'number' && schemaFormat(issue) === 'safeint' ? 'int' : issue.expected;
      return `expected ${expectedName(expected)}, got ${describeValue(issue.input)}`;
    }
    case 'invalid_value': {
      const allowed = issue.values.map(String);
      if (allowed.length === 1) return `expected "${allowed[0]}", got ${describeValue(issue.input)}`;
      const suggestion = typeof issue.input === 'string' ? closest(issue.input, allowed) : undefined;
      const hint = suggestion ? ` did you mean "${suggestion}"?` : '';
      return `${describeValue(issue.input)} is not allowed;${hint} choose one of: ${allowed.join(', ')}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `needs at least ${issue.minimum} item(s)`;
      return `${describeValue(issue.input)} is too small; the minimum is ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `has more than ${issue.maximum} item(s)`;
      return `${describeValue(issue.input)} is too large; the maximum is ${issue.maximum}`;
    case 'invalid_format':
      return `${describeValue(issue.input)} does not match the pattern ${issue.pattern ?? issue.format}`;
    case 'invalid_union':
      return `${describeValue(issue.input)} does not match any allowed form`;
    default:
      return undefined;
  }
}

function schemaFormat(issue: z.core.$ZodRawIssue): unknown {
  const inst = issue.inst as { _zod?: { def?: { format?: unknown } } } | undefined;
  return inst?._zod?.def?.format;
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'a mapping (key: value pairs)';
    case 'array':
      return 'a list';
    default:
      return expected;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/** The candidate a typo was most likely meant to be, if it is close enough to be a useful guess. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 2)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

// ───────────────────────────── schema and data lookups ─────────────────────────────

/** The keys a mapping at `at` may hold, read from the zod schema so the suggestions never drift from it. */
export function validKeysAt(at: Segment[]): string[] {
  let schemas: z.ZodType[] = [scenarioSchema];
  for (const segment of at) {
    schemas = schemas.flatMap(describingSchemas).flatMap((schema): z.ZodType[] => {
      if (schema instanceof z.ZodObject) {
        const child = (schema.shape as Record<string, z.ZodType>)[String(segment)] ?? schema.def.catchall;
        return child ? [child as z.ZodType] : [];
      }
      if (schema instanceof z.ZodArray) return [schema.element as z.ZodType];
      return [];
    });
  }
  const keys = schemas
    .flatMap(describingSchemas)
    .flatMap((schema) => (schema instanceof z.ZodObject ? Object.keys(schema.shape) : []));
  return [...new Set(keys)];
}

/** Looks through defaults, optionals and unions to the schemas that actually describe the value. */
function describingSchemas(schema: z.ZodType): z.ZodType[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    return describingSchemas(schema.unwrap() as z.ZodType);
  }
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap(describingSchemas);
  return [schema];
}

function valueAt(data: unknown, at: Segment[]): unknown {
  let current = data;
  for (const segment of at) {
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (isPlainObject(current)) current = current[String(segment)];
    else return undefined;
  }
  return current;
}

function hasKey(data: unknown, at: Segment[]): boolean {
  if (at.length === 0) return true;
  const parent = valueAt(data, at.slice(0, -1));
  const last = at[at.length - 1]!;
  if (Array.isArray(parent)) return Number(last) < parent.length;
  return isPlainObject(parent) && Object.hasOwn(parent, String(last));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toSegment(key: PropertyKey): Segment {
  return typeof key === 'number' ? key : String(key);
}
