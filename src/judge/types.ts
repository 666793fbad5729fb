import type { IcountSettings } from '../boot/icount.js';
import type { Accel, BudgetLevel, Clock, HypervisorName, Machine, Statistic } from '../scenario/types.js';
import type { Span } from '../measure/types.js';
import type { Summary } from './statistics.js';
import type { Hint } from '../measure/hints.js';
import type { SystemdResult, UnitResult } from '../measure/systemd/unit-times.js';
import type { InitcallResult } from './diagnosis.js';
import type { RegressionSettings } from './regression.js';
import type { ScenarioComparison } from './compare.js';
import type { AdaptiveRecord } from './adaptive.js';
import type { PassTimeline } from '../measure/pass-timeline.js';
import type { InitInfo } from '../artifacts/types.js';

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
  /** That span over the passes where it was the offending span too; absent when no pass had one. */
  spanSummary?: Summary;
  spanMeanStartT?: number;
  /** Known causes that applied, from the pass closest to the median, costliest first. Always set by
   *  judgeStages; optional so that results read back from older JSON files still type. */
  hints?: Hint[];
  /** The slowest initcalls inside this stage (with `initcalls: true`), slowest first. */
  initcalls?: InitcallResult[];
}

export interface ScenarioResult {
  name: string;
  file: string;
  accel: Accel | null;
  accelWarning?: string;
  /** Which clock timed the stages; absent in results written before the virtual clock existed, which are `wall`. */
  clock?: Clock;
  /** QEMU's icount settings, for the virtual clock: results under other settings are not comparable. */
  icount?: IcountSettings;
  /** Why KVM was dropped when it was wanted (the proof step that failed and what it saw), without the advice. */
  accelReason?: string;
  /** Console bytes the guest wrote beyond what boot-budget keeps (the most in any pass); timings are unaffected. */
  consoleTruncatedBytes?: number;
  hypervisor: HypervisorName;
  hypervisorVersion: string | null;
  machine: Machine;
  /** seabios, qboot, or none for hypervisors that load the kernel directly. */
  firmware?: string;
  cmdline: string | null;
  kernel: string | null;
  rootfs: string | null;
  hostCpus: number;
  warmup: number;
  passes: number;
  stages: StageResult[];
  /** How well the guest's clock was pinned to host time: the fewest records seen on both sides in any pass, and the
   *  widest spread of host − guest among them (an upper bound on the error of every kernel-log time). */
  alignment?: { pairs: number; spreadMs: number };
  /** Which init the guest ran and how readiness was seen (e.g. systemd with boot-budget's ready unit). */
  init?: InitInfo;
  /** systemd's own split, critical chain and surgery list, from the measured pass closest to the median total. */
  systemd?: SystemdResult;
  /** A systemd image's units from that same pass, slowest first, on the host timeline. */
  units?: UnitResult[];
  /** Every measured pass on its host timeline, in boot order; absent in results written before it was recorded. */
  timeline?: PassTimeline[];
  /** Metadata the results file it was read from did not have (written by an older boot-budget): shown as unknown. */
  unknown?: string[];
  verdict: ScenarioVerdict;
  error?: string;
  /** Where in the scenario file the error points, when it is about one key; annotations go there instead of line 1. */
  errorAt?: { line: number; column: number };
  /** The regression settings in force, and where a regression is annotated (`regression:`, else `name:`). */
  regression?: RegressionSettings & { line: number; column: number };
  /** Same-job A/B: the baseline side (`baseline:` or --baseline-kernel), booted interleaved with this one. */
  baseline?: {
    kernel: string | null;
    rootfs: string | null;
    cmdline: string | null;
    stages: StageResult[];
    timeline?: PassTimeline[];
  };
  /** The baseline side against this one; set only for an A/B. */
  comparison?: ScenarioComparison;
  /** How many passes it took and why, when more than `passes` could have been needed. */
  adaptive?: AdaptiveRecord;
}

/** Everything one run measured and judged: what the reports render and the results JSON holds. */
export interface RunResults {
  version: 1;
  scenarios: ScenarioResult[];
}
