import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunResults } from '../judge/types.js';
import { regressionFieldsToJson } from './comparison-json.js';
import { timelineToJson } from './timeline-json.js';

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** The documented results format (version 1); extra fields are additions, never renames. */
export function resultsToJson(results: RunResults): object {
  return {
    version: results.version,
    scenarios: results.scenarios.map((s) => ({
      name: s.name,
      file: s.file,
      accel: s.accel,
      clock: s.clock ?? 'wall',
      ...(s.icount ? { icount: s.icount } : {}),
      ...(s.accelWarning ? { accelWarning: s.accelWarning } : {}),
      ...(s.accelReason ? { accelReason: s.accelReason } : {}),
      ...(s.consoleTruncatedBytes ? { consoleTruncatedBytes: s.consoleTruncatedBytes } : {}),
      hypervisor: s.hypervisor,
      hypervisorVersion: s.hypervisorVersion,
      machine: s.machine,
      ...(s.firmware ? { firmware: s.firmware } : {}),
      cmdline: s.cmdline,
      kernel: s.kernel,
      rootfs: s.rootfs,
      hostCpus: s.hostCpus,
      warmup: s.warmup,
      passes: s.passes,
      stages: Object.fromEntries(
        s.stages.map((stage) => [
          stage.name,
          {
            samples: stage.samples.map(round),
            start: stage.meanStartT === null ? null : round(stage.meanStartT),
            median: stage.summary ? round(stage.summary.median) : null,
            mean: stage.summary ? round(stage.summary.mean) : null,
            stddev: stage.summary ? round(stage.summary.stddev) : null,
            min: stage.summary ? round(stage.summary.min) : null,
            max: stage.summary ? round(stage.summary.max) : null,
            p90: stage.summary ? round(stage.summary.p90) : null,
            cov: stage.summary ? Math.round(stage.summary.cov * 10000) / 10000 : null,
            budget: stage.budget
              ? {
                  max: stage.budget.max,
                  level: stage.budget.level,
                  statistic: stage.budget.statistic,
                  value: stage.budget.value === null ? null : round(stage.budget.value),
                  line: stage.budget.line,
                  column: stage.budget.column,
                }
              : null,
            verdict: stage.verdict,
            span: stage.span
              ? {
                  from: stage.span.from,
                  to: stage.span.to,
                  ms: round(stage.span.ms),
                  fromT: round(stage.span.fromT),
                  toT: round(stage.span.toT),
                  // The guest's own text of an edge the report neutralised (src/report/untrusted.ts).
                  ...('raw' in stage.span && stage.span.raw ? { raw: stage.span.raw } : {}),
                  ...(stage.span.kind ? { kind: stage.span.kind } : {}),
                }
              : null,
            hints: (stage.hints ?? []).map((h) => ({
              id: h.id,
              ms: round(h.ms),
              share: Math.round(h.share * 10000) / 10000,
              evidence: h.evidence,
              advice: h.advice,
              try: h.try,
            })),
            ...(stage.initcalls
              ? {
                  initcalls: stage.initcalls.map((c) => ({
                    name: c.name,
                    mean: round(c.summary.mean),
                    stddev: round(c.summary.stddev),
                    share: Math.round(c.share * 10000) / 10000,
                    samples: c.samples.map(round),
                  })),
                }
              : {}),
          },
        ]),
      ),
      ...(s.alignment ? { alignment: { pairs: s.alignment.pairs, spreadMs: round(s.alignment.spreadMs) } } : {}),
      ...(s.init ? { init: s.init } : {}),
      ...(s.systemd ? { systemd: s.systemd } : {}),
      ...(s.units?.length ? { units: s.units } : {}),
      ...(s.timeline ? { timeline: timelineToJson(s.timeline) } : {}),
      ...(s.unknown?.length ? { unknown: s.unknown } : {}),
      verdict: s.verdict,
      ...(s.error ? { error: s.error } : {}),
      ...regressionFieldsToJson(s),
    })),
  };
}

/**
 * The results as JSON text. JSON.stringify escapes C0 controls but writes C1 controls and bidi overrides as they are;
 * those are escaped too, so that the guest's raw text (`raw` of a span) cannot reorder what a viewer of the file sees.
 * The parsed values are unchanged.
 */
export function resultsJsonText(results: RunResults): string {
  return JSON.stringify(resultsToJson(results), null, 2).replace(
    /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Atomic: a run killed while writing leaves the previous file or none, never half a file. */
export async function writeResultsJson(file: string, results: RunResults): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temp, `${resultsJsonText(results)}\n`);
    await rename(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}
