import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  planBaseline,
  restoreBaseline,
  saveBaseline,
  type BaselineCacheApi,
  type RunContext,
} from '../../src/action/baseline.js';
import type { RunResults } from '../../src/judge/types.js';
import { UsageError } from '../../src/errors.js';
import { budgetNoiseReasons, regressionNoiseReasons } from '../../src/judge/adaptive.js';
import { judgeStages } from '../../src/judge/budgets.js';
import { compareRuns, compareScenario } from '../../src/judge/compare.js';
import { compareStage, DEFAULT_REGRESSION, DEFAULT_VIRTUAL_REGRESSION } from '../../src/judge/regression.js';
import type { ScenarioResult } from '../../src/judge/types.js';
import type { PassMeasurement } from '../../src/measure/types.js';
import { renderCompareReport } from '../../src/report/compare.js';
import { regressionAnnotations } from '../../src/report/github/regression.js';
import { summaryMarkdown } from '../../src/report/github/summary.js';
import { resultsToJson } from '../../src/report/json.js';
import { resultsFromJson } from '../../src/report/results-file.js';
import { plainStyle } from '../../src/report/style.js';
import { scenarioResult } from '../helpers/fixtures.js';
import { testDir } from '../helpers/vitest-dirs.js';

// Userspace samples as TCG gives them here (~100 ms, CoV ~20%), and the same with a 300 ms `sleep` added.
const FAST = [98, 80, 124, 101, 91, 104];
const SLOW = [402, 388, 421, 399, 395, 410];

function passes(userspace: number[], kernel: number[] = userspace.map(() => 1400)): PassMeasurement[] {
  return userspace.map((u, i) => ({
    stages: [
      { name: 'kernel', ms: kernel[i]!, startT: 300, endT: 300 + kernel[i]!, span: null },
      { name: 'userspace', ms: u, startT: 300 + kernel[i]!, endT: 300 + kernel[i]! + u, span: null },
    ],
    alignment: null,
    events: [],
    initcalls: [],
    systemd: null,
    units: [],
    console: {},
    hints: [],
  }));
}

function result(name: string, userspace: number[], extra: Partial<ScenarioResult> = {}): ScenarioResult {
  return scenarioResult(name, judgeStages(passes(userspace), ['kernel', 'userspace'], []), {
    kernel: 'k',
    rootfs: 'r',
    passes: userspace.length,
    verdict: 'pass',
    regression: { ...DEFAULT_REGRESSION, line: 12, column: 1 },
    ...extra,
  });
}

const run = (...scenarios: ScenarioResult[]): RunResults => ({ version: 1, scenarios });

