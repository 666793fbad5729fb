import { describe, expect, it } from 'vitest';
import { unseenBudgetReasons } from '../../src/judge/unseen.js';
import { judgeStages } from '../../src/judge/budgets.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import type { Budget } from '../../src/scenario/types.js';
import { loadBootFixture } from '../helpers/fixtures.js';

const budget = (stage: string): Budget => ({
  stage,
  maxMs: 1000,
  level: 'error',
  statistic: 'median',
  pos: { line: 1, column: 1 },
});

describe('a budgeted stage that was never seen', () => {
  it('is an error with the reason, not a silent FAIL: a boot killed at its panic has no userspace or total', () => {
    const m = measurePass(loadBootFixture('cloud-panic').trace, []);
    const budgets = [budget('kernel'), budget('userspace'), budget('firmware')];
    const stages = judgeStages([m], ['firmware', 'kernel', 'userspace', 'shutdown', 'total'], budgets);
    const reasons = unseenBudgetReasons(stages, budgets);
    expect(reasons).toHaveLength(stages.filter((s) => s.budget && !s.summary).length);
    expect(reasons.join(' ')).toMatch(
      /^(kernel|userspace) has a budget but was never seen: .*(kernel end|userspace start) not seen/,
    );
  });

  it('names nothing when every budgeted stage was seen', () => {
    const m = measurePass(loadBootFixture('cloud-quiet-sleep1').trace, []);
    const budgets = [budget('kernel'), budget('userspace'), budget('shutdown')];
    const stages = judgeStages([m], ['firmware', 'kernel', 'userspace', 'shutdown', 'total'], budgets);
    expect(unseenBudgetReasons(stages, budgets)).toEqual([]);
  });
});
