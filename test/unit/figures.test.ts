import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/judge/statistics.js';
import { count, passCount, spreadCells } from '../../src/report/figures.js';

describe('report figures', () => {
  it('shows no spread for one pass, and mean ± σ, range and CoV for more', () => {
    expect(spreadCells(summarize([654])!)).toEqual({ meanSigma: '654 ms', sigma: '', range: '', cov: '' });
    expect(spreadCells(summarize([600, 650, 700])!)).toEqual({
      meanSigma: '650 ms ± 50 ms',
      sigma: '50 ms',
      range: '600 ms–700 ms',
      cov: '7.7%',
    });
  });

  it('counts with the right noun', () => {
    expect([passCount(1), passCount(3), count(1, 'scenario'), count(2, 'scenario')]).toEqual([
      '1 pass',
      '3 passes',
      '1 scenario',
      '2 scenarios',
    ]);
  });
});
