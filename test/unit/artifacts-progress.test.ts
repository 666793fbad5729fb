import { afterEach, describe, expect, it, vi } from 'vitest';
import { TerminalReporter } from '../../src/report/terminal-reporter.js';
import { styleFor } from '../../src/report/style.js';
import type { Scenario } from '../../src/scenario/types.js';

const scenario = { name: 'tiny' } as Scenario;

function reporter(isTTY: boolean) {
  const err: string[] = [];
  const stream = { write: (t: string) => err.push(t), isTTY };
  const r = new TerminalReporter({ write: () => undefined }, stream, styleFor({ isTTY: false }, { NO_COLOR: '1' }));
  return { r, err };
}

describe('artifact progress (a kernel build, a download)', () => {
  it('is one live line on a terminal', () => {
    const { r, err } = reporter(true);
    r.progress({ type: 'artifact-progress', scenario, message: 'building bzImage: 10/~1554 objects (0%), 0m05s' });
    r.progress({ type: 'artifact-progress', scenario, message: 'building bzImage: 20/~1554 objects (1%), 0m06s' });
    expect(err).toEqual([
      '\r\u001b[K  tiny: building bzImage: 10/~1554 objects (0%), 0m05s',
      '\r\u001b[K  tiny: building bzImage: 20/~1554 objects (1%), 0m06s',
    ]);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('is one plain line per 30 s elsewhere, the latest message each time', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const { r, err } = reporter(false);
    const step = (i: number) => r.progress({ type: 'artifact-progress', scenario, message: `step ${i}` });
    for (let i = 0; i < 50; i++) step(i);
    // The reporter was made at the first instant: a build that finishes within 30 s prints no progress at all.
    expect(err).toEqual([]);
    vi.advanceTimersByTime(30_001);
    step(50);
    step(51);
    vi.advanceTimersByTime(29_000);
    step(52);
    vi.advanceTimersByTime(1_500);
    step(53);
    expect(err).toEqual(['  tiny: step 50\n', '  tiny: step 53\n']);
  });
});

describe('the accelerator line', () => {
  it('says early, in one line, that KVM was unusable, and leaves the whole warning to the report', () => {
    const { r, err } = reporter(false);
    r.progress({ type: 'accel', scenario, accel: 'kvm' });
    r.progress({ type: 'accel', scenario, accel: 'tcg', warning: 'KVM is unusable (a reason); falling back to TCG …' });
    expect(err).toEqual([
      '  tiny: accelerator kvm\n',
      '  tiny: accelerator tcg: KVM is unusable here (the report says why)\n',
    ]);
  });
});
