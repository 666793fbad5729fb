/**
 * A systemd image's slowest units as rows of the SVG boot chart, drawn under userspace on the same host time axis (the
 * job summary's gantt draws the same placed units).
 * Unit names are guest text: results are neutralised when the core builds them, and a name is neutralised again here
 * (it is idempotent) so a results file from elsewhere cannot put a terminal or bidi sequence into the chart either.
 */
import type { ScenarioResult } from '../judge/types.js';
import { neutraliseConsoleText } from './untrusted.js';

/** How many of a systemd image's slowest units the chart draws. */
export const CHART_UNITS = 10;

export interface UnitRow {
  label: string;
  startT: number;
  ms: number;
  critical: boolean;
}

/** The units a chart can place: those that started and finished before ready, slowest first. */
export function placedUnits(result: ScenarioResult): NonNullable<ScenarioResult['units']> {
  return (result.units ?? []).filter((u) => u.activating !== null && u.active !== null && u.ms > 0);
}

/** The slowest units that started and finished before ready, slowest first; critical-chain units end in ` *`. */
export function unitRows(result: ScenarioResult, max = CHART_UNITS): UnitRow[] {
  return placedUnits(result)
    .slice(0, max)
    .map((u) => ({
      label: `unit ${neutraliseConsoleText(u.name)}${u.critical ? ' *' : ''}`,
      startT: u.activating!,
      ms: u.ms,
      critical: u.critical,
    }));
}
