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
import { TerminalReporter } from '../report/progress.js';
import { styleFor } from '../report/style.js';
import { loadScenarios } from '../scenario/load.js';
import { formatDoctorReport, gatherDoctorReport } from '../boot/doctor.js';
import { hostPackagesFor } from '../artifacts/requirements.js';
import { parseCliArgs, USAGE, type CliSettings } from './args.js';
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
    if (settings.command === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return ExitCode.ok;
    }
    if (settings.command === 'version') {
      io.stdout.write(`${io.version}\n`);
      return ExitCode.ok;
    }

    const cacheDir = settings.cacheDir ? resolve(io.cwd, settings.cacheDir) : defaultCacheDir(io.env);
    if (settings.command === 'cache') {
      io.stdout.write(await cacheCommand(settings.cacheAction!, cacheDir, { olderThanMs: settings.olderThanMs }));
      return ExitCode.ok;
    }

    if (settings.command === 'doctor') {
      // With scenarios, the packages they need; without, what the Quick start needs (src/artifacts/requirements.ts).
      const { scenarios, errors } = settings.paths.length
        ? await loadScenarios(settings.paths, io.cwd)
        : { scenarios: [], errors: [] };
      if (errors.length) throw errors[0];
      io.stdout.write(formatDoctorReport(await gatherDoctorReport(cacheDir, undefined, hostPackagesFor(scenarios))));
      return ExitCode.ok;
    }

    if (settings.command === 'compare') {
      const [baseFile, headFile] = settings.paths as [string, string];
      const base = await readResultsFile(resolve(io.cwd, baseFile));
      const head = await readResultsFile(resolve(io.cwd, headFile));
      for (const note of [...unknownMetadataNotes(base, baseFile), ...unknownMetadataNotes(head, headFile)])
        io.stderr.write(`note: ${note}\n`);
      const comparison = compareRuns(base, head, {
        force: settings.force ?? false,
        overrides: settings.regression ?? {},
      });
      io.stdout.write(
        `${renderCompareReport(comparison, styleFor(io.stdout, io.env), { base: baseFile, head: headFile })}\n`,
      );
      if (settings.json)
        await writeFile(
          resolve(io.cwd, settings.json),
          `${JSON.stringify(compareReportToJson(comparison, { base: baseFile, head: headFile }), null, 2)}\n`,
        );
      return comparison.scenarios.some((c) => c.verdict === 'regression') ? ExitCode.budgetExceeded : ExitCode.ok;
    }

    if (settings.command === 'merge' || settings.command === 'report') {
      const { notes, ...merged } = await mergeResultFiles(settings.paths, io.cwd);
      for (const note of notes) io.stderr.write(`note: ${note}\n`);
      if (settings.command === 'report') {
        const outputs = [settings.html, settings.trace, settings.svg, settings.junit, settings.json];
        if (outputs.every((o) => o === undefined))
          throw new UsageError(`report needs at least one of --html, --trace, --svg, --junit or --json.\n\n${USAGE}`);
        await writeReports(settings, merged, io);
        return ExitCode.ok;
      }
      const style = styleFor(io.stdout, io.env);
      for (const scenario of merged.scenarios) io.stdout.write(`\n${renderScenario(scenario, style)}\n`);
      await writeReports(settings, merged, io);
      return exitCodeFor(judgeRun(merged, { failOn: settings.failOn }));
    }

    const { scenarios: loaded, errors } = await loadScenarios(settings.paths, io.cwd, {
      allowOutside: settings.allowOutside ?? false,
      ...(settings.clock ? { clock: settings.clock } : {}),
    });
    for (const error of errors) io.stderr.write(`${errStyle.red('error:')} ${error.message}\n`);
    if (errors.length) {
      io.stderr.write(`${errors.length} scenario error${errors.length > 1 ? 's' : ''}; nothing was booted.\n`);
      return ExitCode.usage;
    }
    const scenarios = settings.filter ? loaded.filter((s) => s.name.includes(settings.filter!)) : loaded;
    if (scenarios.length === 0)
      throw new UsageError(`--filter "${settings.filter}" matches none of: ${loaded.map((s) => s.name).join(', ')}`);

    if (settings.command === 'validate') {
      for (const s of scenarios) io.stdout.write(`ok ${s.displayFile} (${s.name})\n`);
      return ExitCode.ok;
    }

    const reporter = new TerminalReporter(io.stdout, io.stderr, styleFor(io.stdout, io.env));
    const results = await runScenarios(
      scenarios,
      {
        cacheDir,
        passes: settings.passes,
        warmup: settings.warmup,
        maxPasses: settings.maxPasses,
        ...(settings.jobs ? { jobs: settings.jobs } : {}),
        regression: settings.regression,
        ...(settings.baselineKernel ? { baselineKernel: baselineKernelSpec(settings.baselineKernel, io.cwd) } : {}),
      },
      { reporter },
    );
    await writeReports(settings, results, io);
    return exitCodeFor(judgeRun(results, { failOn: settings.failOn }));
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

/** Every file output the settings ask for, from one run's results (booted, merged or read back). */
async function writeReports(settings: CliSettings, results: RunResults, io: CliIo): Promise<void> {
  const outputs: Array<[string | undefined, string, (file: string) => Promise<void>]> = [
    [settings.json, 'results', (file) => writeResultsJson(file, results)],
    [settings.svg, 'boot chart', (file) => writeSvg(file, results)],
    [settings.junit, 'JUnit XML', (file) => writeJunit(file, results)],
    [
      settings.html,
      'HTML report',
      (file) => writeHtml(file, results, { title: `boot-budget: ${settings.paths.join(' ')}` }),
    ],
    [settings.trace, 'Perfetto trace', (file) => writeTrace(file, results)],
  ];
  for (const [path, what, write] of outputs) {
    if (path === undefined) continue;
    const file = resolve(io.cwd, path);
    await write(file);
    io.stderr.write(`${what} written to ${file}\n`);
  }
  if (settings.html !== undefined || settings.trace !== undefined)
    for (const name of scenariosWithoutTimeline(results))
      io.stderr.write(
        `note: ${name}: no timeline recorded (not measured, or results from an older boot-budget); tables only\n`,
      );
}
