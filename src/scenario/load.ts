/**
 * Scenario files → typed `Scenario`s. Every problem becomes a `ScenarioError` at the line and column of the YAML node
 * it is about, because the CLI prints `file:line:col` and the Action turns errors into annotations on that line.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Document,
  type Node as YamlNode,
  type Pair,
} from 'yaml';
import { distance as levenshtein } from 'fastest-levenshtein';
import { z } from 'zod';
import { addKernelParams } from '../artifacts/rootfs/root-device.js';
import { ScenarioError, UsageError } from '../errors.js';
import { toKernelSpec, toRootfsSpec } from './artifact-specs.js';
import { toRegressionExtras } from './baseline-spec.js';
import { confinementFor, outsideProblem, workspaceRoot } from './confine.js';
import { parseDuration, parseMemory } from './duration.js';
import { BUILTIN_STAGES, parseRegexLiteral, scenarioSchema, type RawScenario } from './schema.js';
import type { Budget, KernelSpec, ReadySpec, RootfsSpec, Scenario, SourcePos, StageDef } from './types.js';

/** The outcome of checking one scenario file: the scenario, or every problem found in it, sorted by position. */
export type ScenarioCheck = { ok: true; scenario: Scenario } | { ok: false; errors: ScenarioError[] };

const SCENARIO_EXTENSIONS = /\.ya?ml$/;
const EMPTY_FILE = 'the file is empty; a scenario needs at least `name`, `kernel` and `rootfs`';

/** Where a scenario's local paths may point (see confine.ts). */
export interface LoadOptions {
  /** Trust the scenarios: let their paths leave the workspace (`--allow-outside`). */
  allowOutside?: boolean;
  /** Default: the Git checkout around `cwd`, else `cwd`. */
  workspace?: string;
}

/** Loads one scenario file. Throws its first `ScenarioError`, or a `UsageError` when the file cannot be read. */
export async function loadScenarioFile(
  file: string,
  cwd: string = process.cwd(),
  options: LoadOptions = {},
): Promise<Scenario> {
  const check = await checkScenarioFile(file, cwd, options);
  if (!check.ok) throw check.errors[0];
  return check.scenario;
}

/**
 * Checks one scenario file and reports all of its problems rather than only the first, so that one run of the CLI
 * shows everything to fix. Throws a `UsageError` only when the file cannot be read at all.
 */
export async function checkScenarioFile(
  file: string,
  cwd: string = process.cwd(),
  options: LoadOptions = {},
): Promise<ScenarioCheck> {
  const absolute = path.resolve(cwd, file);
  const displayFile = displayPath(absolute, cwd);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new UsageError(`${displayFile}: cannot read scenario file: ${describeFsError(error)}`);
  }
  const parsed = parseScenarioText(text, absolute, displayFile);
  if (!parsed.ok) return parsed;

  const { scenario, source } = parsed;
  const errors: ScenarioError[] = [];
  const confinement = options.allowOutside
    ? undefined
    : await confinementFor(absolute, options.workspace ?? workspaceRoot(cwd));
  for (const input of localInputs(scenario, source)) {
    // Confinement first: "not found" for a path outside would tell a pull request what exists on the runner.
    const outside = confinement && (await outsideProblem(input.path, confinement, input.what));
    const problem = outside || (await localInputProblem(input));
    if (problem) errors.push(source.error(input.at, problem, 'value'));
  }
  return errors.length ? { ok: false, errors } : { ok: true, scenario };
}

interface LocalInput {
  at: Segment[];
  path: string;
  /** What the key names, for the message. */
  what: string;
  must: 'file' | 'any';
}

/**
 * Every file or directory on this machine that the scenario names, with the key that names it, so that a missing one
 * is a scenario error at its line (exit 2) rather than a failure halfway through a run.
 */
