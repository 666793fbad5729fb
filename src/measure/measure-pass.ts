import type { BootTrace } from '../boot/types.js';
import type { StageDef } from '../scenario/types.js';
import { computeStages } from './stages.js';
import { buildTimeline } from './timeline.js';
import type { PassMeasurement } from './types.js';

export function measurePass(trace: BootTrace, custom: readonly StageDef[], readyRegex?: RegExp): PassMeasurement {
  const timeline = buildTimeline(trace, readyRegex);
  return { stages: computeStages(timeline, custom), alignment: timeline.alignment, events: timeline.events };
}
