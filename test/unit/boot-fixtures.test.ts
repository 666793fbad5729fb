import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBootFixture } from '../helpers/fixtures.js';

// The captured boots the parser tests read: each must say what was booted and how, and be reproducible from the
// scenario kept beside it with scripts/capture-boot.ts.
const dir = join(import.meta.dirname, '..', 'fixtures', 'boots');
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''));

describe('captured boots', () => {
  it.each(names)('%s records the scenario it booted, kept beside it, and how it was captured', (name) => {
    const { captured, trace } = loadBootFixture(name);
    expect(captured.scenario).toBe(readFileSync(join(dir, 'scenarios', `${name}.yaml`), 'utf8'));
    expect(captured.tool).toMatch(/^scripts\/capture-boot\.ts: .*FIFO/);
    expect(captured.how.length).toBeGreaterThan(40);
    expect(captured.loadAverage).toMatch(/^[\d.]+ before, [\d.]+ after/);
    // A whole-disk boot has its command line in the loader entry, not on QEMU's.
    const append = trace.argv.indexOf('-append');
    if (append >= 0) expect(trace.argv[append + 1]).toBe(captured.cmdline);
    // No path of the capturing machine's cache is left in the argv.
    expect(trace.argv.filter((a) => a.includes('/.cache/'))).toEqual([]);
  });

  it('has a scenario for every fixture and a fixture for every scenario', () => {
    const scenarios = readdirSync(join(dir, 'scenarios')).map((f) => f.replace(/\.yaml$/, ''));
    expect(scenarios.sort()).toEqual([...names].sort());
  });
});
