/**
 * What systemd says about a boot, where the image runs it: the `Startup finished in …` summary, `Reached target …`
 * records, and `systemd-analyze blame` output that the image's ready unit dumps to the console (README, "Finding out
 * why"), one line per unit prefixed with the blame marker.
 */
import { Marker } from '../../agent/protocol.js';
import type { ConsoleLine } from '../../boot/types.js';

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * systemd's own time span format (format_timespan): the largest units first, space separated, e.g. `853ms`, `2.153s`,
 * `1min 2.345s`, `3min 346ms`. Returns milliseconds, or null when `text` is not one.
 */
export function parseSystemdTimespan(text: string): number | null {
  const parts = text.trim().split(/\s+/);
  if (parts.length === 0 || parts[0] === '') return null;
  let ms = 0;
  for (const part of parts) {
    const match = /^(\d+(?:\.\d+)?)(us|ms|s|min|h|d)$/.exec(part);
    if (!match) return null;
    ms += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return ms;
}

/** The phases `Startup finished in` may list, as systemd names them. */
export type SystemdPhase = 'firmware' | 'loader' | 'kernel' | 'initrd' | 'userspace';

export interface SystemdStartup {
  phases: Partial<Record<SystemdPhase, number>>;
  totalMs: number;
}

const STARTUP = /Startup finished in (.+?) = ([\dA-Za-z. ]+?)\.?\s*$/;
const PHASE = /^(.+) \((firmware|loader|kernel|initrd|userspace)\)$/;

/** Parses `Startup finished in 7.012s (firmware) + … + 1min 2.4s (userspace) = 1min 14.317s.` */
export function parseStartupFinished(text: string): SystemdStartup | null {
  const match = STARTUP.exec(text);
  if (!match) return null;
  const phases: SystemdStartup['phases'] = {};
  for (const part of match[1]!.split(' + ')) {
    const phase = PHASE.exec(part.trim());
    if (!phase) return null;
    const ms = parseSystemdTimespan(phase[1]!);
    if (ms === null) return null;
    phases[phase[2] as SystemdPhase] = ms;
  }
  const totalMs = parseSystemdTimespan(match[2]!);
  return totalMs === null ? null : { phases, totalMs };
}

/** `Reached target Basic System.` (systemd < 250) or `Reached target basic.target - Basic System.`; the target. */
export function reachedTarget(text: string): string | null {
  const match = /(?:^|systemd\[1\]: |\] )Reached target:? (.+?)\.?$/.exec(text.trim());
  return match ? match[1]! : null;
}

/** One unit from `systemd-analyze blame`: how long it took to start. It says nothing of when it started. */
export interface UnitSpan {
  unit: string;
  ms: number;
  /** Still queued at ready (its job had not run): `ms` then counts from the start of userspace. */
  waiting?: boolean;
}

/** One line of `systemd-analyze blame`: a time span, then the unit (which may hold escapes such as `\x2d`). */
export function parseBlameLine(line: string): UnitSpan | null {
  const match =
    /^\s*(.+?)\s+(\S+\.(?:service|mount|device|swap|socket|target|timer|path|slice|scope|automount))\s*$/.exec(line);
  if (!match) return null;
  const ms = parseSystemdTimespan(match[1]!);
  return ms === null ? null : { unit: match[2]!, ms };
}

/** Blame lines the ready unit printed as `boot-budget:blame <line>`, slowest first. */
export function blameFromConsole(lines: readonly ConsoleLine[]): UnitSpan[] {
  const prefix = `${Marker.blame} `;
  return lines
    .filter((l) => l.text.startsWith(prefix))
    .map((l) => parseBlameLine(l.text.slice(prefix.length)))
    .filter((u): u is UnitSpan => u !== null)
    .sort((a, b) => b.ms - a.ms);
}
