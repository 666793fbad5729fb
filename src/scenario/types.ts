/**
 * The typed, validated form of one scenario file. The zod schema in `schema.ts` is the source of truth for what a
 * user may write; `load.ts` turns that raw shape into this one, resolving paths and compiling regexes, and keeps the
 * source position of every key that a later error or annotation has to point at.
 */

/** A place in a scenario file: 1-based line and column, as editors and GitHub annotations count them. */
export interface SourcePos {
  line: number;
  column: number;
}

export type Accel = 'kvm' | 'tcg';
export type KvmMode = 'auto' | 'required' | 'off';
export type Machine = 'pc' | 'q35' | 'microvm';
export type HypervisorName = 'qemu';
export type Statistic = 'median' | 'mean' | 'p90' | 'max';
export type BudgetLevel = 'error' | 'warn';

export type KernelSpec =
  | { kind: 'path'; path: string } // absolute, resolved against the scenario file's directory
  | { kind: 'apt'; package: string };

export type RootfsSpec = { kind: 'busybox' };

export type ReadySpec = { kind: 'agent' } | { kind: 'regex'; regex: RegExp };

/** A user-defined stage: from the first event matching `from` to the first later event matching `to`. */
export interface StageDef {
  name: string;
  from: RegExp;
  to: RegExp;
  pos: SourcePos;
}

export interface Budget {
  stage: string;
  maxMs: number;
  level: BudgetLevel;
  statistic: Statistic;
  /** Position of the budget's key under `budgets:`; annotations point here. */
  pos: SourcePos;
}

export interface Scenario {
  name: string;
  /** Absolute path of the scenario file. */
  file: string;
  /** The path as the user should see it (relative to the working directory when inside it). */
  displayFile: string;
  kernel: KernelSpec;
  rootfs: RootfsSpec;
  hypervisor: HypervisorName;
  machine: Machine;
  kvm: KvmMode;
  cpus: number;
  memoryMiB: number;
  cmdline: string;
  passes: number;
  warmup: number;
  timeoutMs: number;
  ready: ReadySpec;
  /** Shell lines the agent runs between the init and ready markers. */
  run: string[];
  stages: StageDef[];
  budgets: Budget[];
  /** Positions of top-level keys (e.g. `name`, `kernel`), for errors found after loading. */
  keyPos: Record<string, SourcePos>;
}
