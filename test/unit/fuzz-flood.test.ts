import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSOLE_LIMIT_BYTES } from '../../src/boot/console.js';
import { loadBootFixture } from '../helpers/fixtures.js';
import { REPO } from '../helpers/cli.js';

// A guest flooding its console with 220 MB, fed through the real capture and measurement at memory speed: a real
// TCG guest writes its serial console at ~0.2-0.5 MB/s, so 220 MB would take 10-20 minutes per test. The end-to-end
// flood (test/e2e/faults.test.ts) boots a real guest against a lowered limit instead.

interface FloodResult {
  fedBytes: number;
  keptLines: number;
  truncatedBytes: number;
  lastLine: string;
  stages: Record<string, number | null>;
  peakRssMiB: number;
  ms: number;
}

function flood(mb: number, line: string, newline: boolean): FloodResult {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(REPO, 'test', 'helpers', 'flood-harness.ts')], {
    cwd: REPO,
    env: { ...process.env, FLOOD_MB: String(mb), FLOOD_LINE: line, FLOOD_NEWLINE: newline ? '1' : '0' },
    encoding: 'utf8',
    timeout: 240_000,
  });
  return JSON.parse(out) as FloodResult;
}

const expected = loadBootFixture('cloud-quiet-sleep1').trace;
const total = (lines: typeof expected.lines) => lines.find((l) => l.text === 'boot-budget:ready')!.t;

describe('a 220 MB console flood', () => {
  it.each([
    // 2-byte lines cost the capture ~0.3 µs each, so 40 MB (20 million lines) shows the per-line bound in seconds.
    ['`yes` (2-byte lines)', 'y', 40, true],
    ['64-byte lines', '0123456789abcdef'.repeat(4).slice(0, 63), 220, true],
    ['one endless line', 'x', 220, false],
  ] as const)(
    '%s: memory stays bounded, the middle is cut and counted, timing is still measured',
    { timeout: 300_000 },
    (_, line, mb, newline) => {
      const result = flood(mb, line, newline);
      expect(result.fedBytes).toBeGreaterThanOrEqual(mb * 1e6);
      // The kept output is bounded by the limit (plus a quarter for the tail) whatever the line length.
      expect(result.truncatedBytes).toBeGreaterThan(result.fedBytes - 1.25 * CONSOLE_LIMIT_BYTES);
      expect(result.peakRssMiB).toBeLessThan(640);
      // The ready marker and the kernel log dump come after the flood and are kept, so the pass is measured as usual.
      expect(result.lastLine).toBe(expected.lines[expected.lines.length - 1]!.text);
      expect(result.stages.total).toBeCloseTo(total(expected.lines), 3);
      expect(result.stages.kernel).toBeGreaterThan(0);
      expect(result.ms).toBeLessThan(120_000);
    },
  );
});
