/**
 * The results-file fields for regressions: regression settings, the A/B's baseline side, its comparison and the adaptive
 * pass record. Kept apart from json.ts and results-file.ts, which only splice them in. On reading, the comparison is
 * recomputed from the samples, like every other statistic, so a file cannot carry a verdict its samples do not support.
 */
import { z } from 'zod';
import { compareScenario, type Comparison, type ScenarioComparison } from '../judge/compare.js';
import { summarize } from '../judge/statistics.js';
import type { ScenarioResult, StageResult } from '../judge/types.js';
import { timelineSchema, timelineToJson } from './timeline-json.js';

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function comparisonToJson(c: ScenarioComparison): object {
  return {
    kind: c.kind,
    verdict: c.verdict,
    settings: c.settings,
    line: c.line,
    column: c.column,
    ...(c.forced.length ? { forced: c.forced } : {}),
    stages: Object.fromEntries(
      c.stages.map((s) => [
        s.stage,
        {
          baseMedian: round(s.base.median),
          headMedian: round(s.head.median),
          deltaMs: round(s.deltaMs),
          deltaPct: Number.isFinite(s.deltaPct) ? Math.round(s.deltaPct * 10000) / 10000 : null,
          pValue: Math.round(s.pValue * 1e6) / 1e6,
          verdict: s.verdict,
          withinNoise: s.withinNoise,
        },
      ]),
    ),
  };
}

/** The fields to spread into one scenario's JSON object. */
export function regressionFieldsToJson(s: ScenarioResult): object {
  return {
    ...(s.regression ? { regression: s.regression } : {}),
    ...(s.adaptive ? { adaptive: s.adaptive } : {}),
    ...(s.baseline
      ? {
          baseline: {
            kernel: s.baseline.kernel,
            rootfs: s.baseline.rootfs,
            cmdline: s.baseline.cmdline,
            stages: Object.fromEntries(
              s.baseline.stages.map((stage) => [
                stage.name,
                {
                  samples: stage.samples.map(round),
                  median: stage.summary ? round(stage.summary.median) : null,
                  mean: stage.summary ? round(stage.summary.mean) : null,
                  stddev: stage.summary ? round(stage.summary.stddev) : null,
                },
              ]),
            ),
            ...(s.baseline.timeline ? { timeline: timelineToJson(s.baseline.timeline) } : {}),
          },
        }
      : {}),
    ...(s.comparison ? { comparison: comparisonToJson(s.comparison) } : {}),
  };
}

export const regressionFieldsSchema = {
  regression: z
    .object({
      maxIncrease: z.number(),
      pValue: z.number(),
      minMs: z.number(),
      line: z.number().int(),
      column: z.number().int(),
    })
    .optional(),
  adaptive: z
    .object({
      planned: z.number().int(),
      passes: z.number().int(),
      maxPasses: z.number().int(),
      reasons: z.array(z.string()),
      settled: z.boolean(),
    })
    .optional(),
  baseline: z
    .object({
      kernel: z.string().nullable(),
      rootfs: z.string().nullable(),
      cmdline: z.string().nullable(),
      stages: z.record(z.string(), z.object({ samples: z.array(z.number()) })),
      timeline: timelineSchema.optional(),
    })
    .optional(),
};

type ParsedFields = {
  regression?: z.output<NonNullable<typeof regressionFieldsSchema.regression>>;
  adaptive?: z.output<NonNullable<typeof regressionFieldsSchema.adaptive>>;
  baseline?: z.output<NonNullable<typeof regressionFieldsSchema.baseline>>;
};

function baselineStage(name: string, samples: number[]): StageResult {
  return { name, samples, summary: summarize(samples), meanStartT: null, budget: null, verdict: 'none', span: null };
}

/** Rebuilds the typed fields, recomputing the A/B comparison from both sides' samples. */
export function regressionFieldsFromJson(parsed: ParsedFields, result: ScenarioResult): Partial<ScenarioResult> {
  const out: Partial<ScenarioResult> = {};
  if (parsed.regression) out.regression = parsed.regression;
  if (parsed.adaptive) out.adaptive = parsed.adaptive;
  if (parsed.baseline) {
    const stages = Object.entries(parsed.baseline.stages).map(([name, stage]) => baselineStage(name, stage.samples));
    out.baseline = {
      kernel: parsed.baseline.kernel,
      rootfs: parsed.baseline.rootfs,
      cmdline: parsed.baseline.cmdline,
      stages,
      ...(parsed.baseline.timeline ? { timeline: parsed.baseline.timeline } : {}),
    };
    const settings = parsed.regression
      ? { maxIncrease: parsed.regression.maxIncrease, pValue: parsed.regression.pValue, minMs: parsed.regression.minMs }
      : undefined;
    if (settings && result.verdict !== 'error')
      out.comparison = compareScenario(stages, { ...result, ...out }, 'ab', settings);
  }
  return out;
}

/** `compare --json`: the comparison of two results files. */
export function compareReportToJson(comparison: Comparison, files: { base: string; head: string }): object {
  return {
    version: 1,
    base: files.base,
    head: files.head,
    scenarios: comparison.scenarios.map((c) => ({ name: c.name, file: c.file, ...comparisonToJson(c) })),
    onlyInBase: comparison.onlyInBase,
    onlyInHead: comparison.onlyInHead,
    skipped: comparison.skipped,
  };
}
