/**
 * Results with a timeline per pass, measured from captured boots (test/fixtures/boots, each file says how it was
 * captured), for the tests of the timeline reports: the HTML report, the Perfetto trace and the pull-request comment.
 */
import { judgeStages, scenarioVerdict } from '../../src/judge/budgets.js';
import { compareScenario } from '../../src/judge/compare.js';
import { DEFAULT_REGRESSION } from '../../src/judge/regression.js';
import type { ScenarioResult } from '../../src/judge/types.js';
import { passTimeline } from '../../src/measure/pass-timeline.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { ALWAYS_LISTED_STAGES } from '../../src/scenario/builtin-stages.js';
import type { PassMeasurement } from '../../src/measure/types.js';
import type { RunResults } from '../../src/judge/types.js';
import { loadBootFixture, scenarioResult } from './fixtures.js';

/** A console line that would run script if a report pasted guest text into HTML or Markdown unescaped. */
export const INJECTION = '<script>alert(1)</script><img src=x onerror=alert(2)>';

const ORDER = ALWAYS_LISTED_STAGES;

/** One pass per fixture, with the injection line added to its console as the guest would print it. */
export function measuredPasses(fixtures: readonly string[]): PassMeasurement[] {
  return fixtures.map((name) => {
    const pass = measurePass(loadBootFixture(name).trace, []);
    const at = pass.stages.find((s) => s.name === 'userspace')?.startT ?? 0;
    pass.events.push({ t: at + 1, text: INJECTION, source: 'console', origin: 'user' });
    pass.events.sort((a, b) => a.t - b.t);
    return pass;
  });
}

/** A scenario of three real passes with a failing kernel budget and a passing total. */
export function fixtureScenario(name = 'debian-cloud-busybox'): ScenarioResult {
  const passes = measuredPasses(['cloud-quiet-sleep1', 'cloud-initcalls-pc', 'cloud-hwclock']);
  const stages = judgeStages(passes, ORDER, [
    { stage: 'kernel', maxMs: 1000, level: 'error', statistic: 'median', pos: { line: 20, column: 3 } },
    { stage: 'total', maxMs: 60_000, level: 'error', statistic: 'median', pos: { line: 21, column: 3 } },
  ]);
  return scenarioResult(name, stages, { passes: passes.length, timeline: passes.map(passTimeline) });
}

/** An A/B: the tuned kernel command line (A) against the untuned one (B), both measured from captured boots. */
export function fixtureAbScenario(): ScenarioResult {
  const a = measuredPasses(['cloud-initcalls-pc-tuned', 'cloud-initcalls-pc-tuned']);
  const b = measuredPasses(['cloud-initcalls-pc', 'cloud-initcalls-pc']);
  const stages = judgeStages(b, ORDER, []);
  const result = scenarioResult('ab-tuned', stages, {
    passes: b.length,
    timeline: b.map(passTimeline),
    baseline: {
      kernel: 'kA',
      rootfs: 'rA',
      cmdline: 'tuned',
      stages: judgeStages(a, ORDER, []),
      timeline: a.map(passTimeline),
    },
    regression: { ...DEFAULT_REGRESSION, line: 1, column: 1 },
  });
  result.comparison = compareScenario(result.baseline!.stages, result, 'ab', DEFAULT_REGRESSION);
  result.verdict = scenarioVerdict(result.stages);
  return result;
}

export function fixtureResults(...scenarios: ScenarioResult[]): RunResults {
  return { version: 1, scenarios: scenarios.length ? scenarios : [fixtureScenario()] };
}
