/**
 * Scenario files → typed `Scenario`s. Every problem becomes a `ScenarioError` at the line and column of the YAML node
 * it is about, because the CLI prints `file:line:col` and the Action turns errors into annotations on that line.
 */
import { withClock } from './clock.js';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ScenarioError, UsageError } from '../errors.js';
import { confinementFor, outsideProblem, workspaceRoot } from './confine.js';
import { parseScenarioText } from './parse.js';
import type { Segment, SourceMap } from './source-map.js';
import type { Clock, KernelSpec, RootfsSpec, Scenario } from './types.js';

/** The outcome of checking one scenario file: the scenario, or every problem found in it, sorted by position. */
export type ScenarioCheck = { ok: true; scenario: Scenario } | { ok: false; errors: ScenarioError[] };

const SCENARIO_EXTENSIONS = /\.ya?ml$/;

/** Where a scenario's local paths may point (see confine.ts). */
export interface LoadOptions {
  /** Trust the scenarios: let their paths leave the workspace (`--allow-outside`). */
  allowOutside?: boolean;
  /** Default: the Git checkout around `cwd`, else `cwd`. */
  workspace?: string;
  /** `--clock` / the Action's `clock` input: every scenario on this clock, checked as if its file said so. */
  clock?: Clock;
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
  if ((rootfs?.kind === 'initramfs' || rootfs?.kind === 'ext4') && rootfs.base?.mirror?.kind === 'file')
    add(['rootfs', 'mmdebstrap', 'mirror'], rootfs.base.mirror.path, 'apt sources file', 'file');
  if (rootfs?.kind === 'disk') add(['rootfs', 'disk', 'image'], rootfs.image, 'disk image', 'file');
  if (rootfs?.kind === 'disk-image') {
    const at: Segment[] = ['rootfs', 'disk-image'];
    inputs.push(...specInputs(rootfs.kernel, undefined, [...prefix, ...at], source));
    if (rootfs.from.kind === 'initramfs' || rootfs.from.kind === 'ext4')
      for (const layer of rootfs.from.layers) add([...at, 'from'], layer.path, 'disk image rootfs', 'any');
  }
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
    const clocked = options.clock ? withClock(check.scenario, options.clock) : { scenario: check.scenario, errors: [] };
    const { scenario } = clocked;
    if (clocked.errors.length) {
      errors.push(...clocked.errors);
      continue;
    }
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

function displayPath(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
  return relative && !outside ? relative : absolute;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return error instanceof Error ? error.message : String(error);
}
