import { resolve } from 'node:path';
import { defaultCacheDir } from '../artifacts/cache-dir.js';
import { cacheCommand } from '../artifacts/cache/commands.js';
import { runScenarios } from '../core/run-scenarios.js';
import { describeError, InfraError, ScenarioError, UsageError } from '../errors.js';
import { mergeResultFiles } from '../core/merge.js';
import { writeResultsJson } from '../report/json.js';
import { writeJunit } from '../report/junit.js';
import { writeSvg } from '../report/svg.js';
import { readResultsFile, unknownMetadataNotes } from '../report/results-file.js';
import { renderScenario } from '../report/terminal.js';
import { TerminalReporter } from '../report/terminal-reporter.js';
import { styleFor } from '../report/style.js';
import { loadScenarios } from '../scenario/load.js';
import { bundledScenario, formatDoctorReport, gatherDoctorReport } from '../boot/doctor.js';
import { hostPackagesFor } from '../artifacts/requirements.js';
import {
  parseCliArgs,
  USAGE,
  type CacheSettings,
  type CompareSettings,
  type DoctorSettings,
  type MergeSettings,
  type ReportFiles,
  type ReportSettings,
  type RunSettings,
  type ValidateSettings,
} from './args.js';
import { writeHtml } from '../report/html/report.js';
import { scenariosWithoutTimeline, writeTrace } from '../report/trace/trace-events.js';
import type { RunResults } from '../judge/types.js';
import { baselineKernelSpec } from './compare-args.js';
import { compareRuns } from '../judge/compare.js';
import { judgeRun } from '../judge/verdict.js';
import { renderCompareReport } from '../report/compare.js';
import { compareReportToJson } from '../report/comparison-json.js';
import { writeFile } from 'node:fs/promises';
import { ExitCode, exitCodeFor } from './exit-code.js';

export interface CliIo {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  version: string;
}

/** argv → core → exit code. Never calls process.exit; the entry point does, after clean-up. */
export async function runCli(io: CliIo): Promise<number> {
  const errStyle = styleFor(io.stderr, io.env);
  try {
    const settings = parseCliArgs(io.argv);
    switch (settings.command) {
      case 'help':
        io.stdout.write(`${USAGE}\n`);
        return ExitCode.ok;
      case 'version':
        io.stdout.write(`${io.version}\n`);
        return ExitCode.ok;
      case 'cache':
        return await cache(settings, io);
      case 'doctor':
        return await doctor(settings, io);
      case 'compare':
        return await compare(settings, io);
      case 'merge':
      case 'report':
        return await mergeOrReport(settings, io);
      case 'validate':
      case 'run':
        return await validateOrRun(settings, io);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ScenarioError) {
      io.stderr.write(`${errStyle.red('error:')} ${error.message}\n`);
      return ExitCode.usage;
    }
    if (error instanceof InfraError) {
      io.stderr.write(`${errStyle.red('error:')} ${describeError(error)}\n`);
      return ExitCode.infra;
    }
    throw error;
  }
}

function cacheDirOf(settings: { cacheDir?: string }, io: CliIo): string {
  return settings.cacheDir ? resolve(io.cwd, settings.cacheDir) : defaultCacheDir(io.env);
}

async function cache(settings: CacheSettings, io: CliIo): Promise<number> {
  const output = await cacheCommand(settings.cacheAction, cacheDirOf(settings, io), {
    olderThanMs: settings.olderThanMs,
  });
  io.stdout.write(output);
  return ExitCode.ok;
}

async function doctor(settings: DoctorSettings, io: CliIo): Promise<number> {
  // With scenarios, the packages they need; without, what the Quick start needs (src/artifacts/requirements.ts).
  const { scenarios, errors } = settings.paths.length
    ? await loadScenarios(settings.paths, io.cwd)
    : { scenarios: [], errors: [] };
  if (errors.length) throw errors[0];
  // The kernel proof needs a kernel: the scenarios', else the bundled scenario's.
  const proved = scenarios.length ? scenarios : (await loadScenarios([bundledScenario()], io.cwd)).scenarios;
  const report = await gatherDoctorReport(cacheDirOf(settings, io), undefined, hostPackagesFor(scenarios), {
    scenarios: proved,
  });
  io.stdout.write(formatDoctorReport(report));
  return ExitCode.ok;
}

