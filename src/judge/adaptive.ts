/**
 * When to run more passes (docs/architecture.md#judging): only while a verdict is within noise, i.e. more passes could flip it.
 * A budget is within noise when its statistic's 95% bootstrap interval contains the budget; a regression verdict when
 * the effect is large enough but the p-value lies between the threshold and 10 × the threshold.
 */
import { formatMs } from '../scenario/duration.js';
import { budgetNoise, NOISE_FACTOR, type StageComparison } from './regression.js';
import type { StageResult } from './types.js';

export const DEFAULT_MAX_PASSES = 15;

/** What the report says about the number of passes. */
export interface AdaptiveRecord {
  /** Passes the scenario asked for. */
  planned: number;
  /** Passes actually measured (per side for an A/B). */
  passes: number;
  maxPasses: number;
  /** Why passes were added: the verdicts within noise when the first extra pass was started. Empty when none was. */
  reasons: string[];
  /** False when max-passes was reached with a verdict still within noise. */
  settled: boolean;
}

/**
 * Virtual time: passes that agree this closely (every stage's CoV at most a fifth of the virtual clock's 0.5% effect
 * floor, or its σ under 50 µs: the agent's few-ms stages vary by ~20 µs) say all that more passes would, so a
 * virtual-clock scenario stops after its first 3 passes when they do and no verdict is within noise. Wall time never
 * stops early.
 */
export const VIRTUAL_EARLY_STOP = { afterPasses: 3, maxCov: 0.001, maxStddevMs: 0.05 };

/** Every measured stage of every side varies by at most `maxCov`, or by at most `maxStddevMs`. */
export function variesLittle(
  sides: ReadonlyArray<readonly StageResult[]>,
  limits: { maxCov: number; maxStddevMs: number },
): boolean {
  return sides.every((stages) =>
    stages.every(
      (stage) => !stage.summary || stage.summary.cov <= limits.maxCov || stage.summary.stddev <= limits.maxStddevMs,
    ),
  );
}

export function budgetNoiseReasons(stages: readonly StageResult[]): string[] {
  const out: string[] = [];
  for (const stage of stages) {
    if (!stage.budget) continue;
    const noise = budgetNoise(stage.name, stage.samples, stage.budget.statistic, stage.budget.max);
    if (noise?.withinNoise) {
      out.push(
        `${stage.name}: ${stage.budget.statistic} 95% interval ${formatMs(noise.interval.low)}–${formatMs(noise.interval.high)} contains the ${formatMs(stage.budget.max)} budget`,
      );
    }
  }
  return out;
}

export function regressionNoiseReasons(stages: readonly StageComparison[], pThreshold: number): string[] {
  return stages
    .filter((s) => s.withinNoise)
    .map(
      (s) =>
        `${s.stage}: Δ ${s.deltaMs >= 0 ? '+' : ''}${formatMs(s.deltaMs)} with p = ${s.pValue.toFixed(4)}, between ${pThreshold} and ${pThreshold * NOISE_FACTOR}`,
    );
}
