/** The one run verdict (judge/verdict.ts) and how the CLI and the Action read it. */
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/args.js';
import { exitCodeFor } from '../../src/cli/exit-code.js';
import { UsageError } from '../../src/errors.js';
import { judgeStages } from '../../src/judge/budgets.js';
import { compareScenario } from '../../src/judge/compare.js';
import { DEFAULT_REGRESSION } from '../../src/judge/regression.js';
import type { RunResults, ScenarioResult } from '../../src/judge/types.js';
import { judgeRun } from '../../src/judge/verdict.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { ALWAYS_LISTED_STAGES } from '../../src/scenario/builtin-stages.js';
import type { Budget } from '../../src/scenario/types.js';
import { loadBootFixture, scenarioResult } from '../helpers/fixtures.js';

/** The quiet capture's userspace is ~1.5 s (a `sleep 1` in the run list). */
const pass = measurePass(loadBootFixture('cloud-quiet-sleep1').trace, []);
/** The verbose capture runs no `sleep`, so its userspace is much shorter. */
const faster = measurePass(loadBootFixture('cloud-verbose').trace, []);

function judged(name: string, budgets: Array<[string, number, Budget['level']]>): ScenarioResult {
  const stages = judgeStages(
    [pass, pass],
    ALWAYS_LISTED_STAGES,
    budgets.map(([stage, maxMs, level]) => ({ stage, maxMs, level, statistic: 'median', pos: { line: 9, column: 3 } })),
  );
  return scenarioResult(name, stages, { passes: 2, regression: { ...DEFAULT_REGRESSION, line: 4, column: 1 } });
}

const run = (...scenarios: ScenarioResult[]): RunResults => ({ version: 1, scenarios });
const met = () => judged('met', [['total', 60_000, 'error']]);
const exceeded = () => judged('exceeded', [['userspace', 1, 'error']]);
const warned = () => judged('warned', [['userspace', 1, 'warn']]);
const broken = (): ScenarioResult => ({ ...met(), name: 'broken', verdict: 'error', error: 'qemu not found' });

describe('judgeRun', () => {
  it('passes when every budget is met', () => {
    expect(judgeRun(run(met()), { failOn: 'error' })).toEqual({
      verdict: 'pass',
      failed: 0,
      warned: 0,
      regressed: [],
      errors: [],
      failure: null,
    });
  });

  it('fails on an exceeded error-level budget, and counts it', () => {
    const verdict = judgeRun(run(met(), exceeded()), { failOn: 'error' });
    expect(verdict).toMatchObject({ verdict: 'fail', failed: 1, failure: '1 budget(s) exceeded' });
  });

  it('ranks a scenario that could not be measured over exceeded budgets', () => {
    const verdict = judgeRun(run(exceeded(), broken()), { failOn: 'error' });
    expect(verdict.verdict).toBe('error');
    expect(verdict.errors).toEqual([{ name: 'broken', error: 'qemu not found' }]);
    expect(verdict.failure).toBe('1 scenario(s) could not be measured: broken: qemu not found');
  });

  it('fails a warn-level budget only with fail-on warn', () => {
    expect(judgeRun(run(warned()), { failOn: 'error' })).toMatchObject({ verdict: 'pass', warned: 1 });
    expect(judgeRun(run(warned()), { failOn: 'warn' })).toMatchObject({
      verdict: 'fail',
      warned: 1,
      failure: '1 warn-level budget(s) exceeded and fail-on is warn',
    });
  });

  it('fails a same-job A/B regression with verdict fail, not pass', () => {
    const head = met();
    const base = judgeStages([faster, faster, faster], ALWAYS_LISTED_STAGES, []);
    // The quiet boot with its `sleep 1` as head, against the verbose one without it as the baseline side.
    const ab = { ...head, comparison: compareScenario(base, head, 'ab', { ...DEFAULT_REGRESSION, pValue: 0.5 }) };
    expect(ab.comparison.verdict).toBe('regression');
    expect(judgeRun(run(ab), { failOn: 'error' })).toMatchObject({
      verdict: 'fail',
      regressed: ['met'],
      failure: 'regression in met',
    });
  });

  it('takes a base-branch comparison from the settings when the result has none', () => {
    const head = met();
    const comparison = { ...compareScenario(head.stages, head, 'base', DEFAULT_REGRESSION), verdict: 'regression' };
    const verdict = judgeRun(run(head), {
      failOn: 'error',
      comparisonOf: (s) => (s.name === 'met' ? (comparison as typeof head.comparison) : undefined),
    });
    expect(verdict).toMatchObject({ verdict: 'fail', regressed: ['met'] });
  });
});

describe('the CLI reads the verdict', () => {
  it('maps it to exit codes: infrastructure 3 over budgets 1 over success 0', () => {
    expect(exitCodeFor(judgeRun(run(met()), { failOn: 'error' }))).toBe(0);
    expect(exitCodeFor(judgeRun(run(met(), exceeded()), { failOn: 'error' }))).toBe(1);
    expect(exitCodeFor(judgeRun(run(exceeded(), broken()), { failOn: 'error' }))).toBe(3);
    expect(exitCodeFor(judgeRun(run(warned()), { failOn: 'warn' }))).toBe(1);
  });

  it('takes --fail-on error|warn, error by default', () => {
    expect(parseCliArgs(['run', 'x.yaml'])).toMatchObject({ failOn: 'error' });
    expect(parseCliArgs(['run', 'x.yaml', '--fail-on', 'warn'])).toMatchObject({ failOn: 'warn' });
    expect(parseCliArgs(['merge', 'a.json', '--fail-on', 'warn'])).toMatchObject({ failOn: 'warn' });
    expect(() => parseCliArgs(['run', '--fail-on', 'sometimes'])).toThrow(UsageError);
  });
});
