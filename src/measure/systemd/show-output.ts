/**
 * Reads what the ready unit printed between `boot-budget:systemd-begin` and `-end` (src/agent/systemd-unit.ts):
 * `systemctl show` of the manager, one `BootBudgetTarget=` line, then `systemctl show` of every loaded unit, one
 * `Key=value` block per unit with blank lines between. Anything else there is systemctl talking to people (its errors)
 * and is kept as a problem for the report. The text is the guest's: nothing here is trusted beyond its shape.
 */
import { JOB_KEY, TARGET_KEY } from '../../agent/systemd-unit.js';
import type { BootTimes, SystemdDump, UnitTimes } from './unit-times.js';

const KEY_VALUE = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/;

/** A µs count as systemctl prints it; anything else (empty, `n/a`, garbage) counts as "never". */
function usec(value: string | undefined): number {
  return value !== undefined && /^\d{1,19}$/.test(value) ? Number(value) : 0;
}

function bootTimes(fields: Map<string, string>): BootTimes {
  const kernel = fields.get('KernelTimestamp') ?? '';
  return {
    firmwareUs: usec(fields.get('FirmwareTimestampMonotonic')),
    loaderUs: usec(fields.get('LoaderTimestampMonotonic')),
    kernelKnown: kernel !== '' && kernel !== 'n/a' && kernel !== '0',
    initrdUs: usec(fields.get('InitRDTimestampMonotonic')),
    userspaceUs: usec(fields.get('UserspaceTimestampMonotonic')),
    finishUs: usec(fields.get('FinishTimestampMonotonic')),
    securityStartUs: usec(fields.get('SecurityStartTimestampMonotonic')),
  };
}

function unitTimes(fields: Map<string, string>): UnitTimes | null {
  const name = fields.get('Id');
  if (!name) return null;
  const after = fields.get('After') ?? '';
  return {
    name,
    activatingUs: usec(fields.get('InactiveExitTimestampMonotonic')),
    activatedUs: usec(fields.get('ActiveEnterTimestampMonotonic')),
    deactivatingUs: usec(fields.get('ActiveExitTimestampMonotonic')),
    deactivatedUs: usec(fields.get('InactiveEnterTimestampMonotonic')),
    after: after.split(/\s+/).filter((n) => n !== ''),
  };
}

/** The dump's lines (without the begin and end markers) → manager times, target and units; null when it has no
 *  manager block at all (systemctl could not reach the manager). */
export function parseSystemdDump(lines: readonly string[]): SystemdDump | null {
  const blocks: Array<Map<string, string>> = [];
  const problems: string[] = [];
  let current: Map<string, string> | null = null;
  const waiting: string[] = [];
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      current = null;
      continue;
    }
    const match = KEY_VALUE.exec(line);
    if (!match) {
      problems.push(line);
      continue;
    }
    if (!current) blocks.push((current = new Map()));
    if (match[1] === JOB_KEY) {
      const [unit, , state] = match[2]!.split(' ');
      if (unit && state === 'waiting') waiting.push(unit);
      continue;
    }
    current.set(match[1]!, match[2]!);
  }
  const manager = blocks.find((b) => b.has('UserspaceTimestampMonotonic'));
  if (!manager) return null;
  const target = manager.get(TARGET_KEY) || null;
  const units = blocks.flatMap((b) => (b === manager ? [] : (unitTimes(b) ?? [])));
  return { boot: bootTimes(manager), target, units, waiting, problems };
}
