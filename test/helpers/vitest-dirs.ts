/**
 * Per-test temporary directories and the no-leftover-hypervisor check. Apart from test/helpers/cli.ts because these
 * call vitest, and cli.ts is also imported by plain scripts (bench/cache.ts).
 */
import { afterEach, expect, onTestFinished } from 'vitest';
import { hypervisorsMentioning, scenarioDir, TEST_CACHE_DIR } from './cli.js';

/** A temporary directory holding `files`, removed when the calling test finishes. Call it inside a test. */
export function testDir(files: Record<string, string> = {}): string {
  const { dir, cleanup } = scenarioDir(files);
  onTestFinished(cleanup);
  return dir;
}

/** After every test of the file, no hypervisor whose command line mentions `needle` may still be running. */
export function expectNoHypervisorsAfterEach(needle: string = TEST_CACHE_DIR): void {
  afterEach(() => {
    expect(hypervisorsMentioning(needle)).toEqual([]);
  });
}