function localInputs(scenario: Scenario, source: SourceMap): LocalInput[] {
  const { baseline } = scenario;
  return [
    ...specInputs(scenario.kernel, scenario.rootfs, [], source),
    // A baseline is confined and checked like the scenario's own: an A/B from a pull request must not pack host files
    // either, and a missing baseline input found halfway through the interleaved passes would waste all of them.
    ...(baseline ? specInputs(baseline.kernel, baseline.rootfs, ['baseline'], source) : []),
  ];
}

/** The local inputs of one kernel and rootfs, at their keys under `prefix` (the top level, or `baseline`). */
function specInputs(
  kernel: KernelSpec | undefined,
  rootfs: RootfsSpec | undefined,
  prefix: Segment[],
  source: SourceMap,
): LocalInput[] {
  const inputs: LocalInput[] = [];
  const add = (at: Segment[], path: string, what: string, must: LocalInput['must']) =>
    inputs.push({ at: [...prefix, ...at], path, what: [...prefix, what].join(' '), must });
  if (kernel?.kind === 'path') add(['kernel', 'path'], kernel.path, 'kernel image', 'file');
  if (kernel?.kind === 'build') {
    const { source: src, config, fragments } = kernel.build;
    if (src.kind === 'dir' || src.kind === 'tarball')
      add(['kernel', 'build', 'source'], src.path, 'kernel source', 'any');
    if (config.kind === 'file') add(['kernel', 'build', 'config'], config.path, 'kernel config', 'file');
    fragments.forEach((fragment, i) => {
      if (fragment.kind === 'file') add(['kernel', 'build', 'fragments', i], fragment.path, 'config fragment', 'file');
    });
  }
  if (rootfs?.kind === 'initramfs' || rootfs?.kind === 'ext4') {
    const single = (['initramfs', 'tarball'] as const).find((key) => source.has([...prefix, 'rootfs', key]));
    // A baseline's one-tree rootfs has always been reported at its `rootfs:` key (regression-scenario.test.ts pins
    // that position); `layers:` items get their index either way.
    const singleAt: Segment[] = single && prefix.length === 0 ? ['rootfs', single] : ['rootfs'];
    rootfs.layers.forEach((layer, i) => {
      add(single ? singleAt : ['rootfs', 'layers', i], layer.path, 'rootfs layer', 'any');
    });
  }
  if (rootfs?.kind === 'disk') add(['rootfs', 'disk', 'image'], rootfs.image, 'disk image', 'file');
  return inputs;
}

async function localInputProblem(input: LocalInput): Promise<string | undefined> {
  try {
    const stats = await stat(input.path);
    if (input.must === 'file' && !stats.isFile())
      return `${input.path} is not a file; the ${input.what} must be a file`;
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return `${input.what} not found: ${input.path}; paths are relative to the scenario file`;
    }
    return `cannot read ${input.what} ${input.path}: ${describeFsError(error)}`;
  }
}

/**
 * Loads every scenario under `paths` (files, or directories whose `*.yaml`/`*.yml` files are taken in name order).
 * Problems are collected per file so that one bad file does not hide the others. Throws a `UsageError` for a path that
 * does not exist or a directory without scenario files.
 */
export async function loadScenarios(
  paths: string[],
  cwd: string = process.cwd(),
  options: LoadOptions = {},
): Promise<{ scenarios: Scenario[]; errors: ScenarioError[] }> {
  const files = await findScenarioFiles(paths, cwd);
  const scenarios: Scenario[] = [];
  const errors: ScenarioError[] = [];
  const byName = new Map<string, Scenario>();
  for (const file of files) {
    const check = await checkScenarioFile(file, cwd, options);
    if (!check.ok) {
      errors.push(...check.errors);
      continue;
    }
    const { scenario } = check;
    const first = byName.get(scenario.name);
    if (first) {
      const pos = scenario.keyPos['name'] ?? { line: 1, column: 1 };
      errors.push(
        new ScenarioError(
          scenario.displayFile,
          pos.line,
          pos.column,
          'name',
          `scenario name "${scenario.name}" is already used by ${first.displayFile}; ` +
            'names must be unique because results are keyed by them',
        ),
      );
      continue;
    }
    byName.set(scenario.name, scenario);
    scenarios.push(scenario);
  }
  return { scenarios, errors };
}

