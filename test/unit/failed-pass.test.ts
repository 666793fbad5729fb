import { describe, expect, it } from 'vitest';
import type { BootTrace } from '../../src/boot/types.js';
import { describeFailedPass } from '../../src/core/run-scenarios.js';
import type { Scenario } from '../../src/scenario/types.js';

const timedOut: BootTrace = {
  accel: 'tcg',
  argv: [],
  lines: [],
  exitT: null,
  outcome: { kind: 'timeout', afterMs: 60_000 },
  stderrTail: '',
  reached: 'userspace',
  truncatedBytes: 0,
};
const userDisk: Scenario['rootfs'] = { kind: 'disk', image: '/work/images/appliance.img', format: 'raw' };

describe('a pass that never became ready', () => {
  it("says why the agent's marker cannot come from a user's disk image, and what to set instead", () => {
    const message = describeFailedPass(timedOut, 60_000, { ready: { kind: 'agent' }, rootfs: userDisk });
    expect(message).toBe(
      "no ready marker within the 60000 ms timeout; last stage reached: userspace. The disk image appliance.img is booted as it is, without boot-budget's agent, so its ready marker never comes: set `ready:` to a /regex/ of a console line the image prints once it is up (e.g. ready: /login:/).",
    );
  });

  it('says the same of a tree built with agent: false', () => {
    const rootfs: Scenario['rootfs'] = { kind: 'ext4', layers: [], agent: false };
    expect(describeFailedPass(timedOut, 60_000, { ready: { kind: 'agent' }, rootfs })).toMatch(
      /The rootfs has `agent: false`, so its ready marker never comes/,
    );
  });

  it('adds nothing when the scenario already waits for a console line, or the agent is there', () => {
    const plain = 'no ready marker within the 60000 ms timeout; last stage reached: userspace.';
    expect(describeFailedPass(timedOut, 60_000, { ready: { kind: 'regex', regex: /login:/ }, rootfs: userDisk })).toBe(
      plain,
    );
    expect(describeFailedPass(timedOut, 60_000, { ready: { kind: 'agent' }, rootfs: { kind: 'busybox' } })).toBe(plain);
  });
});
