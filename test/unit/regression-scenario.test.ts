import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/args.js';
import { regressionSettings } from '../../src/judge/regression.js';
import { checkScenarioFile, loadScenarioFile } from '../../src/scenario/load.js';

const dir = mkdtempSync(join(tmpdir(), 'boot-budget-regression-scenario-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEAD = 'name: demo\nkernel:\n  apt: linux-image-cloud-amd64\nrootfs:\n  busybox: {}\n';

async function load(text: string) {
  writeFileSync(join(dir, 's.yaml'), text);
  return loadScenarioFile('s.yaml', dir);
}

async function problems(text: string) {
  writeFileSync(join(dir, 's.yaml'), text);
  const check = await checkScenarioFile('s.yaml', dir);
  if (check.ok) throw new Error('expected the scenario to be rejected');
  return check.errors.map((e) => `${e.line}:${e.column} ${e.keyPath}: ${e.detail}`);
}

describe('regression:, baseline: and max-passes: in scenarios', () => {
  it('reads them with positions, and leaves them out when absent', async () => {
    const s = await load(
      `${HEAD}max-passes: 9\nregression:\n  max-increase: 2.5%\n  p-value: 0.05\n  min-ms: 20\nbaseline:\n  kernel:\n    apt: linux-image-amd64\n  run: [sleep 0.1]\n`,
    );
    expect(s.maxPasses).toBe(9);
    expect(s.regression).toEqual({ maxIncrease: 0.025, pValue: 0.05, minMs: 20, pos: { line: 7, column: 1 } });
    expect(s.baseline).toEqual({
      kernel: {
        kind: 'apt',
        packages: ['linux-image-amd64'],
        at: { file: 's.yaml', keyPath: 'baseline.kernel.apt', line: 13, column: 5 },
      },
      run: ['sleep 0.1'],
      pos: { line: 11, column: 1 },
    });
    const plain = await load(HEAD);
    expect(plain.maxPasses).toBeUndefined();
    expect(plain.regression).toBeUndefined();
    expect(plain.baseline).toBeUndefined();
  });

  it("leaves the keys it does not set to the clock's defaults", async () => {
    const empty = await load(`${HEAD}regression: {}\n`);
    expect(empty.regression).toEqual({ pos: { line: 6, column: 1 } });
    expect(regressionSettings(empty.clock, empty.regression)).toEqual({ maxIncrease: 0.05, pValue: 0.01, minMs: 10 });
    // Setting p-value on the virtual clock keeps its 0.5% and 0.1 ms floor: a schema default of 5% used to replace it.
    const virtual = await load(`${HEAD}clock: virtual\nregression:\n  p-value: 0.05\n`);
    expect(regressionSettings(virtual.clock, virtual.regression)).toEqual({
      maxIncrease: 0.005,
      pValue: 0.05,
      minMs: 0.1,
      test: 'welch',
    });
    // A flag goes over the scenario's key.
    expect(regressionSettings(virtual.clock, virtual.regression, { pValue: 0.001 }).pValue).toBe(0.001);
  });

  it('rejects bad values at their line', async () => {
    expect(await problems(`${HEAD}regression:\n  max-increase: 5\n`)).toEqual([
      '7:17 regression.max-increase: 5 has no % sign; write e.g. 5%',
    ]);
    expect(await problems(`${HEAD}regression:\n  max-increase: five\n`)).toEqual([
      '7:17 regression.max-increase: "five" is not a percentage; write e.g. 5%',
    ]);
    expect((await problems(`${HEAD}regression:\n  p-value: 2\n`))[0]).toMatch(/^7:12 regression\.p-value: /);
    expect(await problems(`${HEAD}baseline: {}\n`)).toEqual([
      '6:1 baseline: name what the baseline changes: `kernel`, `rootfs`, `run` or `cmdline`',
    ]);
    expect((await problems(`${HEAD}baseline:\n  kernal: {path: ./bz}\n`)).join('\n')).toMatch(
      /unknown key "kernal"; did you mean "kernel"\?/,
    );
    expect((await problems(`${HEAD}baseline:\n  kernel:\n    path: ./missing-bzImage\n`))[0]).toMatch(
      /baseline kernel image not found/,
    );
    expect((await problems(`${HEAD}baseline:\n  rootfs:\n    initramfs: ./missing-tree\n`))[0]).toMatch(
      /^7:3 baseline\.rootfs: baseline rootfs layer not found/,
    );
  });
});

describe('CLI regression and A/B flags', () => {
  it('parses compare and the regression flags', () => {
    const s = parseCliArgs([
      'compare',
      'a.json',
      'b.json',
      '--max-increase',
      '3%',
      '--p-value',
      '0.05',
      '--min-ms',
      '10',
      '--force',
    ]);
    expect(s).toMatchObject({
      command: 'compare',
      base: 'a.json',
      head: 'b.json',
      regression: { maxIncrease: 0.03, pValue: 0.05, minMs: 10 },
      force: true,
    });
    expect(
      parseCliArgs(['run', 'x/', '--baseline-kernel', 'apt:linux-image-amd64', '--max-passes', '7']),
    ).toMatchObject({ baselineKernel: 'apt:linux-image-amd64', maxPasses: 7 });
  });

  it('rejects bad values and a compare without two files', () => {
    expect(() => parseCliArgs(['compare', 'a.json'])).toThrow(/compare takes two results files/);
    expect(() => parseCliArgs(['compare', 'a.json', 'b.json', '--p-value', '1.5'])).toThrow(
      /--p-value takes a number between 0 and 1/,
    );
    expect(() => parseCliArgs(['compare', 'a.json', 'b.json', '--max-increase', 'five'])).toThrow(
      /--max-increase: "five" is not a percentage/,
    );
  });
});
