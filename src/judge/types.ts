import type { Accel, BudgetLevel, HypervisorName, Machine, Statistic } from '../scenario/types.js';
import type { Span } from '../measure/types.js';
import type { Summary } from './statistics.js';

export type StageVerdict = 'pass' | 'fail' | 'warn' | 'none';
export type ScenarioVerdict = 'pass' | 'fail' | 'error';

export interface BudgetResult {
  max: number;
  level: BudgetLevel;
  statistic: Statistic;
  /** The value of `statistic` that was compared with `max`; null when the stage was never seen. */
  value: number | null;
  line: number;
  column: number;
}

export interface StageResult {
  name: string;
  samples: number[];
  summary: Summary | null;
  /** Mean start of the stage on the host timeline, for drawing the boot chart. */
  meanStartT: number | null;
  budget: BudgetResult | null;
  verdict: StageVerdict;
  /** The offending span of the pass closest to the median, so the span explains a typical boot. */
  span: Span | null;
}

export interface ScenarioResult {
  name: string;
  file: string;
  accel: Accel | null;
  accelWarning?: string;
  hypervisor: HypervisorName;
  hypervisorVersion: string | null;
  machine: Machine;
  cmdline: string | null;
  kernel: string | null;
  rootfs: string | null;
  hostCpus: number;
  warmup: number;
  passes: number;
  stages: StageResult[];
  verdict: ScenarioVerdict;
  error?: string;
}