/** Expands files and directories into absolute scenario file paths, without duplicates, in the order given. */
export async function findScenarioFiles(paths: string[], cwd: string = process.cwd()): Promise<string[]> {
  if (paths.length === 0) throw new UsageError('no scenario files given; pass scenario files or directories');
  const files: string[] = [];
  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    let stats;
    try {
      stats = await stat(absolute);
    } catch (error) {
      throw new UsageError(`${given}: ${describeFsError(error)}`);
    }
    if (!stats.isDirectory()) {
      files.push(absolute);
      continue;
    }
    const entries = await readdir(absolute, { withFileTypes: true });
    const names = entries
      .filter((entry) => SCENARIO_EXTENSIONS.test(entry.name) && (entry.isFile() || entry.isSymbolicLink()))
      .map((entry) => entry.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (names.length === 0) throw new UsageError(`${given}: directory has no scenario files (*.yaml or *.yml)`);
    files.push(...names.map((name) => path.join(absolute, name)));
  }
  return [...new Set(files)];
}

// ───────────────────────────── parsing ─────────────────────────────

type Parsed = { ok: true; scenario: Scenario; source: SourceMap } | { ok: false; errors: ScenarioError[] };

function parseScenarioText(text: string, file: string, displayFile: string): Parsed {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePos => toSourcePos(lineCounter, offset);
  const fail = (pos: SourcePos, keyPath: string, detail: string): Parsed => ({
    ok: false,
    errors: [new ScenarioError(displayFile, pos.line, pos.column, keyPath, shortenQuoted(detail))],
  });

  const [doc, second] = documents;
  if (!doc) {
    const syntax = 'errors' in documents ? documents.errors[0] : undefined;
    if (syntax) return fail(at(syntax.pos[0]), '', `invalid YAML: ${syntax.message}`);
    return fail({ line: 1, column: 1 }, '', EMPTY_FILE);
  }
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: distinctYamlErrors(doc.errors).map((error) => {
        const pos = at(unclosedOpener(text, error.pos[0], error.message));
        return new ScenarioError(displayFile, pos.line, pos.column, '', `invalid YAML: ${yamlProblem(error.message)}`);
      }),
    };
  }
  if (second) {
    return fail(
      at(second.range[0]),
      '',
      'found a second YAML document (after `---`); a file holds exactly one scenario, so put each in its own file',
    );
  }
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    return fail({ line: 1, column: 1 }, '', EMPTY_FILE);
  }
  if (!isMap(contents)) {
    const kind = isSeq(contents) ? 'a list' : 'a single value';
    const detail = `the top level must be a mapping (name: …, kernel: …), not ${kind}`;
    return fail(at(contents.range?.[0] ?? 0), '', detail);
  }

  let data: unknown;
  try {
    // Aliases can expand exponentially ("billion laughs"); a scenario never needs more than a handful.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // The expansion is what fails, so point at where it starts: the first alias.
    let firstAlias: number | undefined;
    visit(doc, {
      Alias(_, node) {
        firstAlias = node.range?.[0];
        return visit.BREAK;
      },
    });
    const detail = /alias/i.test((error as Error).message)
      ? 'too many aliases (`*name`) expand here: the document would grow exponentially ("billion laughs"); a scenario needs at most a handful'
      : `invalid YAML: ${(error as Error).message}`;
    return fail(firstAlias === undefined ? { line: 1, column: 1 } : at(firstAlias), '', detail);
  }

  const source = new SourceMap(doc, lineCounter, displayFile);
  const result = scenarioSchema.safeParse(data, { error: messageForIssue, reportInput: true });
  const problems = [
    ...(result.success ? [] : problemsFromIssues(result.error.issues, [], data)),
    ...budgetStageProblems(data),
  ];
  if (!result.success || problems.length > 0) {
    return { ok: false, errors: source.errors(dropImpliedMissingKeys(problems)) };
  }
  // zod rebuilds `budgets` with the built-in stages first; reports list budgets in the order the user wrote them.
  const budgetOrder = isPlainObject(data) && isPlainObject(data['budgets']) ? Object.keys(data['budgets']) : [];
  return { ok: true, scenario: toScenario(result.data, budgetOrder, file, displayFile, source), source };
}

