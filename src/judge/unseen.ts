/**
 * A budgeted stage that no measured pass saw cannot be judged: that is an error with a reason (exit 3), never a
 * silent FAIL. The reasons are data, one per way a stage's edge goes missing.
 */
import { SHUTDOWN_GRACE_MS } from '../boot/pass-runner.js';
import type { Budget } from '../scenario/types.js';
import type { StageResult } from './types.js';

/** Why each built-in stage's edges may be missing, in words people can act on. */
export const UNSEEN_REASONS: Record<string, string> = {
  firmware:
    'kernel clock zero not seen: no record was both in a dumped kernel log and on the console, so the guest clock could not be placed on host time (the console is quiet and no kernel log was dumped); let boot-budget add its agent or ready unit (drop `agent: false`), or drop `quiet`',
  kernel:
    'kernel end not seen: neither `Run /… as init process` nor `Freeing unused kernel` was on the console or in a dumped kernel log, and no agent marked init; let boot-budget add its agent or ready unit (it dumps the kernel log), or drop `quiet`',
  userspace:
    "userspace start not seen: the kernel's handover to init was on neither the console nor a dumped kernel log; let boot-budget add its agent or ready unit (it dumps the kernel log), or drop `quiet`",
  shutdown: `shutdown not seen: the guest did not power itself off within ${SHUTDOWN_GRACE_MS / 1000} s of ready`,
  total: 'total not seen: no pass reached ready',
};

/** One sentence per budgeted stage that was never seen; empty when every budget could be judged. */
export function unseenBudgetReasons(stages: readonly StageResult[], budgets: readonly Budget[]): string[] {
  return budgets.flatMap((budget) => {
    const stage = stages.find((s) => s.name === budget.stage);
    if (stage?.summary) return [];
    return [
      `${budget.stage} has a budget but was never seen: ${UNSEEN_REASONS[budget.stage] ?? 'its `from` or `to` regex matched no line of the boot'}.`,
    ];
  });
}
