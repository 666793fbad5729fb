/** Regressions on GitHub: annotations on the scenario's `regression:` (or `name:`) line and Δ cells. */
import type { Comparison, ScenarioComparison } from '../../judge/compare.js';
import type { StageComparison } from '../../judge/regression.js';
import type { ScenarioResult } from '../../judge/types.js';
import { formatMs } from '../../scenario/duration.js';
import { formatDelta, formatP } from '../compare.js';
import { workspacePath, type Annotation } from './annotations.js';

/** What the summary knows about the base-branch baseline: a comparison, or why there is none. */
export type BaselineSummary = { comparison: Comparison; source: string } | { comparison?: undefined; note: string };

/** The A/B comparison of a scenario, else its comparison with the base branch. */
export function comparisonOf(s: ScenarioResult, baseline?: BaselineSummary): ScenarioComparison | undefined {
  return s.comparison ?? baseline?.comparison?.scenarios.find((c) => c.name === s.name);
}

export function regressionMessage(c: ScenarioComparison, stage: StageComparison, against: string): string {
  const delta = formatDelta(stage);
  return (
    `${stage.stage} median ${formatMs(stage.base.median)} → ${formatMs(stage.head.median)} (${delta.ms}, ${delta.pct}) against ${against}; ` +
    `p = ${formatP(stage.pValue)} ≤ ${c.settings.pValue} over ${stage.base.n} + ${stage.head.n} passes, above the ${(c.settings.maxIncrease * 100).toFixed(1).replace(/\.0$/, '')}% allowed.`
  );
}

export function regressionAnnotations(
  results: { scenarios: readonly ScenarioResult[] },
  baseline: BaselineSummary | undefined,
  paths: { cwd: string; workspace: string },
): Annotation[] {
  const out: Annotation[] = [];
  for (const s of results.scenarios) {
    const c = comparisonOf(s, baseline);
    if (!c) continue;
    const against =
      c.kind === 'ab'
        ? 'the baseline booted in this job (A/B)'
        : `the base branch (${baseline && 'source' in baseline ? baseline.source : 'saved results'})`;
    for (const stage of c.stages.filter((st) => st.verdict === 'regression')) {
      out.push({
        level: 'error',
        file: workspacePath(s.file, paths.cwd, paths.workspace),
        line: c.line,
        column: c.column,
        title: `boot-budget: ${s.name} › ${stage.stage} regressed`,
        message: regressionMessage(c, stage, against),
      });
    }
  }
  return out;
}

/** The Δ cell of one stage: `+312 ms (+310.2%) ❌` with the p-value, or empty when the stage was not compared. */
export function deltaCell(c: ScenarioComparison | undefined, stage: string): string {
  const s = c?.stages.find((st) => st.stage === stage);
  if (!s) return '';
  const delta = formatDelta(s);
  const mark = s.verdict === 'regression' ? ' ❌' : s.verdict === 'improvement' ? ' 🟢' : '';
  return `${delta.ms} (${delta.pct}, p ${formatP(s.pValue)})${mark}`;
}

/** One line under the headline: what the Δ column compares with, or why there is no Δ. */
export function baselineLine(results: { scenarios: readonly ScenarioResult[] }, baseline?: BaselineSummary): string {
  const ab = results.scenarios.filter((s) => s.comparison).length;
  const parts: string[] = [];
  if (ab)
    parts.push(`Δ of ${ab} scenario${ab > 1 ? 's' : ''} is against a baseline booted in this job (A/B, interleaved).`);
  if (baseline?.comparison) parts.push(`Δ is against the base branch (${baseline.source}).`);
  else if (baseline) parts.push(`ℹ️ ${baseline.note}; no Δ against the base branch.`);
  return parts.join(' ');
}
