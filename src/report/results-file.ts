import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { RunResults } from '../core/run-scenarios.js';
import { UsageError } from '../errors.js';
import { summarize } from '../judge/statistics.js';
import type { ScenarioResult, StageResult } from '../judge/types.js';
import { regressionFieldsFromJson, regressionFieldsSchema } from './comparison-json.js';

/**
 * Reads results written by `--json` back into the types the reports use, for `merge` and the Action's merge mode.
 * Statistics are recomputed from the samples, so a file cannot carry figures its samples do not support.
 */
const spanSchema = z.object({ from: z.string(), to: z.string(), ms: z.number(), fromT: z.number(), toT: z.number() });

const stageSchema = z.object({
  samples: z.array(z.number()),
  start: z.number().nullable(),
  budget: z
    .object({
      max: z.number(),
      level: z.enum(['error', 'warn']),
      statistic: z.enum(['median', 'mean', 'p90', 'max']),
      value: z.number().nullable(),
      line: z.number().int(),
      column: z.number().int(),
    })
    .nullable(),
  verdict: z.enum(['pass', 'fail', 'warn', 'none']),
  span: spanSchema.nullable(),
  hints: z
    .array(
      z.object({
        id: z.string(),
        ms: z.number(),
        share: z.number(),
        evidence: z.string(),
        advice: z.string(),
        try: z.string(),
      }),
    )
    .optional(),
});

const scenarioSchema = z.object({
  name: z.string(),
  file: z.string(),
  accel: z.enum(['kvm', 'tcg']).nullable(),
  accelWarning: z.string().optional(),
  consoleTruncatedBytes: z.number().optional(),
  hypervisor: z.enum(['qemu', 'firecracker', 'cloud-hypervisor']),
  hypervisorVersion: z.string().nullable(),
  machine: z.enum(['pc', 'q35', 'microvm']),
  firmware: z.string().optional(),
  cmdline: z.string().nullable(),
  kernel: z.string().nullable(),
  rootfs: z.string().nullable(),
  hostCpus: z.number().int(),
  warmup: z.number().int(),
  passes: z.number().int(),
  stages: z.record(z.string(), stageSchema),
  alignment: z.object({ pairs: z.number(), spreadMs: z.number() }).optional(),
  verdict: z.enum(['pass', 'fail', 'error']),
  error: z.string().optional(),
  ...regressionFieldsSchema,
});

const resultsSchema = z.object({ version: z.literal(1), scenarios: z.array(scenarioSchema) });

export function resultsFromJson(data: unknown, source: string): RunResults {
  const parsed = resultsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `${source}: not a boot-budget results file (version 1): ${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
  }
  return {
    version: 1,
    scenarios: parsed.data.scenarios.map(({ regression, adaptive, baseline, ...s }) => {
      const result: ScenarioResult = {
        ...s,
        stages: Object.entries(s.stages).map(
          ([name, stage]): StageResult => ({
            name,
            samples: stage.samples,
            summary: summarize(stage.samples),
            meanStartT: stage.start,
            budget: stage.budget,
            verdict: stage.verdict,
            span: stage.span,
            hints: (stage.hints ?? []).map((hint) => ({ ...hint, stage: name })),
          }),
        ),
      };
      return { ...result, ...regressionFieldsFromJson({ regression, adaptive, baseline }, result) };
    }),
  };
}

export async function readResultsFile(file: string): Promise<RunResults> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${file}: cannot read results: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not JSON: ${(error as Error).message}`);
  }
  return resultsFromJson(data, file);
}