async function compare(settings: CompareSettings, io: CliIo): Promise<number> {
  const files = { base: settings.base, head: settings.head };
  const base = await readResultsFile(resolve(io.cwd, files.base));
  const head = await readResultsFile(resolve(io.cwd, files.head));
  for (const note of [...unknownMetadataNotes(base, files.base), ...unknownMetadataNotes(head, files.head)])
    io.stderr.write(`note: ${note}\n`);
  const comparison = compareRuns(base, head, { force: settings.force ?? false, overrides: settings.regression });
  io.stdout.write(`${renderCompareReport(comparison, styleFor(io.stdout, io.env), files)}\n`);
  if (settings.json)
    await writeFile(
      resolve(io.cwd, settings.json),
      `${JSON.stringify(compareReportToJson(comparison, files), null, 2)}\n`,
    );
  return comparison.scenarios.some((c) => c.verdict === 'regression') ? ExitCode.budgetExceeded : ExitCode.ok;
}

async function mergeOrReport(settings: MergeSettings | ReportSettings, io: CliIo): Promise<number> {
  const { notes, ...merged } = await mergeResultFiles(settings.paths, io.cwd);
  for (const note of notes) io.stderr.write(`note: ${note}\n`);
  if (settings.command === 'report') {
    const outputs = [settings.html, settings.trace, settings.svg, settings.junit, settings.json];
    if (outputs.every((o) => o === undefined))
      throw new UsageError(`report needs at least one of --html, --trace, --svg, --junit or --json.\n\n${USAGE}`);
    await writeReports(settings, settings.paths, merged, io);
    return ExitCode.ok;
  }
  const style = styleFor(io.stdout, io.env);
  for (const scenario of merged.scenarios) io.stdout.write(`\n${renderScenario(scenario, style)}\n`);
  await writeReports(settings, settings.paths, merged, io);
  return exitCodeFor(judgeRun(merged, { failOn: settings.failOn }));
}

async function validateOrRun(settings: ValidateSettings | RunSettings, io: CliIo): Promise<number> {
  const errStyle = styleFor(io.stderr, io.env);
  const { scenarios: loaded, errors } = await loadScenarios(settings.paths, io.cwd, {
    allowOutside: settings.allowOutside ?? false,
    ...(settings.clock ? { clock: settings.clock } : {}),
  });
  for (const error of errors) io.stderr.write(`${errStyle.red('error:')} ${error.message}\n`);
  if (errors.length) {
    io.stderr.write(`${errors.length} scenario error${errors.length > 1 ? 's' : ''}; nothing was booted.\n`);
    return ExitCode.usage;
  }
  const { filter } = settings;
  const scenarios = filter ? loaded.filter((s) => s.name.includes(filter)) : loaded;
  if (scenarios.length === 0)
    throw new UsageError(`--filter "${filter}" matches none of: ${loaded.map((s) => s.name).join(', ')}`);

  if (settings.command === 'validate') {
    for (const s of scenarios) io.stdout.write(`ok ${s.displayFile} (${s.name})\n`);
    return ExitCode.ok;
  }

  const reporter = new TerminalReporter(io.stdout, io.stderr, styleFor(io.stdout, io.env));
  const results = await runScenarios(
    scenarios,
    {
      cacheDir: cacheDirOf(settings, io),
      passes: settings.passes,
      warmup: settings.warmup,
      maxPasses: settings.maxPasses,
      ...(settings.jobs ? { jobs: settings.jobs } : {}),
      regression: settings.regression,
      ...(settings.baselineKernel ? { baselineKernel: baselineKernelSpec(settings.baselineKernel, io.cwd) } : {}),
    },
    { reporter },
  );
  await writeReports(settings, settings.paths, results, io);
  return exitCodeFor(judgeRun(results, { failOn: settings.failOn }));
}

/** Every file output the settings ask for, from one run's results (booted, merged or read back). */
async function writeReports(files: ReportFiles, paths: string[], results: RunResults, io: CliIo): Promise<void> {
  const outputs: Array<[string | undefined, string, (file: string) => Promise<void>]> = [
    [files.json, 'results', (file) => writeResultsJson(file, results)],
    [files.svg, 'boot chart', (file) => writeSvg(file, results)],
    [files.junit, 'JUnit XML', (file) => writeJunit(file, results)],
    [files.html, 'HTML report', (file) => writeHtml(file, results, { title: `boot-budget: ${paths.join(' ')}` })],
    [files.trace, 'Perfetto trace', (file) => writeTrace(file, results)],
  ];
  for (const [path, what, write] of outputs) {
    if (path === undefined) continue;
    const file = resolve(io.cwd, path);
    await write(file);
    io.stderr.write(`${what} written to ${file}\n`);
  }
  if (files.html !== undefined || files.trace !== undefined)
    for (const name of scenariosWithoutTimeline(results))
      io.stderr.write(
        `note: ${name}: no timeline recorded (not measured, or results from an older boot-budget); tables only\n`,
      );
}