/**
 * The kernel parameters `initcalls: true` adds, each unless the cmdline already sets it. The log buffer must hold
 * ~1,150 extra records (575 initcalls on the cloud kernel), or the early ones are overwritten before the dump.
 */
export function withInitcallDebug(cmdline: string): string {
  return addKernelParams(cmdline, ['initcall_debug', 'log_buf_len=4M']);
}

function toScenario(
  raw: RawScenario,
  budgetOrder: string[],
  file: string,
  displayFile: string,
  source: SourceMap,
): Scenario {
  const stages: StageDef[] = raw.stages.map((stage, index) => ({
    name: stage.name,
    from: parseRegexLiteral(stage.from),
    to: parseRegexLiteral(stage.to),
    pos: source.valuePos(['stages', index]),
  }));
  const budgets: Budget[] = budgetOrder.flatMap((stage): Budget[] => {
    const budget = raw.budgets[stage];
    if (budget === undefined) return [];
    const spec = typeof budget === 'string' ? { max: budget, level: 'error' as const, statistic: undefined } : budget;
    return [
      {
        stage,
        maxMs: parseDuration(spec.max),
        level: spec.level,
        statistic: spec.statistic ?? raw.statistic,
        pos: source.keyPos(['budgets', stage]),
      },
    ];
  });
  const ready: ReadySpec =
    raw.ready === 'agent' ? { kind: 'agent' } : { kind: 'regex', regex: parseRegexLiteral(raw.ready) };
  return {
    name: raw.name,
    file,
    displayFile,
    kernel: toKernelSpec(raw.kernel, path.dirname(file)),
    rootfs: toRootfsSpec(raw.rootfs, path.dirname(file)),
    hypervisor: raw.hypervisor,
    doorbell: raw.doorbell,
    machine: raw.machine,
    firmware: raw.firmware,
    kvm: raw.kvm,
    cpus: raw.cpus,
    memoryMiB: parseMemory(raw.memory),
    cmdline: raw.initcalls ? withInitcallDebug(raw.cmdline) : raw.cmdline,
    initcalls: raw.initcalls,
    passes: raw.passes,
    warmup: raw.warmup,
    timeoutMs: parseDuration(raw.timeout),
    ready,
    run: raw.run,
    stages,
    budgets,
    keyPos: source.topLevelKeyPositions(),
    ...toRegressionExtras(
      raw,
      file,
      (key) => source.keyPos([key]),
      (cmdline) => (raw.initcalls ? withInitcallDebug(cmdline) : cmdline),
    ),
  };
}

// ───────────────────────────── issues → problems ─────────────────────────────

type Segment = string | number;

/**
 * Where a problem points: at the key itself, at the value (or its key when the value is a collection), or at the
 * mapping that lacks a key.
 */
type Anchor = 'key' | 'value' | 'parent';

interface Problem {
  path: Segment[];
  detail: string;
  anchor: Anchor;
  /** For an unknown key: the valid key it was probably meant to be. */
  suggestion?: string;
  missingKey?: boolean;
}

