import { describe, expect, it } from 'vitest';
import { TerminalReporter } from '../../src/report/progress.js';
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

  it('is at most one plain line per 30 s elsewhere', () => {
    const { r, err } = reporter(false);
    for (let i = 0; i < 50; i++) r.progress({ type: 'artifact-progress', scenario, message: `step ${i}` });
    expect(err).toEqual([]);
  });
});
