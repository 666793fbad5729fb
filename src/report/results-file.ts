import { neutraliseResult } from './untrusted.js';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { RunResults } from '../judge/types.js';
import { UsageError } from '../errors.js';
import { summarize } from '../judge/statistics.js';
import type { ScenarioResult, StageResult } from '../judge/types.js';
import { scenarioVerdict } from '../judge/budgets.js';
import { regressionFieldsFromJson, regressionFieldsSchema } from './comparison-json.js';
import { timelineSchema } from './timeline-json.js';

/**
 * Reads results written by `--json` back into the types the reports use, for `report`, `compare`, `merge` and the
 * Action's baseline. Statistics are recomputed from the samples, so a file cannot carry figures its samples do not
 * support.
 *
 * Results files are versioned by major version only: fields are added, never renamed, within one. A file written by an
 * older boot-budget of the same major version lacks the fields added since; those read as unknown (null, or left out),
 * and each scenario lists them in `unknown` so that readers say so instead of guessing. A file of a newer major version
 * is refused with an error that says to upgrade.
 */
export const RESULTS_MAJOR_VERSION = 1;

const spanSchema = z.object({
  from: z.string(),
  to: z.string(),
  ms: z.number(),
  fromT: z.number().optional(),
  toT: z.number().optional(),
  kind: z.enum(['gap', 'initcall']).optional(),
});

