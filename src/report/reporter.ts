import type { LiveStage } from '../boot/live-stage.js';
import type { ScenarioResult } from '../judge/types.js';
import type { Scenario } from '../scenario/types.js';

/**
 * What the core tells the outside world while it works. The CLI and the Action print it (terminal-reporter.ts).
 * `side` labels the passes of a same-job A/B: A is the baseline, B the scenario.
 */
export type ProgressEvent =
  | { type: 'scenario-start'; scenario: Scenario; index: number; count: number }
  | { type: 'artifact'; scenario: Scenario; message: string }
  /** Frequent progress of a long artifact step (a download, a kernel build); each replaces the previous one. */
  | { type: 'artifact-progress'; scenario: Scenario; message: string }
  | { type: 'accel'; scenario: Scenario; accel: 'kvm' | 'tcg'; warning?: string }
  | { type: 'pass-start'; scenario: Scenario; pass: number; of: number; warmup: boolean; side?: 'A' | 'B' }
  | {
      type: 'pass-stage';
      scenario: Scenario;
      pass: number;
      of: number;
      warmup: boolean;
      stage: LiveStage;
      side?: 'A' | 'B';
    }
  | {
      type: 'pass-end';
      scenario: Scenario;
      pass: number;
      of: number;
      warmup: boolean;
      totalMs: number | null;
      side?: 'A' | 'B';
    }
  | { type: 'scenario-end'; scenario: Scenario; result: ScenarioResult };

export interface Reporter {
  progress(event: ProgressEvent): void;
}

export const silentReporter: Reporter = { progress() {} };
