import { parseArgs } from 'node:util';
import { parseAge } from '../artifacts/cache/commands.js';
import { UsageError } from '../errors.js';
import type { RegressionSettings } from '../judge/regression.js';
import { FAIL_ON_LEVELS, type FailOn } from '../judge/verdict.js';
import { COMPARE_OPTIONS, COMPARE_USAGE, regressionOverrides } from './compare-args.js';

/** The files a run, a merge or a report can write, each rendered from the same results. */
export interface ReportFiles {
  json?: string;
  /** Boot chart as an SVG image. */
  svg?: string;
  /** JUnit XML, one testcase per scenario × budgeted stage. */
  junit?: string;
  /** The self-contained HTML report. */
  html?: string;
  /** Trace Event Format JSON for Perfetto. */
  trace?: string;
}

/** Which scenarios, as `validate` and `run` load them. */
export interface ScenarioSelection {
  paths: string[];
  filter?: string;
  /** Let scenario paths leave the workspace (they are confined to it by default). */
  allowOutside?: boolean;
  /** `--clock wall|virtual`: every scenario on this clock. */
  clock?: 'wall' | 'virtual';
}

export interface RunSettings extends ScenarioSelection, ReportFiles {
  command: 'run';
  passes?: number;
  warmup?: number;
  cacheDir?: string;
  /** Regression thresholds from flags, over each scenario's `regression:` block. */
  regression: Partial<RegressionSettings>;
  maxPasses?: number;
  /** `--baseline-kernel`: boot every scenario as an A/B against this kernel (`apt:PACKAGE` or a path). */
  baselineKernel?: string;
  /** `--fail-on warn`: warn-level budgets fail the run too (exit 1). */
  failOn: FailOn;
  /** `--jobs N`: virtual-clock passes booted at once. */
  jobs?: number;
}

export interface ValidateSettings extends ScenarioSelection {
  command: 'validate';
}

/** `merge RESULTS…`: one report and verdict from the results of sharded runs. */
export interface MergeSettings extends ReportFiles {
  command: 'merge';
  paths: string[];
  failOn: FailOn;
}

/** `report RESULTS…`: saved results rendered again, without booting and without a verdict. */
export interface ReportSettings extends ReportFiles {
  command: 'report';
  paths: string[];
}

export interface CompareSettings {
  command: 'compare';
  base: string;
  head: string;
  /** The comparison as JSON. */
  json?: string;
  regression: Partial<RegressionSettings>;
  /** `compare --force`: compare across accelerators, hypervisors or host CPU counts. */
  force?: boolean;
}

export interface DoctorSettings {
  command: 'doctor';
  /** Scenarios whose host packages to check; none means what the Quick start needs. */
  paths: string[];
  cacheDir?: string;
}

export interface CacheSettings {
  command: 'cache';
  cacheAction: 'list' | 'prune' | 'clear';
  /** `cache prune --older-than 30d`, in ms. */
  olderThanMs?: number;
  cacheDir?: string;
}

/**
 * What one command line asks for: one member per command, holding only the settings that command reads. To add a
 * flag, add it to OPTIONS below, to the settings of each command that takes it, to `commandSettings`, and to USAGE.
 * To add a command, add a member here, a case in `commandSettings` and one in cli.ts.
 */
export type CliSettings =
  | RunSettings
  | ValidateSettings
  | MergeSettings
  | ReportSettings
  | CompareSettings
  | DoctorSettings
  | CacheSettings
  | { command: 'help' }
  | { command: 'version' };

export const USAGE = `Usage:
  boot-budget [run] [PATHS…]       boot each scenario, measure its stages and check its budgets
  boot-budget validate PATHS…      check scenario files without booting
  boot-budget merge RESULTS…       merge results JSON of sharded runs into one report and verdict
  boot-budget report RESULTS…      render saved results (merged when several) with --html/--trace/--svg/--junit, no boot
${COMPARE_USAGE}
  boot-budget doctor [PATHS…]      list hypervisors, KVM, the packages these scenarios need and the cache
  boot-budget cache list|prune|clear   show, prune (--older-than 30d) or empty the artifact cache

PATHS are scenario files or directories of *.yaml/*.yml files (default: scenarios/).

Options:
  --passes N        measured passes per scenario (overrides the scenario's passes)
  --warmup N        warm-up passes per scenario (overrides the scenario's warmup)
  --json FILE       write the results as JSON
  --svg FILE        write a boot chart (stages, spans, initcalls, budgets) as an SVG image
  --junit FILE      write JUnit XML: one testcase per scenario and budgeted stage
  --html FILE       write a self-contained HTML report: zoomable timeline of every pass, tables, hints
  --trace FILE      write a trace for ui.perfetto.dev or chrome://tracing (Trace Event Format JSON)
  --filter NAME     only scenarios whose name contains NAME
  --clock CLOCK     wall (host time) or virtual (QEMU's instruction counter: TCG, 1 vCPU), over each scenario's clock
  --jobs N          virtual-clock passes booted at once (default: the host's CPU count; wall-clock passes run alone)
  --cache-dir DIR   artifact cache (default: $XDG_CACHE_HOME/boot-budget or ~/.cache/boot-budget)
  --allow-outside   let scenarios use files outside the workspace (the Git checkout, else the current directory)
  --fail-on LEVEL   error (default): exit 1 for error-level budgets and regressions; warn: warn-level budgets too
${COMPARE_OPTIONS}
  -h, --help        show this help
  --version         print the version

Exit codes: 0 every budget met · 1 a budget exceeded or a regression · 2 bad scenario or usage · 3 infrastructure failure`;

