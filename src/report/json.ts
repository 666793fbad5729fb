import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunResults } from '../core/run-scenarios.js';

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** The documented results format (version 1); extra fields are additions, never renames. */
export function resultsToJson(results: RunResults): object {
  return {
    version: results.version,
    scenarios: results.scenarios.map((s) => ({
      name: s.name,
      file: s.file,
      accel: s.accel,
      ...(s.accelWarning ? { accelWarning: s.accelWarning } : {}),
      hypervisor: s.hypervisor,
      hypervisorVersion: s.hypervisorVersion,
      machine: s.machine,
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
            span: stage.span ? { from: stage.span.from, to: stage.span.to, ms: round(stage.span.ms) } : null,
          },
        ]),
      ),
      verdict: s.verdict,
      ...(s.error ? { error: s.error } : {}),
    })),
  };
}

export async function writeResultsJson(file: string, results: RunResults): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(resultsToJson(results), null, 2)}\n`);
}
