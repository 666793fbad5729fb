import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResults } from '../../src/judge/types.js';
import { writeResultsJson } from '../../src/report/json.js';

// The results file is written to a temporary name and renamed: a reader (or a run killed at any moment, see the
// SIGINT/SIGTERM cases in test/e2e/faults.test.ts) sees the previous file or the new one, never half of one.

const dir = mkdtempSync(join(tmpdir(), 'boot-budget-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function results(n: number): RunResults {
  return {
    version: 1,
    scenarios: Array.from({ length: n }, (_, i) => ({
      name: `s${i}`,
      file: `s${i}.yaml`,
      accel: 'tcg',
      hypervisor: 'qemu',
      hypervisorVersion: '7.2',
      machine: 'pc',
      cmdline: 'console=ttyS0 '.repeat(200),
      kernel: null,
      rootfs: null,
      hostCpus: 2,
      warmup: 0,
      passes: 1,
      stages: [],
      verdict: 'pass',
    })),
  } as RunResults;
}

describe('the results file', () => {
  it('is never seen half-written by a concurrent reader', async () => {
    const file = join(dir, 'results.json');
    await writeResultsJson(file, results(1));
    let writing = true;
    let reads = 0;
    const writer = (async () => {
      for (let i = 0; i < 200; i++) await writeResultsJson(file, results(1 + (i % 50)));
      writing = false;
    })();
    while (writing) {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { scenarios: unknown[] };
      expect(parsed.scenarios.length).toBeGreaterThan(0);
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    await writer;
    expect(reads).toBeGreaterThan(10);
    // No temporary file is left next to it.
    expect(readdirSync(dir)).toEqual(['results.json']);
  });
});
