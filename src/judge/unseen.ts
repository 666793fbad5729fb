/**
 * A budgeted stage that no measured pass saw cannot be judged: that is an error with a reason (exit 3), never a
 * silent FAIL. The reasons are data, one per way a stage's edge goes missing.
 */
import { SHUTDOWN_GRACE_MS } from '../boot/pass-runner.js';
import { LOADER_START_EDGES } from '../measure/stages.js';
import type { BuiltinStageName } from '../scenario/builtin-stages.js';
import type { Budget } from '../scenario/types.js';
import type { StageResult } from './types.js';

/** Why each built-in stage's edges may be missing, in words people can act on. */
export const UNSEEN_REASONS: Record<BuiltinStageName, string> = {
  firmware:
    'kernel clock zero not seen: no record was both in a dumped kernel log and on the console, so the guest clock could not be placed on host time (the console is quiet and no kernel log was dumped); let boot-budget add its agent or ready unit (drop `agent: false`), or drop `quiet`',
  loader: `boot loader start not seen: the console showed none of the lines that place it (${LOADER_START_EDGES.map((e) => e.source).join(', ')}) before the kernel's clock started`,
  kernel:
    'kernel end not seen: neither `Run /… as init process` nor `Freeing unused kernel` was on the console or in a dumped kernel log, and no agent marked init; let boot-budget add its agent or ready unit (it dumps the kernel log), or drop `quiet`',
  initrd:
    "root switch not seen: the image's initramfs printed neither systemd's `Switching root.` nor run-init's or switch_root's words, or the image has no initramfs (its kernel mounts the root itself, and `userspace` starts at the kernel's end)",
  userspace:
    "userspace start not seen: the kernel's handover to init was on neither the console nor a dumped kernel log; let boot-budget add its agent or ready unit (it dumps the kernel log), or drop `quiet`",
  shutdown: `shutdown not seen: the guest did not power itself off within ${SHUTDOWN_GRACE_MS / 1000} s of ready`,
  total: 'total not seen: no pass reached ready',
  doorbell:
    "doorbell not heard: the ready ring never reached the host (it needs `doorbell: true` and boot-budget's agent)",
};

/** One sentence per budgeted stage that was never seen; empty when every budget could be judged. */
export function unseenBudgetReasons(stages: readonly StageResult[], budgets: readonly Budget[]): string[] {
  return budgets.flatMap((budget) => {
    const stage = stages.find((s) => s.name === budget.stage);
    if (stage?.summary) return [];
    return [
      `${budget.stage} has a budget but was never seen: ${UNSEEN_REASONS[budget.stage as BuiltinStageName] ?? 'its `from` or `to` regex matched no line of the boot'}.`,
    ];
  });
}
