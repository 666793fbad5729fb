import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/errors.js';
import { judgeStages } from '../../src/judge/budgets.js';
import type { ScenarioResult } from '../../src/judge/types.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { ALWAYS_LISTED_STAGES } from '../../src/scenario/builtin-stages.js';
import { resultsToJson } from '../../src/report/json.js';
import { colorStyle, plainStyle, styleFor } from '../../src/report/style.js';
import { renderScenario } from '../../src/report/terminal.js';
import type { Budget } from '../../src/scenario/types.js';
import { loadBootFixture, scenarioResult } from '../helpers/fixtures.js';

const budget = (stage: string, maxMs: number, line: number, level: Budget['level'] = 'error'): Budget => ({
  stage,
  maxMs,
  level,
  statistic: 'median',
  pos: { line, column: 3 },
});

/** A result judged from a real captured boot, measured twice as if it were two passes. */
function resultFrom(budgets: Budget[]): ScenarioResult {
  const pass = measurePass(loadBootFixture('cloud-quiet-sleep1').trace, []);
  const stages = judgeStages([pass, pass], ALWAYS_LISTED_STAGES, budgets);
  return scenarioResult('sleepy', stages, { passes: 2 });
}

describe('verdicts', () => {
  it('fails an error-level budget, only warns a warn-level one, and skips unbudgeted stages', () => {
    const result = resultFrom([
      budget('userspace', 500, 20),
      budget('kernel', 100, 21, 'warn'),
      budget('total', 60_000, 22),
    ]);
    const verdicts = Object.fromEntries(result.stages.map((s) => [s.name, s.verdict]));
    expect(verdicts).toEqual({ firmware: 'none', kernel: 'warn', userspace: 'fail', shutdown: 'none', total: 'pass' });
    expect(result.verdict).toBe('fail');
    expect(resultFrom([budget('kernel', 100, 21, 'warn')]).verdict).toBe('pass');
  });

  it('fails a budget on a stage that never appeared', () => {
    const stages = judgeStages([], ['firmware'], [budget('firmware', 1000, 5)]);
    expect(stages[0]).toMatchObject({ verdict: 'fail', summary: null, budget: { value: null } });
  });
});

describe('terminal report', () => {
  const text = renderScenario(resultFrom([budget('userspace', 500, 20)]), plainStyle);

  it('draws a boot chart with every stage, mean ± σ and share of total', () => {
    for (const stage of ['firmware', 'kernel', 'userspace', 'shutdown', 'total'])
      expect(text).toMatch(new RegExp(`^  ${stage}\\s+▕`, 'm'));
    expect(text).toMatch(/total\s+▕█+\s*▏ [\d.]+ s ± 0\.00 ms\s+100\.0%/);
  });

  it('tables the budget verdict with the offending span', () => {
    expect(text).toMatch(
      /userspace .*median ≤ 500 ms\s+✗ FAIL\s+1\.02 s between "boot-budget:run 1: sleep 1" and "boot-budget:ready"/,
    );
    expect(text).toMatch(/FAIL sleepy: 1 budget exceeded on tcg/);
  });

  it('uses colour only on a terminal without NO_COLOR', () => {
    expect(styleFor({ isTTY: true }, {})).toBe(colorStyle);
    expect(styleFor({ isTTY: true }, { NO_COLOR: '1' })).toBe(plainStyle);
    expect(styleFor({ isTTY: false }, {})).toBe(plainStyle);
    expect(text).not.toMatch(/\u001b\[/);
  });
});

describe('JSON results', () => {
  it('has the documented fields, with the budget line', () => {
    const json = resultsToJson({ version: 1, scenarios: [resultFrom([budget('userspace', 500, 20)])] }) as any;
    const scenario = json.scenarios[0];
    expect(scenario).toMatchObject({
      name: 'sleepy',
      file: 'scenarios/sleepy.yaml',
      accel: 'tcg',
      hypervisor: 'qemu',
      passes: 2,
      verdict: 'fail',
    });
    expect(scenario.stages.userspace).toMatchObject({
      budget: { max: 500, level: 'error', line: 20 },
      verdict: 'fail',
      span: { from: 'boot-budget:run 1: sleep 1', to: 'boot-budget:ready' },
    });
    for (const key of ['samples', 'median', 'mean', 'stddev', 'min', 'max'])
      expect(scenario.stages.kernel).toHaveProperty(key);
    expect(scenario.stages.kernel.budget).toBeNull();
  });
});

describe('CLI arguments', () => {
  it('defaults to running scenarios/', () => {
    expect(parseCliArgs([])).toMatchObject({ command: 'run', paths: ['scenarios/'] });
    expect(parseCliArgs(['run', 'a.yaml', '--passes', '3', '--warmup', '0'])).toMatchObject({
      command: 'run',
      paths: ['a.yaml'],
      passes: 3,
      warmup: 0,
    });
  });
  it('refuses validate without paths and non-numeric counts', () => {
    expect(() => parseCliArgs(['validate'])).toThrow(UsageError);
    expect(() => parseCliArgs(['--warmup=-1'])).toThrow(/--warmup takes a whole number/);
  });
});