describe('compareRuns', () => {
  it('flags a 300 ms userspace regression and leaves the unchanged kernel alone', () => {
    const comparison = compareRuns(run(result('a', FAST)), run(result('a', SLOW)));
    const [scenario] = comparison.scenarios;
    expect(scenario!.verdict).toBe('regression');
    const userspace = scenario!.stages.find((s) => s.stage === 'userspace')!;
    expect(userspace.verdict).toBe('regression');
    expect(userspace.deltaMs).toBeCloseTo(400.5 - 99.5, 9);
    expect(userspace.pValue).toBeLessThanOrEqual(0.01);
    expect(scenario!.stages.find((s) => s.stage === 'kernel')!.verdict).toBe('no change');
  });

  it('reports the reverse as an improvement, not a regression', () => {
    const comparison = compareRuns(run(result('a', SLOW)), run(result('a', FAST)));
    expect(comparison.scenarios[0]!.verdict).toBe('improvement');
  });

  it('needs the effect to exceed max-increase and min-ms, not only a small p-value', () => {
    const base = [100, 101, 100, 102, 101, 100];
    const head = base.map((x) => x + 3); // +3%: significant, but under 5%
    const small = compareRuns(run(result('a', base)), run(result('a', head)));
    expect(small.scenarios[0]!.stages.find((s) => s.stage === 'userspace')!.pValue).toBeLessThanOrEqual(0.01);
    expect(small.scenarios[0]!.verdict).toBe('no change');
    // Beyond 2%, but 3 ms is under the wall clock's 10 ms floor; without the floor it is a regression.
    expect(
      compareRuns(run(result('a', base)), run(result('a', head)), { overrides: { maxIncrease: 0.02 } }).scenarios[0]!
        .verdict,
    ).toBe('no change');
    expect(
      compareRuns(run(result('a', base)), run(result('a', head)), { overrides: { maxIncrease: 0.02, minMs: 0 } })
        .scenarios[0]!.verdict,
    ).toBe('regression');
    expect(
      compareRuns(run(result('a', FAST)), run(result('a', SLOW)), { overrides: { minMs: 500 } }).scenarios[0]!.verdict,
    ).toBe('no change');
  });

  it('refuses results from different accelerators, hypervisors or CPU counts, naming each, unless forced', () => {
    const kvm = result('a', FAST, { accel: 'kvm', hostCpus: 4 });
    expect(() => compareRuns(run(kvm), run(result('a', SLOW)))).toThrow(UsageError);
    expect(() => compareRuns(run(kvm), run(result('a', SLOW)))).toThrow(/a: accelerator kvm vs tcg, host CPUs 4 vs 2/);
    expect(() => compareRuns(run(kvm), run(result('a', SLOW)))).toThrow(/--force/);
    const forced = compareRuns(run(kvm), run(result('a', SLOW)), { force: true });
    expect(forced.scenarios[0]!.forced).toEqual(['accelerator kvm vs tcg', 'host CPUs 4 vs 2']);
    expect(renderCompareReport(forced, plainStyle, { base: 'b.json', head: 'h.json' })).toMatch(
      /compared despite different setups \(--force\): accelerator kvm vs tcg/,
    );
  });

  it('refuses to compare virtual time with wall time, or virtual time under other icount settings', () => {
    const icount = { shift: 0, sleep: false, align: false, rtcBase: '2020-01-01T00:00:00' };
    const virtual = result('a', FAST, { clock: 'virtual', icount });
    // A result from before the virtual clock has no `clock`: it is wall time.
    expect(() => compareRuns(run(virtual), run(result('a', SLOW)))).toThrow(/a: clock virtual vs wall/);
    expect(() => compareRuns(run(result('a', SLOW)), run(virtual))).toThrow(/a: clock wall vs virtual/);
    const other = result('a', SLOW, { clock: 'virtual', icount: { ...icount, shift: 2 } });
    expect(() => compareRuns(run(virtual), run(other))).toThrow(/a: icount settings shift=0,.* vs shift=2,/);
    expect(compareRuns(run(virtual), run(result('a', SLOW, { clock: 'virtual', icount }))).scenarios).toHaveLength(1);
    // Read back from JSON, the clock survives, so a saved base-branch baseline refuses the same way.
    const back = resultsFromJson(resultsToJson(run(virtual)), 'base.json');
    expect(back.scenarios[0]).toMatchObject({ clock: 'virtual', icount });
    expect(() => compareRuns(back, run(result('a', SLOW)))).toThrow(/clock virtual vs wall/);
  });

  it('judges virtual-time results by Welch’s test and the virtual noise floor', () => {
    const icount = { shift: 0, sleep: false, align: false, rtcBase: '2020-01-01T00:00:00' };
    const regression = { ...DEFAULT_VIRTUAL_REGRESSION, line: 12, column: 1 };
    const base = result('a', [1750.0, 1750.2, 1749.9], { clock: 'virtual', icount, regression });
    const head = result('a', [1767.6, 1767.5, 1767.8], { clock: 'virtual', icount, regression });
    const comparison = compareRuns(run(base), run(head)).scenarios[0]!;
    expect(comparison.settings).toMatchObject({ test: 'welch', maxIncrease: 0.005 });
    expect(comparison.verdict).toBe('regression');
    // The report names the test that gave the p-value, and each clock's floor.
    const names = { base: 'b.json', head: 'h.json' };
    expect(renderCompareReport(compareRuns(run(base), run(head)), plainStyle, names)).toContain(
      "a change counts when p ≤ 0.01 (two-sided Welch's t-test on means) and the median moves by more than 0.5% and ≥ 0.10 ms",
    );
    expect(
      renderCompareReport(compareRuns(run(result('a', FAST)), run(result('a', SLOW))), plainStyle, names),
    ).toContain(
      'a change counts when p ≤ 0.01 (two-sided permutation test on means, 10,000 seeded resamples) and the median moves by more than 5% and ≥ 10 ms',
    );
  });

  it('lists scenarios on one side only and skips errored ones', () => {
    const comparison = compareRuns(
      run(result('a', FAST), result('old', FAST)),
      run(result('a', FAST), result('new', FAST)),
    );
    expect(comparison.onlyInBase).toEqual(['old']);
    expect(comparison.onlyInHead).toEqual(['new']);
    const skipped = compareRuns(run(result('b', FAST)), run(result('b', SLOW, { verdict: 'error' })));
    expect(skipped.skipped).toEqual([{ name: 'b', reason: 'head could not be measured' }]);
  });
});

