import { describe, expect, it } from 'vitest';
import {
  annotationsFor,
  ANNOTATION_LIMIT,
  withinLimits,
  workspacePath,
  type Annotation,
} from '../../src/report/github/annotations.js';
import { summaryMarkdown, SUMMARY_LIMIT_BYTES } from '../../src/report/github/summary.js';
import { judgeRun } from '../../src/judge/verdict.js';
import type { RunResults } from '../../src/judge/types.js';
import { judgeStages } from '../../src/judge/budgets.js';
import type { ScenarioResult } from '../../src/judge/types.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { ALWAYS_LISTED_STAGES } from '../../src/scenario/builtin-stages.js';
import { loadBootFixture, scenarioResult } from '../helpers/fixtures.js';

function result(name: string, userspaceBudgetMs: number): ScenarioResult {
  const pass = measurePass(loadBootFixture('cloud-quiet-sleep1').trace, []);
  const stages = judgeStages([pass], ALWAYS_LISTED_STAGES, [
    {
      stage: 'userspace',
      maxMs: userspaceBudgetMs,
      level: 'error',
      statistic: 'median',
      pos: { line: 12, column: 3 },
    },
    { stage: 'kernel', maxMs: 1, level: 'warn', statistic: 'median', pos: { line: 13, column: 3 } },
  ]);
  return scenarioResult(name, stages, { accel: 'kvm', cmdline: 'console=ttyS0 quiet', kernel: 'k', rootfs: 'r' });
}

const paths = { cwd: '/ws', workspace: '/ws' };

describe('annotations', () => {
  it('makes one per budget that is not met, at the budget line, with measurement, budget and span', () => {
    const annotations = annotationsFor({ version: 1, scenarios: [result('one', 500)] }, paths);
    expect(annotations.map((a) => [a.level, a.line, a.title])).toEqual([
      ['warning', 13, 'boot-budget: one › kernel'],
      ['error', 12, 'boot-budget: one › userspace'],
    ]);
    expect(annotations[1]!.message).toMatch(
      // cloud-quiet-sleep1: userspace from "Run /init" to ready, 1.18 s; the run line's own 1.02 s is the span.
      /^median 1\.18 s \(1 pass, kvm\) > budget 500 ms\. Offending span: 1\.02 s between "boot-budget:run 1: sleep 1" and "boot-budget:ready"\.$/,
    );
    expect(annotations.every((a) => a.file === 'scenarios/one.yaml')).toBe(true);
  });

  it('stays silent when every budget is met', () => {
    const met = result('fine', 60_000);
    met.stages = met.stages.filter((s) => s.name !== 'kernel');
    expect(annotationsFor({ version: 1, scenarios: [met] }, paths)).toEqual([]);
  });

  it('keeps to the runner limit per level and hands the rest to the summary', () => {
    const make = (level: Annotation['level'], i: number): Annotation => ({
      level,
      file: 'f.yaml',
      line: i,
      title: `t${i}`,
      message: `m${i}`,
    });
    const all = [
      ...Array.from({ length: 13 }, (_, i) => make('error', i)),
      ...Array.from({ length: 4 }, (_, i) => make('warning', i)),
    ];
    const { shown, overflow } = withinLimits(all);
    expect(shown.filter((a) => a.level === 'error')).toHaveLength(ANNOTATION_LIMIT);
    expect(shown.filter((a) => a.level === 'warning')).toHaveLength(4);
    expect(overflow.map((a) => a.line)).toEqual([10, 11, 12]);
    const summary = summaryMarkdown({ version: 1, scenarios: [] }, overflow);
    expect(summary).toMatch(/### 3 more findings than GitHub shows as annotations/);
    expect(summary).toMatch(/- error `f\.yaml:12` t12: m12/);
  });

  it('places files relative to the workspace, and leaves outside ones absolute', () => {
    expect(workspacePath('scenarios/a.yaml', '/ws', '/ws')).toBe('scenarios/a.yaml');
    expect(workspacePath('a.yaml', '/ws/sub', '/ws')).toBe('sub/a.yaml');
    expect(workspacePath('/elsewhere/a.yaml', '/ws', '/ws')).toBe('/elsewhere/a.yaml');
  });
});

describe('job summary', () => {
  it('has a table, a gantt and the spans per scenario', () => {
    const text = summaryMarkdown({ version: 1, scenarios: [result('one', 500)] });
    expect(text).toMatch(/^## boot-budget: ❌ 1 budget exceeded/);
    expect(text).toMatch(/\| stage \| median \| ± σ \| budget \| verdict \| accel \|/);
    expect(text).toMatch(/\| userspace \| 1\.\d\d s \| {2}\| median ≤ 500 ms \| ❌ fail \| kvm \|/);
    expect(text).toMatch(/```mermaid\ngantt\n/);
    expect(text).not.toMatch(/> \[!WARNING\]/);
  });

  it("heads with the run's own verdict, so fail-on: warn shows a warn-level budget as the failure it is", () => {
    // userspace meets its 60 s error-level budget; kernel is over its 1 ms warn-level one.
    const results: RunResults = { version: 1, scenarios: [result('one', 60_000)] };
    expect(summaryMarkdown(results)).toMatch(/^## boot-budget: ✅ every budget met/);
    const strict = judgeRun(results, { failOn: 'warn' });
    expect(strict.verdict).toBe('fail');
    expect(summaryMarkdown(results, [], undefined, strict)).toMatch(
      /^## boot-budget: ❌ 1 warn-level budget exceeded \(fail-on: warn\)/,
    );
  });

  it("stays under GitHub's 1 MiB limit however many scenarios there are", () => {
    const many: RunResults = { version: 1, scenarios: Array.from({ length: 2000 }, (_, i) => result(`s${i}`, 500)) };
    const text = summaryMarkdown(many);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
    expect(text).toMatch(/cut here: the rest would exceed GitHub's 1 MiB summary limit/);
    expect(text.match(/```/g)!.length % 2).toBe(0);
  });
});
