/** Cases for the systemd unit hints (src/measure/systemd/unit-hints.ts), shared by their test and the hint table's
 *  coverage check in diagnosis.test.ts. */
import { JOB_KEY, TARGET_KEY } from '../../src/agent/systemd-unit.js';
import type { BootTrace } from '../../src/boot/types.js';
import { loadBootFixture } from './fixtures.js';

// The real systemd boot (test/fixtures/boots/systemd-bookworm.json says how it was captured): Debian bookworm minbase
// with boot-budget's ready unit, whose `systemctl show` dump is what the unit hints read. Where a hint's unit did not
// run in that boot, its case is that capture with ONE unit record edited, as each case says.
export const real = loadBootFixture('systemd-bookworm').trace;

type Line = BootTrace['lines'][number];
type Edit = (lines: Line[]) => void;

/** The real capture's console lines with `edits` applied; every line not edited stays as captured. */
export function derived(...edits: Edit[]): BootTrace {
  const lines = real.lines.map((l) => ({ ...l }));
  for (const edit of edits) edit(lines);
  return { ...real, lines };
}

/** The index of `unit`'s `key=` line in the dump. */
function fieldAt(lines: Line[], unit: string, key: string): number {
  const start = lines.findIndex((l) => l.text === `Id=${unit}`);
  const i = lines.findIndex((l, j) => j > start && l.text.startsWith(`${key}=`));
  if (start <= 0 || i < 0 || lines.slice(start, i).some((l) => l.text === ''))
    throw new Error(`no ${key} for ${unit} in the capture`);
  return i;
}

/** Renames a real unit's record; its times stay as captured. */
export const rename =
  (from: string, to: string): Edit =>
  (lines) => {
    const i = lines.findIndex((l) => l.text === `Id=${from}`);
    if (i <= 0) throw new Error(`no unit ${from} in the capture`);
    lines[i]!.text = `Id=${to}`;
  };

/** Gives `unit` the start times (InactiveExit and ActiveEnter) another real unit of the capture has. */
export const retimeLike =
  (unit: string, like: string): Edit =>
  (lines) => {
    for (const key of ['InactiveExitTimestampMonotonic', 'ActiveEnterTimestampMonotonic'])
      lines[fieldAt(lines, unit, key)]!.text = lines[fieldAt(lines, like, key)]!.text;
  };

/** Makes `unit`'s start end `ms` after it began. */
export const startTakes =
  (unit: string, ms: number): Edit =>
  (lines) => {
    const began = Number(lines[fieldAt(lines, unit, 'InactiveExitTimestampMonotonic')]!.text.split('=')[1]);
    lines[fieldAt(lines, unit, 'ActiveEnterTimestampMonotonic')]!.text =
      `ActiveEnterTimestampMonotonic=${began + ms * 1000}`;
  };

/** One job still queued at ready, as the ready unit prints `systemctl list-jobs` (unit, type, state) after the
 *  target line; the real boot had none. */
export const queuedJob =
  (unit: string): Edit =>
  (lines) => {
    const i = lines.findIndex((l) => l.text.startsWith(`${TARGET_KEY}=`));
    if (i <= 0) throw new Error('no target line in the capture');
    lines.splice(i + 1, 0, { ...lines[i]!, text: `${JOB_KEY}=${unit} start waiting` });
  };

/** [id, a boot that shows the pattern, one that does not]; every unit hint has a case. */
export const UNIT_HINT_CASES: Array<[id: string, fires: BootTrace, silent: BootTrace, how: string]> = [
  [
    'random-seed',
    // As captured: systemd-random-seed.service took 816 ms to start.
    real,
    // Derived: the real systemd-random-seed.service record retimed to start in 10 ms (under the 50 ms threshold).
    derived(startTakes('systemd-random-seed.service', 10)),
    'real boot (816 ms) / its random-seed unit retimed to 10 ms',
  ],
  [
    'root-fsck',
    // Derived: the real systemd-fsck-root.service record (loaded, never run: the kernel mounted / rw) given the start
    // times systemd-remount-fs.service has in the capture (702 ms).
    derived(retimeLike('systemd-fsck-root.service', 'systemd-remount-fs.service')),
    // As captured: systemd-fsck-root.service is there but never ran.
    real,
    'fsck-root retimed like remount-fs / real boot',
  ],
  [
    'wait-online',
    // Derived: the real systemd-user-sessions.service record (320 ms to start) renamed
    // systemd-networkd-wait-online.service; minbase has no wait-online unit.
    derived(rename('systemd-user-sessions.service', 'systemd-networkd-wait-online.service')),
    // As captured: systemd-networkd.service is loaded but no wait-online unit ran.
    real,
    'user-sessions renamed networkd-wait-online / real boot',
  ],
  [
    'apt-timers',
    // Derived: the real apt-daily.service record (loaded, not run: its timer did not fire) given the start times
    // systemd-user-sessions.service has in the capture (320 ms).
    derived(retimeLike('apt-daily.service', 'systemd-user-sessions.service')),
    // As captured: apt-daily, apt-daily-upgrade, dpkg-db-backup and e2scrub_all did not run; e2scrub_reap.service
    // (not a timer's unit) took 1.16 s and must not count.
    real,
    'apt-daily retimed like user-sessions / real boot',
  ],
  [
    'serial-getty',
    // Derived: the real dump plus one queued job, serial-getty@ttyS1.service waiting (what console=ttyS1 on a
    // machine without that UART leaves at ready).
    derived(queuedJob('serial-getty@ttyS1.service')),
    // As captured: serial-getty@ttyS0.service started (its device exists) and nothing was queued at ready.
    real,
    'a serial-getty@ttyS1 job left waiting / real boot',
  ],
];