describe('results JSON with an A/B', () => {
  it('round-trips the baseline, settings and pass record, and recomputes the comparison from the samples', () => {
    const head = result('ab', SLOW);
    head.baseline = {
      kernel: 'kA',
      rootfs: 'rA',
      cmdline: 'c',
      stages: judgeStages(passes(FAST), ['kernel', 'userspace'], []),
    };
    head.comparison = compareScenario(head.baseline.stages, head, 'ab', DEFAULT_REGRESSION);
    head.adaptive = { planned: 5, passes: 6, maxPasses: 15, reasons: ['userspace: p = 0.02'], settled: true };
    const json = JSON.parse(JSON.stringify(resultsToJson(run(head))));
    expect(json.scenarios[0].comparison.stages.userspace.verdict).toBe('regression');
    expect(json.scenarios[0].baseline.stages.userspace.samples).toEqual(FAST);
    // A file that claims "no change" cannot hide the regression its samples show.
    json.scenarios[0].comparison.verdict = 'no change';
    const back = resultsFromJson(json, 'test').scenarios[0]!;
    expect(back.comparison!.verdict).toBe('regression');
    expect(back.adaptive).toEqual(head.adaptive);
    expect(back.regression).toEqual(head.regression);
  });
});

describe('adaptive passes: within noise', () => {
  it('asks for more passes when the budget lies inside the 95% bootstrap interval, not when it is far away', () => {
    const stages = judgeStages(
      passes(FAST),
      ['kernel', 'userspace'],
      [
        { stage: 'userspace', maxMs: 100, level: 'error', statistic: 'median', pos: { line: 1, column: 1 } },
        { stage: 'kernel', maxMs: 3000, level: 'error', statistic: 'median', pos: { line: 2, column: 1 } },
      ],
    );
    const reasons = budgetNoiseReasons(stages);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^userspace: median 95% interval \d+ ms–\d+ ms contains the 100 ms budget$/);
  });

  it('asks for more passes when p lies between the threshold and 10× it and the effect is large enough', () => {
    const base = [100, 120, 90, 110, 105];
    const head = [118, 125, 108, 131, 112];
    const c = compareStage('userspace', base, head, DEFAULT_REGRESSION)!;
    expect(c.pValue).toBeGreaterThan(0.01);
    expect(c.pValue).toBeLessThanOrEqual(0.1);
    expect(c.withinNoise).toBe(true);
    expect(regressionNoiseReasons([c], 0.01)[0]).toMatch(
      /^userspace: Δ \+\d+ ms with p = 0\.0\d+, between 0\.01 and 0\.1$/,
    );
    expect(compareStage('userspace', FAST, FAST, DEFAULT_REGRESSION)!.withinNoise).toBe(false);
  });
});

