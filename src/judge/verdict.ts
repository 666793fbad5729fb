/**
 * The one verdict of a run, for every front end: the CLI maps it to an exit code, the Action to its outputs and the
 * step's failure. Infrastructure trouble outranks budgets: a scenario that could not be measured says nothing about
 * its budgets. A regression fails a run like an exceeded budget does.
 */
import type { ScenarioComparison } from './compare.js';
import type { RunResults, ScenarioResult } from './types.js';

/** `error`: only error-level budgets (and regressions) fail the run; `warn`: warn-level budgets too. */
export type FailOn = 'error' | 'warn';
export const FAIL_ON_LEVELS: readonly FailOn[] = ['error', 'warn'];

export interface VerdictSettings {
  failOn: FailOn;
  /**
   * A scenario's comparison when it is not in the results themselves (the Action's base-branch baseline); the
   * same-job A/B comparison in `ScenarioResult.comparison` is always used first.
   */
  comparisonOf?: (scenario: ScenarioResult) => ScenarioComparison | undefined;
}

export interface RunVerdict {
  /** `fail` covers exceeded budgets, regressions and, with fail-on warn, exceeded warn-level budgets. */
  verdict: 'pass' | 'fail' | 'error';
  /** Exceeded error-level budgets, over all scenarios. */
  failed: number;
  /** Exceeded warn-level budgets, over all scenarios. */
  warned: number;
  /** Names of the scenarios with a regression. */
  regressed: string[];
  /** Scenarios that could not be measured. */
  errors: Array<{ name: string; error: string }>;
  /** Why the run fails, in words for people; null when it passes. */
  failure: string | null;
}

export function judgeRun(results: RunResults, settings: VerdictSettings): RunVerdict {
  const stages = results.scenarios.flatMap((s) => s.stages);
  const failed = stages.filter((stage) => stage.verdict === 'fail').length;
  const warned = stages.filter((stage) => stage.verdict === 'warn').length;
  const errors = results.scenarios
    .filter((s) => s.verdict === 'error')
    .map((s) => ({ name: s.name, error: s.error ?? 'unknown error' }));
  const regressed = results.scenarios
    .filter((s) => (s.comparison ?? settings.comparisonOf?.(s))?.verdict === 'regression')
    .map((s) => s.name);

  const failure = errors.length
    ? `${errors.length} scenario(s) could not be measured: ${errors.map((e) => `${e.name}: ${e.error}`).join('; ')}`
    : failed
      ? `${failed} budget(s) exceeded`
      : regressed.length
        ? `regression in ${regressed.join(', ')}`
        : settings.failOn === 'warn' && warned
          ? `${warned} warn-level budget(s) exceeded and fail-on is warn`
          : null;
  const verdict = errors.length ? 'error' : failure ? 'fail' : 'pass';
  return { verdict, failed, warned, regressed, errors, failure };
}
