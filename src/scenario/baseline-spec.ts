/** The validated `regression:`, `baseline:` and `max-passes:` keys → typed specs. */
import path from 'node:path';
import { toKernelSpec, toRootfsSpec } from './artifact-specs.js';
import type { RawScenario } from './schema.js';
import type { AptKernelLocation, BaselineSpec, RegressionSpec, Scenario, SourcePos } from './types.js';

type Extras = Pick<Scenario, 'maxPasses' | 'regression' | 'baseline'>;

/** Only keys the file sets appear, so a scenario without them is exactly what it was before these keys existed. */
export function toRegressionExtras(
  raw: RawScenario,
  file: string,
  positionOf: (key: 'regression' | 'baseline') => SourcePos,
  /** Where a key under `baseline.kernel` is, for errors artifacts raise later (a `kernel.apt` naming nothing here). */
  locateKernelKey?: (key: string) => AptKernelLocation,
): Extras {
  const out: Extras = {};
  if (raw['max-passes'] !== undefined) out.maxPasses = raw['max-passes'];
  if (raw.regression) {
    const r = raw.regression;
    const spec: RegressionSpec = { pos: positionOf('regression') };
    if (r['max-increase'] !== undefined) spec.maxIncrease = Number(r['max-increase'].replace('%', '')) / 100;
    if (r['p-value'] !== undefined) spec.pValue = r['p-value'];
    if (r['min-ms'] !== undefined) spec.minMs = r['min-ms'];
    out.regression = spec;
  }
  if (raw.baseline) {
    const b = raw.baseline;
    const dir = path.dirname(file);
    const spec: BaselineSpec = { pos: positionOf('baseline') };
    if (b.kernel) spec.kernel = toKernelSpec(b.kernel, dir, locateKernelKey);
    if (b.rootfs) spec.rootfs = toRootfsSpec(b.rootfs, dir);
    if (b.run) spec.run = b.run;
    if (b.cmdline !== undefined) spec.cmdline = b.cmdline;
    out.baseline = spec;
  }
  return out;
}
