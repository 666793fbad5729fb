/**
 * Base vs head, scenario by scenario and stage by stage: `boot-budget compare`, the Action's base-branch baseline and
 * the same-job A/B all end here. Results from different setups are refused, never compared silently (docs/architecture.md#judging).
 */
import { UsageError } from '../errors.js';
import {
  compareStage,
  regressionSettings,
  overallVerdict,
  type RegressionSettings,
  type RegressionVerdict,
  type StageComparison,
} from './regression.js';
import { DEFAULT_SEED } from './permutation.js';
import { seedFrom } from './random.js';
import type { ScenarioResult, StageResult } from './types.js';

export interface ScenarioComparison {
  name: string;
  file: string;
  /** `ab`: both sides booted in this job, interleaved; `base`: head against results saved earlier. */
  kind: 'ab' | 'base';
  settings: RegressionSettings;
  /** Where a regression is annotated: the scenario's `regression:` key, else its `name:` key. */
  line: number;
  column: number;
  stages: StageComparison[];
  verdict: RegressionVerdict;
  /** Setup differences that `--force` let through; each is shown next to the comparison. */
  forced: string[];
}

export interface Comparison {
  scenarios: ScenarioComparison[];
  onlyInBase: string[];
  onlyInHead: string[];
  /** Scenarios in both files that could not be compared, and why (an errored run, no common stage). */
  skipped: Array<{ name: string; reason: string }>;
}

/** What differs between the setups of two results of one scenario; any of these makes timings incomparable. */
export function setupDifferences(base: ScenarioResult, head: ScenarioResult): string[] {
  const out: string[] = [];
  // Metadata an older results file lacks is unknown, not different: its reader has already said so.
  const known = (key: string) => !base.unknown?.includes(key) && !head.unknown?.includes(key);
  if (known('accel') && base.accel !== head.accel)
    out.push(`accelerator ${base.accel ?? 'none'} vs ${head.accel ?? 'none'}`);
  const baseClock = base.clock ?? 'wall';
  const headClock = head.clock ?? 'wall';
  // Virtual time counts instructions and wall time counts host time: a difference between them says nothing.
  if (baseClock !== headClock) out.push(`clock ${baseClock} vs ${headClock}`);
  else if (baseClock === 'virtual' && JSON.stringify(base.icount) !== JSON.stringify(head.icount))
    out.push(`icount settings ${icountText(base.icount)} vs ${icountText(head.icount)}`);
  if (base.hypervisor !== head.hypervisor) out.push(`hypervisor ${base.hypervisor} vs ${head.hypervisor}`);
  if (known('hostCpus') && base.hostCpus !== head.hostCpus) out.push(`host CPUs ${base.hostCpus} vs ${head.hostCpus}`);
  return out;
}

function icountText(icount: ScenarioResult['icount']): string {
  return icount ? `shift=${icount.shift},sleep=${icount.sleep},align=${icount.align},rtc=${icount.rtcBase}` : 'none';
}

/** The settings a result carries (from its scenario's `regression:` block), with explicit overrides on top. */
export function settingsFor(head: ScenarioResult, overrides: Partial<RegressionSettings> = {}): RegressionSettings {
  return regressionSettings(head.clock, head.regression, overrides);
}

/** Compares every stage seen on both sides, in the head's order. */
export function compareStages(
  name: string,
  base: readonly StageResult[],
  head: readonly StageResult[],
  settings: RegressionSettings,
): StageComparison[] {
  const out: StageComparison[] = [];
  for (const stage of head) {
    const other = base.find((s) => s.name === stage.name);
    if (!other || other.samples.length === 0 || stage.samples.length === 0) continue;
    const comparison = compareStage(
      stage.name,
      other.samples,
      stage.samples,
      settings,
      seedFrom(`${name}/${stage.name}`, DEFAULT_SEED),
    );
    if (comparison) out.push(comparison);
  }
  return out;
}

export function compareScenario(
  base: readonly StageResult[],
  head: ScenarioResult,
  kind: ScenarioComparison['kind'],
  settings: RegressionSettings,
  forced: string[] = [],
): ScenarioComparison {
  const stages = compareStages(head.name, base, head.stages, settings);
  return {
    name: head.name,
    file: head.file,
    kind,
    settings,
    line: head.regression?.line ?? 1,
    column: head.regression?.column ?? 1,
    stages,
    verdict: overallVerdict(stages),
    forced,
  };
}

export interface CompareOptions {
  /** Compare even across accelerators, hypervisors or host CPU counts. */
  force?: boolean;
  overrides?: Partial<RegressionSettings>;
}

/** Throws a UsageError naming every incomparable scenario, unless `force`. */
export function compareRuns(
  base: { scenarios: readonly ScenarioResult[] },
  head: { scenarios: readonly ScenarioResult[] },
  options: CompareOptions = {},
): Comparison {
  const comparison: Comparison = { scenarios: [], onlyInBase: [], onlyInHead: [], skipped: [] };
  const refused: string[] = [];
  for (const h of head.scenarios) {
    const b = base.scenarios.find((s) => s.name === h.name);
    if (!b) {
      comparison.onlyInHead.push(h.name);
      continue;
    }
    if (b.verdict === 'error' || h.verdict === 'error') {
      comparison.skipped.push({
        name: h.name,
        reason: `${b.verdict === 'error' ? 'base' : 'head'} could not be measured`,
      });
      continue;
    }
    const differences = setupDifferences(b, h);
    if (differences.length && !options.force) {
      refused.push(`${h.name}: ${differences.join(', ')}`);
      continue;
    }
    const scenario = compareScenario(b.stages, h, 'base', settingsFor(h, options.overrides), differences);
    if (scenario.stages.length === 0)
      comparison.skipped.push({ name: h.name, reason: 'no stage was measured on both sides' });
    else comparison.scenarios.push(scenario);
  }
  for (const b of base.scenarios)
    if (!head.scenarios.some((s) => s.name === b.name)) comparison.onlyInBase.push(b.name);
  if (refused.length) {
    throw new UsageError(
      `refusing to compare results taken under different setups; timings from different accelerators, clocks, hypervisors or host CPU counts say nothing about a change (use --force to compare anyway):\n  ${refused.join('\n  ')}`,
    );
  }
  return comparison;
}
