import type { RunResults } from '../core/run-scenarios.js';

export const ExitCode = { ok: 0, budgetExceeded: 1, usage: 2, infra: 3 } as const;

/** Infrastructure trouble outranks budgets: a scenario that could not be measured says nothing about its budgets. */
export function exitCodeFor(results: RunResults): number {
  if (results.scenarios.some((s) => s.verdict === 'error')) return ExitCode.infra;
  if (results.scenarios.some((s) => s.verdict === 'fail')) return ExitCode.budgetExceeded;
  // A same-job A/B that found a regression fails like a budget does (DESIGN: exit 1 for a budget or a regression).
  if (results.scenarios.some((s) => s.comparison?.verdict === 'regression')) return ExitCode.budgetExceeded;
  return ExitCode.ok;
}
