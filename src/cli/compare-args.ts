/** Spelling of the regression flags, used by args.ts so that it stays the one place that parses argv. */
import { UsageError } from '../errors.js';
import { parsePercent, type RegressionSettings } from '../judge/regression.js';
import type { KernelSpec } from '../scenario/types.js';
import { resolve } from 'node:path';

export const COMPARE_USAGE = `  boot-budget compare BASE.json HEAD.json   per scenario and stage: medians, Δ, p-value and a verdict; exit 1 on a regression`;

export const COMPARE_OPTIONS = `  --max-increase P  compare/A/B: a median may grow by up to P (e.g. 5%) before it is a regression (default: the scenario's, else 5%; 0.5% on the virtual clock)
  --p-value P       compare/A/B: a change needs a p-value ≤ P (default: the scenario's, else 0.01)
  --min-ms N        compare/A/B: a change needs the medians to move by at least N ms (default: the scenario's, else 10; 0.1 on the virtual clock)
  --force           compare results taken under different accelerators, hypervisors or host CPU counts
  --baseline-kernel PATH|apt:PACKAGE   boot every scenario as an A/B against this kernel, passes interleaved
  --max-passes N    run more passes, up to N, while a verdict is within noise (default: the scenario's, else 15)`;

export function regressionOverrides(values: {
  'max-increase'?: string;
  'p-value'?: string;
  'min-ms'?: string;
}): Partial<RegressionSettings> {
  const out: Partial<RegressionSettings> = {};
  if (values['max-increase'] !== undefined) {
    try {
      out.maxIncrease = parsePercent(values['max-increase']);
    } catch (error) {
      throw new UsageError(`--max-increase: ${(error as Error).message}`);
    }
  }
  if (values['p-value'] !== undefined) {
    const p = Number(values['p-value']);
    if (!/^\d*\.?\d+$/.test(values['p-value']) || !(p > 0 && p < 1))
      throw new UsageError(`--p-value takes a number between 0 and 1, such as 0.01, not "${values['p-value']}".`);
    out.pValue = p;
  }
  if (values['min-ms'] !== undefined) {
    const ms = Number(values['min-ms']);
    if (!/^\d*\.?\d+$/.test(values['min-ms']))
      throw new UsageError(`--min-ms takes a number of milliseconds, such as 20, not "${values['min-ms']}".`);
    out.minMs = ms;
  }
  return out;
}

/**
 * `apt:linux-image-cloud-amd64` (or candidates, `apt:linux-image-cloud-amd64,linux-image-virtual`) or a kernel image
 * path (relative to the working directory).
 */
export function baselineKernelSpec(text: string, cwd: string): KernelSpec {
  if (text.startsWith('apt:')) return { kind: 'apt', packages: text.slice(4).split(',').filter(Boolean) };
  return { kind: 'path', path: resolve(cwd, text) };
}