function count(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${name} takes a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${value}".`);
  }
  return Number(value);
}

function clockFlag(value: string): 'wall' | 'virtual' {
  if (value !== 'wall' && value !== 'virtual') throw new UsageError(`--clock takes wall or virtual, not "${value}".`);
  return value;
}

/** Every flag, for every command; a command ignores the flags it does not read. */
const OPTIONS = {
  passes: { type: 'string' },
  warmup: { type: 'string' },
  json: { type: 'string' },
  svg: { type: 'string' },
  junit: { type: 'string' },
  html: { type: 'string' },
  trace: { type: 'string' },
  filter: { type: 'string' },
  'cache-dir': { type: 'string' },
  'older-than': { type: 'string' },
  'allow-outside': { type: 'boolean' },
  'max-increase': { type: 'string' },
  'p-value': { type: 'string' },
  'min-ms': { type: 'string' },
  force: { type: 'boolean' },
  'baseline-kernel': { type: 'string' },
  'max-passes': { type: 'string' },
  'fail-on': { type: 'string' },
  clock: { type: 'string' },
  jobs: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** argv (without node and the script) → typed settings. The only place that knows the CLI's spelling. */
export function parseCliArgs(argv: readonly string[]): CliSettings {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  return commandSettings(positionals, values);
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

const COMMANDS = ['run', 'validate', 'merge', 'report', 'compare', 'doctor', 'cache'] as const;

function commandSettings(positionals: string[], values: Values): CliSettings {
  const named = (COMMANDS as readonly string[]).includes(positionals[0] ?? '');
  const command = named ? (positionals[0] as (typeof COMMANDS)[number]) : 'run';
  const paths = named ? positionals.slice(1) : positionals;
  const files: ReportFiles = {
    json: values.json,
    svg: values.svg,
    junit: values.junit,
    html: values.html,
    trace: values.trace,
  };
  const selection = (): ScenarioSelection => ({
    paths: paths.length ? paths : ['scenarios/'],
    filter: values.filter,
    ...(values['allow-outside'] ? { allowOutside: true } : {}),
    ...(values.clock !== undefined ? { clock: clockFlag(values.clock) } : {}),
  });
  switch (command) {
    case 'cache':
      return cacheSettings(positionals, values);
    case 'doctor':
      return { command, paths, cacheDir: values['cache-dir'] };
    case 'compare': {
      const [base, head] = paths;
      if (paths.length !== 2 || base === undefined || head === undefined)
        throw new UsageError(`compare takes two results files, BASE.json and HEAD.json.\n\n${USAGE}`);
      return {
        command,
        base,
        head,
        json: values.json,
        regression: regressionOverrides(values),
        ...(values.force ? { force: true } : {}),
      };
    }
    case 'validate':
    case 'merge':
    case 'report':
      if (paths.length === 0) throw new UsageError(`${command} needs at least one path.\n\n${USAGE}`);
      if (command === 'validate') return { command, ...selection() };
      if (command === 'merge') return { command, paths, ...files, failOn: failOn(values['fail-on']) };
      return { command, paths, ...files };
    case 'run':
      return {
        command,
        ...selection(),
        ...files,
        passes: count('passes', values.passes, 1),
        warmup: count('warmup', values.warmup, 0),
        cacheDir: values['cache-dir'],
        regression: regressionOverrides(values),
        maxPasses: count('max-passes', values['max-passes'], 1),
        baselineKernel: values['baseline-kernel'],
        failOn: failOn(values['fail-on']),
        jobs: count('jobs', values.jobs, 1),
      };
  }
}

function cacheSettings(positionals: string[], values: Values): CacheSettings {
  const action = positionals[1];
  if ((action !== 'list' && action !== 'prune' && action !== 'clear') || positionals.length > 2) {
    throw new UsageError(`cache takes one of list, prune or clear.\n\n${USAGE}`);
  }
  const olderThan = values['older-than'];
  const olderThanMs = olderThan === undefined ? undefined : parseAge(olderThan);
  if (olderThan !== undefined && (action !== 'prune' || olderThanMs === undefined)) {
    throw new UsageError(
      action !== 'prune'
        ? '--older-than only goes with cache prune.'
        : `--older-than takes an age such as 30d, 12h or 45m, not "${olderThan}".`,
    );
  }
  return { command: 'cache', cacheAction: action, olderThanMs, cacheDir: values['cache-dir'] };
}

function failOn(value: string | undefined): FailOn {
  if (value === undefined) return 'error';
  if (!(FAIL_ON_LEVELS as readonly string[]).includes(value))
    throw new UsageError(`--fail-on takes ${FAIL_ON_LEVELS.join(' or ')}, not "${value}".`);
  return value as FailOn;
}
