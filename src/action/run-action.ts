import * as core from '@actions/core';
import { basename, join, resolve } from 'node:path';
import { ActionsRemoteCache } from '../artifacts/cache/actions-cache.js';
import { defaultCacheDir } from '../artifacts/cache-dir.js';
import { mergeResultFiles } from '../core/merge.js';
import { runScenarios } from '../core/run-scenarios.js';
import type { RunResults } from '../judge/types.js';
import { judgeRun } from '../judge/verdict.js';
import { selectShard } from '../core/shard.js';
import type { ScenarioError } from '../errors.js';
import { TCG_NOTICE_TITLE, tcgFallbackAnnotation } from '../report/github/accel-notice.js';
import { annotationsFor, withinLimits, workspacePath, type Annotation } from '../report/github/annotations.js';
import { summaryMarkdown } from '../report/github/summary.js';
import { changes, commentMarkdown } from '../report/github/comment.js';
import { writeHtml } from '../report/html/report.js';
import { pullRequestTarget, upsertComment } from './pr-comment.js';
import { writeResultsJson } from '../report/json.js';
import { TerminalReporter } from '../report/terminal-reporter.js';
import { plainStyle } from '../report/style.js';
import { loadScenarios } from '../scenario/load.js';
import { systemHostActions, type HostActions } from './host.js';
import { NeutralisingWriter, neutraliseWorkflowCommands } from './sanitize.js';
import { OUTPUTS } from './contract.js';
import type { ActionSettings } from './settings.js';
import {
  baselineTransferFile,
  planBaseline,
  restoreBaseline,
  runContext,
  saveBaseline,
  type BaselineCacheApi,
  type BaselinePlan,
} from './baseline.js';
import { comparisonOf, regressionAnnotations, type BaselineSummary } from '../report/github/regression.js';

export interface ActionOutcome {
  /** Why the step fails, or null when it passes. */
  failure: string | null;
}

function annotate(annotation: Annotation): void {
  const properties = {
    title: annotation.title,
    file: annotation.file,
    startLine: annotation.line,
    startColumn: annotation.column,
  };
  if (annotation.level === 'error') core.error(annotation.message, properties);
  else core.warning(annotation.message, properties);
}

function scenarioErrorAnnotation(error: ScenarioError, paths: { cwd: string; workspace: string }): Annotation {
  return {
    level: 'error',
    file: workspacePath(error.file, paths.cwd, paths.workspace),
    line: error.line,
    column: error.column,
    title: `boot-budget: bad scenario${error.keyPath ? ` (${error.keyPath})` : ''}`,
    message: error.detail,
  };
}

/** The sticky pull-request comment, as `comment` asks. Never fails the step: a refusal or an API error is a warning. */
async function commentOnPullRequest(
  results: RunResults,
  settings: ActionSettings,
  baseline: BaselineSummary | undefined,
  htmlFile: string | undefined,
): Promise<void> {
  if (settings.comment === 'never') return;
  const target = pullRequestTarget();
  if (!target) return;
  if (!settings.githubToken) {
    core.warning('boot-budget: no github-token, so no pull-request comment');
    return;
  }
  const env = process.env;
  const runUrl =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  const body = commentMarkdown(results, baseline, {
    ...(runUrl ? { runUrl } : {}),
    ...(htmlFile ? { htmlFile: basename(htmlFile) } : {}),
  });
  const create = settings.comment === 'always' || changes(results, baseline).length > 0;
  try {
    const outcome = await upsertComment(settings.githubToken, target, body, create);
    if (outcome.kind === 'refused') core.warning(`boot-budget: no pull-request comment: ${outcome.reason}`);
    else if (outcome.kind === 'skipped') core.info(`pull-request comment: ${outcome.reason}`);
    else core.info(`pull-request comment ${outcome.kind}: ${outcome.url}`);
  } catch (error) {
    core.warning(`boot-budget: the pull-request comment failed: ${(error as Error).message}`);
  }
}

/** Results → annotations, summary and outputs, and the step's verdict. */
async function publish(
  results: RunResults,
  settings: ActionSettings,
  paths: { cwd: string; workspace: string },
  resultsFile: string,
  baseline?: BaselineSummary,
): Promise<ActionOutcome> {
  const { shown, overflow } = withinLimits([
    ...annotationsFor(results, paths),
    ...regressionAnnotations(results, baseline, paths),
  ]);
  for (const annotation of shown) annotate(annotation);
  const tcg = tcgFallbackAnnotation(results);
  if (tcg) core.warning(tcg, { title: TCG_NOTICE_TITLE });
  const htmlFile = settings.html ? resolve(paths.cwd, settings.html) : undefined;
  if (htmlFile) {
    await writeHtml(htmlFile, results, { title: 'boot-budget report', ...(baseline ? { baseline } : {}) });
    core.setOutput(OUTPUTS.html, htmlFile);
  }
  const htmlNote = htmlFile
    ? `\n\nThe HTML report (timeline of every pass) is \`${workspacePath(htmlFile, paths.cwd, paths.workspace)}\`: upload it with \`actions/upload-artifact\` to open it from this run.\n`
    : '';
  const run = judgeRun(results, { failOn: settings.failOn, comparisonOf: (s) => comparisonOf(s, baseline) });
  await core.summary.addRaw(summaryMarkdown(results, overflow, baseline, run) + htmlNote).write();
  await commentOnPullRequest(results, settings, baseline, htmlFile);

  core.setOutput(OUTPUTS.results, resultsFile);
  core.setOutput(OUTPUTS.verdict, run.verdict);
  core.setOutput(OUTPUTS.failed, String(run.failed));
  core.setOutput(OUTPUTS.regressions, String(run.regressed.length));
  return { failure: run.failure };
}