const stageSchema = z.object({
  samples: z.array(z.number()),
  start: z.number().nullable().optional(),
  budget: z
    .object({
      max: z.number(),
      level: z.enum(['error', 'warn']),
      statistic: z.enum(['median', 'mean', 'p90', 'max']),
      value: z.number().nullable(),
      line: z.number().int(),
      column: z.number().int(),
    })
    .nullable()
    .optional(),
  verdict: z.enum(['pass', 'fail', 'warn', 'none']).optional(),
  span: spanSchema.nullable().optional(),
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

/** Scenario metadata that an older file may lack, with what it reads as then. */
const METADATA_UNKNOWN = {
  accel: null,
  hypervisorVersion: null,
  cmdline: null,
  kernel: null,
  rootfs: null,
} as const;

const unitSchema = z.object({
  name: z.string(),
  activating: z.number().nullable(),
  active: z.number().nullable(),
  ms: z.number(),
  critical: z.boolean(),
});

const systemdSchema = z.object({
  phases: z.partialRecord(z.enum(['firmware', 'loader', 'kernel', 'initrd', 'userspace']), z.number()),
  totalMs: z.number(),
  source: z.enum(['manager', 'startup-finished']).optional(),
  target: z.string().optional(),
  targetMs: z.number().optional(),
  criticalChain: z.array(z.object({ name: z.string(), atMs: z.number(), ms: z.number() })).optional(),
  surgery: z.array(z.object({ name: z.string(), ms: z.number(), share: z.number() })).optional(),
  waiting: z.array(z.string()).optional(),
  problems: z.array(z.string()).optional(),
});

const scenarioSchema = z.object({
  name: z.string(),
  file: z.string().optional(),
  accel: z.enum(['kvm', 'tcg']).nullable().optional(),
  clock: z.enum(['wall', 'virtual']).optional(),
  icount: z.object({ shift: z.number(), sleep: z.boolean(), align: z.boolean(), rtcBase: z.string() }).optional(),
  accelWarning: z.string().optional(),
  accelReason: z.string().optional(),
  consoleTruncatedBytes: z.number().optional(),
  hypervisor: z.enum(['qemu', 'firecracker', 'cloud-hypervisor']),
  hypervisorVersion: z.string().nullable().optional(),
  machine: z.enum(['pc', 'q35', 'microvm']),
  firmware: z.string().optional(),
  cmdline: z.string().nullable().optional(),
  kernel: z.string().nullable().optional(),
  rootfs: z.string().nullable().optional(),
  hostCpus: z.number().int().optional(),
  warmup: z.number().int().optional(),
  passes: z.number().int().optional(),
  stages: z.record(z.string(), stageSchema),
  alignment: z.object({ pairs: z.number(), spreadMs: z.number() }).optional(),
  timeline: timelineSchema.optional(),
  init: z.object({ kind: z.enum(['agent', 'systemd', 'other']), path: z.string(), readiness: z.string() }).optional(),
  systemd: systemdSchema.optional(),
  units: z.array(unitSchema).optional(),
  /** What an older file lacked, carried along when it is written again (by `merge`). */
  unknown: z.array(z.string()).optional(),
  verdict: z.enum(['pass', 'fail', 'error']).optional(),
  error: z.string().optional(),
  ...regressionFieldsSchema,
});

const resultsSchema = z.object({ version: z.number(), scenarios: z.array(scenarioSchema) });

function checkVersion(data: unknown, source: string): void {
  const version = (data as { version?: unknown } | null)?.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new UsageError(
      `${source}: not a boot-budget results file: "version" is ${JSON.stringify(version) ?? 'missing'}, expected ${RESULTS_MAJOR_VERSION}.`,
    );
  if (version > RESULTS_MAJOR_VERSION)
    throw new UsageError(
      `${source}: results version ${version} was written by a newer boot-budget; this one reads version ${RESULTS_MAJOR_VERSION}. Upgrade boot-budget to read it.`,
    );
}

/** The metadata a scenario's raw object lacks, as the names a person would look for. */
function missingMetadata(raw: Record<string, unknown>, stages: Record<string, z.output<typeof stageSchema>>): string[] {
  const keys = ['file', ...Object.keys(METADATA_UNKNOWN), 'hostCpus', 'warmup', 'passes', 'verdict'];
  const missing = keys.filter((key) => !(key in raw));
  if (Object.values(stages).some((stage) => stage.start === undefined)) missing.push('stage start times');
  if (Object.values(stages).some((stage) => stage.span && stage.span.fromT === undefined)) missing.push('span times');
  return missing;
}

/** The per-scenario notes about metadata a file lacked, for readers to print. */
export function unknownMetadataNotes(results: RunResults, source: string): string[] {
  return results.scenarios.flatMap((s) =>
    s.unknown?.length
      ? [`${source}: ${s.name}: written by an older boot-budget; unknown: ${s.unknown.join(', ')}.`]
      : [],
  );
}

export function resultsFromJson(data: unknown, source: string): RunResults {
  checkVersion(data, source);
  const parsed = resultsSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `${source}: not a boot-budget results file (version ${RESULTS_MAJOR_VERSION}): ${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
  }
  const rawScenarios = (data as { scenarios: Record<string, unknown>[] }).scenarios;
  return {
    version: 1,
    // A results file may come from anywhere (an artifact of another job): its guest text is neutralised again.
    scenarios: parsed.data.scenarios.map(({ regression, adaptive, baseline, timeline, ...s }, index) => {
      const unknown = [...new Set([...(s.unknown ?? []), ...missingMetadata(rawScenarios[index]!, s.stages)])];
      const stages = Object.entries(s.stages).map(
        ([name, stage]): StageResult => ({
          name,
          samples: stage.samples,
          summary: summarize(stage.samples),
          meanStartT: stage.start ?? null,
          budget: stage.budget ?? null,
          verdict: stage.verdict ?? 'none',
          span:
            stage.span && stage.span.fromT !== undefined && stage.span.toT !== undefined
              ? { ...stage.span, fromT: stage.span.fromT, toT: stage.span.toT }
              : null,
          hints: (stage.hints ?? []).map((hint) => ({ ...hint, stage: name })),
        }),
      );
      const result: ScenarioResult = {
        ...METADATA_UNKNOWN,
        ...s,
        file: s.file ?? source,
        // 0 is no CPU count a host has: compare treats it as unknown rather than as a different host.
        hostCpus: s.hostCpus ?? 0,
        warmup: s.warmup ?? 0,
        passes: s.passes ?? Math.max(0, ...stages.map((stage) => stage.samples.length)),
        stages,
        verdict: s.verdict ?? (s.error ? 'error' : scenarioVerdict(stages)),
        ...(timeline ? { timeline } : {}),
        ...(unknown.length ? { unknown } : {}),
      };
      return neutraliseResult({ ...result, ...regressionFieldsFromJson({ regression, adaptive, baseline }, result) });
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