describe('GitHub: base-branch baseline', () => {
  const ctx = (over: Partial<RunContext>): RunContext => ({
    event: 'push',
    branch: 'main',
    sha: 'abc123',
    defaultBranch: 'main',
    os: 'Linux',
    ...over,
  });

  it('saves on pushes to the default branch under a key with the SHA, restores by prefix on pull requests', () => {
    expect(planBaseline(ctx({}))).toEqual({ kind: 'save', key: 'boot-budget-results-Linux-main-abc123' });
    expect(planBaseline(ctx({}), '2of3')).toEqual({
      kind: 'save',
      key: 'boot-budget-results-Linux-main-shard2of3-abc123',
    });
    expect(planBaseline(ctx({ event: 'pull_request', branch: 'main', sha: 'def456' }))).toEqual({
      kind: 'restore',
      prefix: 'boot-budget-results-Linux-main-',
      primaryKey: 'boot-budget-results-Linux-main-def456',
      branch: 'main',
    });
    expect(planBaseline(ctx({ branch: 'feature' })).kind).toBe('none');
    expect(planBaseline(ctx({ event: 'workflow_dispatch' })).kind).toBe('none');
  });

  /** A cache in memory, as @actions/cache behaves: a restore writes the newest prefix match to the given path. */
  function fakeCache(): BaselineCacheApi & { entries: Map<string, string>; calls: string[] } {
    const entries = new Map<string, string>();
    const calls: string[] = [];
    return {
      entries,
      calls,
      isFeatureAvailable: () => true,
      async restoreCache(paths, primaryKey, restoreKeys = []) {
        calls.push(`restore ${primaryKey} ${restoreKeys.join(',')}`);
        const key = entries.has(primaryKey)
          ? primaryKey
          : [...entries.keys()].reverse().find((k) => restoreKeys.some((p) => k.startsWith(p)));
        if (!key) return undefined;
        writeFileSync(paths[0]!, entries.get(key)!);
        return key;
      },
      async saveCache(paths, key) {
        calls.push(`save ${key}`);
        entries.set(key, readFileSync(paths[0]!, 'utf8'));
        return 1;
      },
    };
  }

  it('a push saves the results; a later pull request restores them and finds the regression', async () => {
    const dir = testDir();
    const cache = fakeCache();
    const transfer = join(dir, 'transfer', 'results.json');
    const baseFile = join(dir, 'base.json');
    writeFileSync(baseFile, JSON.stringify(resultsToJson(run(result('a', FAST)))));
    const plan = planBaseline(ctx({}));
    if (plan.kind !== 'save') throw new Error('expected a save plan');
    expect(await saveBaseline(plan, baseFile, transfer, cache)).toBe(
      'baseline saved as boot-budget-results-Linux-main-abc123',
    );

    const pull = planBaseline(ctx({ event: 'pull_request', sha: 'def456' }));
    if (pull.kind !== 'restore') throw new Error('expected a restore plan');
    const head = run(result('a', SLOW));
    const outcome = await restoreBaseline(pull, head, transfer, {}, cache);
    expect(cache.calls).toEqual([
      'save boot-budget-results-Linux-main-abc123',
      'restore boot-budget-results-Linux-main-def456 boot-budget-results-Linux-main-',
    ]);
    if (!outcome.comparison) throw new Error(`expected a comparison: ${outcome.note}`);
    expect(outcome.comparison.scenarios[0]!.verdict).toBe('regression');
    expect(outcome.source).toBe('main @ abc123');

    const annotations = regressionAnnotations(head, outcome, { cwd: '/w', workspace: '/w' });
    expect(annotations).toHaveLength(1);
    expect(annotations[0]).toMatchObject({
      level: 'error',
      file: 'scenarios/a.yaml',
      line: 12,
      title: 'boot-budget: a › userspace regressed',
    });
    expect(annotations[0]!.message).toMatch(
      /userspace median 100 ms → 401 ms \(\+301 ms, \+302\.5%\) against the base branch \(main @ abc123\); p = 0\.00\d+ ≤ 0\.01/,
    );

    const summary = summaryMarkdown(head, [], outcome);
    expect(summary).toMatch(/\| stage \| median \| ± σ \| budget \| verdict \| accel \| Δ vs baseline \|/);
    expect(summary).toMatch(/\| userspace \| 401 ms \|.*\| \+301 ms \(\+302\.5%, p 0\.00\d+\) ❌ \|/);
    expect(summary).toMatch(/Δ is against the base branch \(main @ abc123\)/);
  });

  it('without a saved baseline, the summary says so and nothing fails', async () => {
    const dir = testDir();
    const pull = planBaseline(ctx({ event: 'pull_request' }));
    if (pull.kind !== 'restore') throw new Error('expected a restore plan');
    const head = run(result('a', SLOW));
    const outcome = await restoreBaseline(pull, head, join(dir, 't.json'), {}, fakeCache());
    expect(outcome.comparison).toBeUndefined();
    const summary = summaryMarkdown(head, [], outcome);
    expect(summary).toMatch(/no baseline: no results of `main` in the Actions cache yet/);
    expect(summary).not.toMatch(/Δ vs baseline/);
    expect(regressionAnnotations(head, outcome, { cwd: '/w', workspace: '/w' })).toEqual([]);
  });

  it('an unavailable cache or an incomparable baseline is a note, never an exception', async () => {
    const dir = testDir();
    const pull = planBaseline(ctx({ event: 'pull_request' }));
    if (pull.kind !== 'restore') throw new Error('expected a restore plan');
    const off = await restoreBaseline(
      pull,
      run(),
      join(dir, 't.json'),
      {},
      { ...fakeCache(), isFeatureAvailable: () => false },
    );
    expect(off).toEqual({ note: 'no baseline: the Actions cache is not available to this run' });
    const cache = fakeCache();
    cache.entries.set(
      'boot-budget-results-Linux-main-abc',
      JSON.stringify(resultsToJson(run(result('a', FAST, { accel: 'kvm' })))),
    );
    const mismatch = await restoreBaseline(pull, run(result('a', SLOW)), join(dir, 't.json'), {}, cache);
    expect(mismatch.comparison).toBeUndefined();
    expect('note' in mismatch && mismatch.note).toMatch(
      /^baseline not compared: refusing to compare .*accelerator kvm vs tcg/s,
    );
  });
});