function problemsFromIssues(issues: readonly z.core.$ZodIssue[], base: Segment[], data: unknown): Problem[] {
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
function dropImpliedMissingKeys(problems: Problem[]): Problem[] {
  const suggested = new Set(
    problems.filter((p) => p.suggestion).map((p) => pathKey([...p.path.slice(0, -1), p.suggestion!])),
  );
  return problems.filter((p) => !(p.missingKey && suggested.has(pathKey(p.path))));
}

/** Budgets may only name stages that exist; zod cannot know this because the declared stages are data. */
function budgetStageProblems(data: unknown): Problem[] {
  if (!isPlainObject(data) || !isPlainObject(data['budgets'])) return [];
  const declared = Array.isArray(data['stages'])
    ? data['stages'].flatMap((stage: unknown) =>
        isPlainObject(stage) && typeof stage['name'] === 'string' ? [stage['name']] : [],
      )
    : [];
  const known = [...new Set<string>([...BUILTIN_STAGES, ...declared])];
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
function messageForIssue(issue: z.core.$ZodRawIssue): string | undefined {
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
function closest(word: string, candidates: readonly string[]): string | undefined {
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
function validKeysAt(at: Segment[]): string[] {
  let schemas: z.ZodType[] = [scenarioSchema];
  for (const segment of at) {
    schemas = schemas.flatMap(expand).flatMap((schema): z.ZodType[] => {
      if (schema instanceof z.ZodObject) {
        const child = (schema.shape as Record<string, z.ZodType>)[String(segment)] ?? schema.def.catchall;
        return child ? [child as z.ZodType] : [];
      }
      if (schema instanceof z.ZodArray) return [schema.element as z.ZodType];
      return [];
    });
  }
  const keys = schemas
    .flatMap(expand)
    .flatMap((schema) => (schema instanceof z.ZodObject ? Object.keys(schema.shape) : []));
  return [...new Set(keys)];
}

/** Looks through defaults, optionals and unions to the schemas that actually describe the value. */
function expand(schema: z.ZodType): z.ZodType[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable) {
    return expand(schema.unwrap() as z.ZodType);
  }
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap(expand);
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toSegment(key: PropertyKey): Segment {
  return typeof key === 'number' ? key : String(key);
}

function pathKey(at: Segment[]): string {
  return at.map(String).join('.');
}

// ───────────────────────────── source positions ─────────────────────────────

/** Maps key paths in the parsed data back to positions in the YAML text. */
class SourceMap {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lineCounter: LineCounter,
    private readonly displayFile: string,
  ) {}

  errors(problems: Problem[]): ScenarioError[] {
    const seen = new Set<string>();
    return problems
      .map((problem) => this.error(problem.path, problem.detail, problem.anchor))
      .filter((error) => {
        const key = `${error.line}:${error.column}:${error.keyPath}:${error.detail}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .sort((a, b) => a.line - b.line || a.column - b.column);
  }

  error(at: Segment[], detail: string, anchor: Anchor): ScenarioError {
    const pos =
      anchor === 'key' ? this.keyPos(at) : anchor === 'parent' ? this.valuePos(at.slice(0, -1)) : this.valuePos(at);
    return new ScenarioError(this.displayFile, pos.line, pos.column, pathKey(at), shortenQuoted(detail));
  }

  topLevelKeyPositions(): Record<string, SourcePos> {
    const positions: Record<string, SourcePos> = {};
    const contents = this.doc.contents;
    if (!isMap(contents)) return positions;
    for (const pair of contents.items) {
      const key = pair.key as YamlNode | null;
      if (isScalar(key) && key.range) positions[String(key.value)] = this.pos(key.range[0]);
    }
    return positions;
  }

  /** The key of the entry at `at`; falls back to the value when the entry is a list item. */
  has(at: Segment[]): boolean {
    return this.nodeAt(at) !== undefined;
  }

  keyPos(at: Segment[]): SourcePos {
    const key = this.pairAt(at)?.key as YamlNode | null | undefined;
    if (key?.range) return this.pos(key.range[0]);
    return this.valuePos(at);
  }

  /**
   * A scalar points at itself. A collection points at its key, which is where people look for "this mapping" (a block
   * mapping's own range starts at its first child key). A missing node points at its nearest existing ancestor.
   */
  valuePos(at: Segment[]): SourcePos {
    if (at.length === 0) {
      const range = this.doc.contents?.range;
      return range ? this.pos(range[0]) : { line: 1, column: 1 };
    }
    const node = this.nodeAt(at);
    if (!node) return this.valuePos(at.slice(0, -1));
    const emptyScalar = isScalar(node) && node.value === null && node.source === '';
    if (isScalar(node) && !emptyScalar && node.range) return this.pos(node.range[0]);
    const key = this.pairAt(at)?.key as YamlNode | null | undefined;
    if (key?.range) return this.pos(key.range[0]);
    return node.range ? this.pos(node.range[0]) : this.valuePos(at.slice(0, -1));
  }

  private pairAt(at: Segment[]): Pair | undefined {
    const parent = this.resolve(this.nodeAt(at.slice(0, -1)));
    return isMap(parent) ? findPair(parent.items as Pair[], at[at.length - 1]!) : undefined;
  }

  private nodeAt(at: Segment[]): YamlNode | undefined {
    let node: unknown = this.doc.contents;
    for (const segment of at) {
      const parent = this.resolve(node);
      if (isMap(parent)) node = findPair(parent.items as Pair[], segment)?.value;
      else if (isSeq(parent)) node = parent.items[Number(segment)];
      else return undefined;
    }
    return (node ?? undefined) as YamlNode | undefined;
  }

  /** Follows an alias (`*name`) to its anchored node, so paths through aliased mappings still find their keys. */
  private resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  private pos(offset: number): SourcePos {
    return toSourcePos(this.lineCounter, offset);
  }
}

function findPair(items: Pair[], segment: Segment): Pair | undefined {
  return items.find((pair) => {
    const key = pair.key as YamlNode | null;
    return isScalar(key) && String(key.value) === String(segment);
  });
}

function toSourcePos(lineCounter: LineCounter, offset: number): SourcePos {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function displayPath(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  return relative && !outside ? relative : absolute;
}

/** A nesting bomb yields one identical error per level; the first says it. */
function distinctYamlErrors<E extends { code: string; message: string }>(errors: readonly E[]): E[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.code} ${error.message.split(' at line')[0]}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The parser's own words, except where they describe its insides rather than the file. */
function yamlProblem(message: string): string {
  if (/call stack/i.test(message))
    return 'the document is nested too deeply to read; a scenario needs only a few levels';
  return message;
}

/**
 * The parser notices a missing `"`, `}` or `]` where the file ends or the next key starts, which can be far below the
 * line that needs the fix. Point at the nearest line above that opens one more than it closes.
 */
function unclosedOpener(text: string, offset: number, message: string): number {
  const pair = /quote/i.test(message)
    ? ['"', '"']
    : /flow map/i.test(message)
      ? ['{', '}']
      : /flow seq/i.test(message)
        ? ['[', ']']
        : undefined;
  if (!pair) return offset;
  const [open, close] = pair as [string, string];
  let end = Math.min(offset, text.length);
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text
      .slice(start, end)
      .replace(/\\./g, '')
      .replace(/(^|\s)#.*$/, '');
    const opens = line.split(open).length - 1;
    const unbalanced = open === close ? opens % 2 === 1 : opens > line.split(close).length - 1;
    if (unbalanced) return start + Math.max(0, text.slice(start, end).indexOf(open));
    end = start - 1;
  }
  return offset;
}

/**
 * A message quoting a 100 kB value is unreadable, and raw control characters would garble a terminal: keep the start of
 * long quoted values, say how long they were, and show control characters as escapes.
 */
export function shortenQuoted(detail: string): string {
  return readableControls(detail).replace(
    /"((?:[^"\\]|\\.){120,})"/g,
    (_, inner: string) => `"${inner.slice(0, 60)}…" (${inner.length} characters)`,
  );
}

function readableControls(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}
