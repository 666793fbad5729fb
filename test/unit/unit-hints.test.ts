import { describe, expect, it } from 'vitest';
import type { BootTrace } from '../../src/boot/types.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { UNIT_HINTS } from '../../src/measure/systemd/unit-hints.js';
import {
  derived,
  queuedJob,
  real,
  rename,
  retimeLike,
  startTakes,
  UNIT_HINT_CASES,
} from '../helpers/unit-hint-cases.js';

// The cases and how each was derived from the real systemd-bookworm capture: test/helpers/unit-hint-cases.ts.
const hintsOf = (trace: BootTrace) => measurePass(trace, []).hints;
const ids = (trace: BootTrace) => hintsOf(trace).map((h) => h.id);
const firing = (id: string) => UNIT_HINT_CASES.find(([caseId]) => caseId === id)![1];

describe('systemd unit hints fire on boots whose units show the pattern, and stay silent on boots whose do not', () => {
  it.each(UNIT_HINT_CASES.map(([id, fires, silent, how]) => [id, how, fires, silent] as const))(
    '%s: %s',
    (id, _how, fires, silent) => {
      expect(ids(fires)).toContain(id);
      expect(ids(silent)).not.toContain(id);
    },
  );

  it('covers every unit hint', () => {
    expect(UNIT_HINTS.map((h) => h.id).sort()).toEqual(UNIT_HINT_CASES.map(([id]) => id).sort());
  });

  it("names the unit and the time it took, in the boot's own words", () => {
    const seed = hintsOf(real).find((h) => h.id === 'random-seed')!;
    expect(seed.evidence).toBe('systemd-random-seed.service took 816 ms to start');
    // InactiveExitTimestampMonotonic=9144685, ActiveEnterTimestampMonotonic=9960878 in the capture.
    expect(seed.ms).toBeCloseTo((9_960_878 - 9_144_685) / 1000, 6);
    const fsck = hintsOf(firing('root-fsck')).find((h) => h.id === 'root-fsck')!;
    expect(fsck.evidence).toBe('systemd-fsck-root.service took 702 ms to start');
    const getty = hintsOf(firing('serial-getty')).find((h) => h.id === 'serial-getty')!;
    expect(getty.evidence).toBe('serial-getty@ttyS1.service was still waiting at ready');
  });

  it('stays silent on a unit the pattern does not name, and on a unit that starts under the threshold', () => {
    // Derived: the real e2scrub_reap.service (1.16 s) renamed e2scrub_scrub.service: close to, but not, a timer unit.
    expect(ids(derived(rename('e2scrub_reap.service', 'e2scrub_scrub.service')))).not.toContain('apt-timers');
    // Derived: the real apt-daily.service retimed like user-sessions, then made to start in 5 ms (threshold 20 ms).
    const quick = derived(
      retimeLike('apt-daily.service', 'systemd-user-sessions.service'),
      startTakes('apt-daily.service', 5),
    );
    expect(ids(quick)).not.toContain('apt-timers');
    // A getty queued on a virtual console is not a serial console waiting for its UART.
    expect(ids(derived(queuedJob('getty@tty7.service')))).not.toContain('serial-getty');
  });
});