/** Inputs → core → annotations, summary and outputs. */
export async function runAction(
  settings: ActionSettings,
  env: NodeJS.ProcessEnv = process.env,
  /** The Actions cache for the base-branch baseline; tests inject a fake. */
  baselineApi?: BaselineCacheApi,
  /** Package installs and the /dev/kvm udev rule; tests inject a recorder so that nothing touches their machine. */
  host: HostActions = systemHostActions,
): Promise<ActionOutcome> {
  const cwd = process.cwd();
  const paths = { cwd, workspace: env.GITHUB_WORKSPACE ? resolve(env.GITHUB_WORKSPACE) : cwd };
  const resultsFile = resolve(cwd, settings.results);

  if (settings.merge.length) {
    const merged = await mergeResultFiles(settings.merge, cwd);
    for (const note of merged.notes) core.warning(note);
    await writeResultsJson(resultsFile, merged);
    return publish(merged, settings, paths, resultsFile);
  }

  const { scenarios: loaded, errors } = await loadScenarios(settings.paths, cwd, {
    allowOutside: settings.allowOutside ?? false,
    workspace: paths.workspace,
    ...(settings.clock ? { clock: settings.clock } : {}),
  });
  if (errors.length) {
    const { shown, overflow } = withinLimits(errors.map((e) => scenarioErrorAnnotation(e, paths)));
    for (const annotation of shown) annotate(annotation);
    // core.info does not escape, and a scenario's text (a key, a value) comes from whoever wrote the scenario.
    for (const annotation of overflow)
      core.info(neutraliseWorkflowCommands(`error: ${annotation.file}:${annotation.line}: ${annotation.message}`));
    core.setOutput(OUTPUTS.verdict, 'error');
    return { failure: `${errors.length} scenario error(s); nothing was booted` };
  }
  const scenarios = selectShard(loaded, settings.shard);
  core.info(
    settings.shard
      ? `shard ${settings.shard.index}/${settings.shard.count}: ${scenarios.length} of ${loaded.length} scenarios (${scenarios.map((s) => s.name).join(', ') || 'none'})`
      : `${scenarios.length} scenario(s)`,
  );

  if (settings.install) await host.installMissingPackages(scenarios);
  if (settings.kvm !== 'off') {
    const kvm = await host.openKvmDevice();
    if (kvm === 'still-closed')
      core.warning('/dev/kvm exists but stays closed to the runner user after the udev rule; boots will not use KVM.');
  }

  // The report quotes guest console lines (spans, hints); the runner must not obey a workflow command among them.
  const untrusted = new NeutralisingWriter(process.stdout);
  const reporter = new TerminalReporter(untrusted, untrusted, plainStyle);
  const cacheDir = defaultCacheDir(env);
  // The transfer directory must be the same path on every runner, because the Actions cache versions entries by it.
  const remoteCache = settings.cache
    ? new ActionsRemoteCache(join(cacheDir, 'actions-transfer'), (message) => core.warning(message))
    : undefined;
  const results = await runScenarios(
    scenarios,
    { cacheDir, passes: settings.passes, warmup: settings.warmup, kvm: settings.kvm, maxPasses: settings.maxPasses },
    { reporter, ...(remoteCache ? { remoteCache } : {}) },
  );
  await writeResultsJson(resultsFile, results);

  // A pull request compares with the newest results saved by its base branch; a push to the default branch
  // saves this run's. Neither can fail the step: no baseline is a note in the summary.
  const plan: BaselinePlan = settings.baseline
    ? planBaseline(
        await runContext(env),
        settings.shard ? `${settings.shard.index}of${settings.shard.count}` : undefined,
      )
    : { kind: 'none', reason: 'the baseline input is false' };
  const transfer = baselineTransferFile(cacheDir);
  const baseline: BaselineSummary =
    plan.kind === 'restore'
      ? await restoreBaseline(plan, results, transfer, {}, baselineApi)
      : {
          note:
            plan.kind === 'save'
              ? 'no baseline to compare with: this push to the default branch saves one for pull requests'
              : `no baseline: ${plan.reason}`,
        };
  const outcome = await publish(results, settings, paths, resultsFile, baseline);
  if (plan.kind === 'save') core.info(await saveBaseline(plan, resultsFile, transfer, baselineApi));
  return outcome;
}
