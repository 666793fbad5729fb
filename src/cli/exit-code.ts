import type { RunVerdict } from '../judge/verdict.js';

export const ExitCode = { ok: 0, budgetExceeded: 1, usage: 2, infra: 3 } as const;

/** The run's verdict (judge/verdict.ts) as the CLI's exit code: 1 for a budget exceeded or a regression. */
export function exitCodeFor(run: Pick<RunVerdict, 'verdict'>): number {
  if (run.verdict === 'error') return ExitCode.infra;
  if (run.verdict === 'fail') return ExitCode.budgetExceeded;
  return ExitCode.ok;
}
