import { isAbsolute, relative, resolve } from 'node:path';
import type { RunResults } from '../../judge/types.js';
import type { ScenarioResult, StageResult } from '../../judge/types.js';
import { formatMs } from '../../scenario/duration.js';
import { describeSpan } from '../terminal.js';
import { passCount, spreadCells } from '../figures.js';

/** One annotation, before it is written as a workflow command. Plain data, so it can be tested without a runner. */
export interface Annotation {
  level: 'error' | 'warning';
  /** Relative to the workspace, as GitHub needs to place it on the pull request's diff. */
  file: string;
  line: number;
  column?: number;
  title: string;
  message: string;
}

/** GitHub shows at most this many annotations of each level per step and drops the rest silently. */
export const ANNOTATION_LIMIT = 10;

export function workspacePath(file: string, cwd: string, workspace: string): string {
  const absolute = resolve(cwd, file);
  const inside = relative(workspace, absolute);
  return inside.startsWith('..') || isAbsolute(inside) ? absolute : inside;
}

/** `median 412 ms (±8 ms, 5 passes, kvm) > budget 300 ms. Offending span: … Hint: …` */
export function budgetMessage(scenario: ScenarioResult, stage: StageResult): string {
  const budget = stage.budget!;
  const summary = stage.summary;
  const sigma = summary ? spreadCells(summary).sigma : '';
  const measured =
    budget.value === null || !summary
      ? `stage "${stage.name}" was not seen in any pass`
      : `${budget.statistic} ${formatMs(budget.value)} (${sigma ? `±${sigma}, ` : ''}${passCount(summary.n)}, ${scenario.accel ?? 'no accelerator'})`;
  const parts = [`${measured} > budget ${formatMs(budget.max)}.`];
  if (stage.span) parts.push(`Offending span: ${describeSpan(stage, 80)}.`);
  // The costliest hint first: one concrete thing to try fits an annotation; the summary lists the rest.
  const hint = [...(stage.hints ?? [])].sort((a, b) => b.ms - a.ms)[0];
  if (hint) parts.push(`Hint: ${hint.evidence}. ${hint.advice} Try: ${hint.try}.`);
  return parts.join(' ');
}

export function annotationsFor(results: RunResults, paths: { cwd: string; workspace: string }): Annotation[] {
  const annotations: Annotation[] = [];
  for (const scenario of results.scenarios) {
    const file = workspacePath(scenario.file, paths.cwd, paths.workspace);
    if (scenario.verdict === 'error') {
      annotations.push({
        level: 'error',
        file,
        line: scenario.errorAt?.line ?? 1,
        ...(scenario.errorAt ? { column: scenario.errorAt.column } : {}),
        title: `boot-budget: ${scenario.name}`,
        message: `could not be measured: ${scenario.error ?? 'unknown error'}`,
      });
      continue;
    }
    for (const stage of scenario.stages) {
      if (!stage.budget || stage.verdict === 'pass' || stage.verdict === 'none') continue;
      annotations.push({
        level: stage.verdict === 'fail' ? 'error' : 'warning',
        file,
        line: stage.budget.line,
        column: stage.budget.column,
        title: `boot-budget: ${scenario.name} › ${stage.name}`,
        message: budgetMessage(scenario, stage),
      });
    }
  }
  return annotations;
}

/** Splits annotations into those the runner will show and the overflow, which goes to the job summary instead. */
export function withinLimits(annotations: readonly Annotation[]): { shown: Annotation[]; overflow: Annotation[] } {
  const shown: Annotation[] = [];
  const overflow: Annotation[] = [];
  const counts = { error: 0, warning: 0 };
  for (const annotation of annotations) {
    if (counts[annotation.level] < ANNOTATION_LIMIT) {
      counts[annotation.level]++;
      shown.push(annotation);
    } else {
      overflow.push(annotation);
    }
  }
  return { shown, overflow };
}
