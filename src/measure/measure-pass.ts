import type { BootTrace } from '../boot/types.js';
import type { StageDef } from '../scenario/types.js';
import { StreamingMeasure } from './stream.js';
import type { PassContext, PassMeasurement } from './types.js';

/**
 * The measure step over a trace already in memory (a fixture, a file): its lines go through the same streaming step
 * that a live pass feeds as the console arrives. No console limit applies: the trace was bounded when captured.
 */
export function measurePass(
  trace: BootTrace,
  custom: readonly StageDef[],
  readyRegex?: RegExp,
  context: PassContext = {},
): PassMeasurement {
  const measure = new StreamingMeasure(custom, readyRegex, context, undefined, Infinity);
  for (const line of trace.lines) measure.push(line);
  return measure.finish(trace);
}
