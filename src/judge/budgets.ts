import { BUILTIN_STAGE_NAMES } from '../scenario/builtin-stages.js';
import type { Budget, Statistic } from '../scenario/types.js';
import type { PassMeasurement } from '../measure/types.js';
import { summarize, type Summary } from './statistics.js';
import { representativePass, slowestInitcalls, spanSummary } from './diagnosis.js';
import type { BudgetResult, ScenarioVerdict, StageResult, StageVerdict } from './types.js';

export function statisticOf(summary: Summary, statistic: Statistic): number {
  switch (statistic) {
    case 'median':
      return summary.median;
    case 'mean':
      return summary.mean;
    case 'p90':
      return summary.p90;
    case 'max':
      return summary.max;
  }
}

function verdictFor(budget: Budget, value: number | null): StageVerdict {
  // A budgeted stage that never appeared cannot be shown to be within budget.
  if (value === null || value > budget.maxMs) return budget.level === 'error' ? 'fail' : 'warn';
  return 'pass';
}

const BUILTIN_RANK = new Map<string, number>(BUILTIN_STAGE_NAMES.map((name, i) => [name, i]));

/**
 * The stages a report lists: those it always lists and those measured, built-in ones in the table's order (a stage
 * only some boots have, such as `initrd`, in its place in the boot, not after `total`), then custom ones as first seen.
 */
export function listedStages(stageOrder: readonly string[], measured: readonly string[]): string[] {
  const names = [...new Set([...stageOrder, ...measured])];
  const rank = (name: string) => BUILTIN_RANK.get(name) ?? Number.POSITIVE_INFINITY;
  // Array.prototype.sort is stable: custom stages keep their first-seen order after the built-in ones.
  return names.sort((a, b) => rank(a) - rank(b));
}

/** Turns measured passes into per-stage statistics and verdicts, in boot-chart order. */
export function judgeStages(
  passes: readonly PassMeasurement[],
  stageOrder: readonly string[],
  budgets: readonly Budget[],
): StageResult[] {
  const names = listedStages(
    stageOrder,
    passes.flatMap((pass) => pass.stages.map((s) => s.name)),
  );

  return names.map((name) => {
    const timings = passes.flatMap((p) => p.stages.filter((s) => s.name === name));
    const samples = timings.map((s) => s.ms);
    const meanStartT = timings.length ? timings.reduce((sum, s) => sum + s.startT, 0) / timings.length : null;
    const summary = summarize(samples);
    const budget = budgets.find((b) => b.stage === name);
    let budgetResult: BudgetResult | null = null;
    let verdict: StageVerdict = 'none';
    if (budget) {
      const value = summary ? statisticOf(summary, budget.statistic) : null;
      budgetResult = {
        max: budget.maxMs,
        level: budget.level,
        statistic: budget.statistic,
        value,
        line: budget.pos.line,
        column: budget.pos.column,
      };
      verdict = verdictFor(budget, value);
    }
    // One pass for both, so that the span and the hints describe the same boot.
    const typical = summary ? representativePass(passes, name, summary.median) : undefined;
    const span = typical?.stages.find((s) => s.name === name)?.span ?? null;
    const spanStats = spanSummary(passes, name, span);
    // total spans every stage, so its initcalls would only repeat kernel's.
    const initcalls = summary && name !== 'total' ? slowestInitcalls(passes, name, summary.mean) : [];
    return {
      name,
      samples,
      summary,
      meanStartT,
      budget: budgetResult,
      verdict,
      span,
      ...(spanStats ? { spanSummary: spanStats.summary, spanMeanStartT: spanStats.meanStartT } : {}),
      hints: typical?.hints.filter((h) => h.stage === name) ?? [],
      ...(initcalls.length ? { initcalls } : {}),
    };
  });
}

export function scenarioVerdict(stages: readonly StageResult[]): ScenarioVerdict {
  return stages.some((s) => s.verdict === 'fail') ? 'fail' : 'pass';
}
