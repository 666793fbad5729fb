import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CACHE_ARGS, runCli } from '../helpers/cli.js';
import { cloudKernel } from '../helpers/debian-kernel.js';
import { expectNoHypervisorsAfterEach, testDir } from '../helpers/vitest-dirs.js';

// Same-job A/B under real QEMU (TCG here), on the wall clock users get by default. 8 passes a side and p ≤ 0.001: a
// `sleep 0.3` on a ~130 ms userspace stage separates the sides completely, which a permutation test puts at
// 2 / C(16, 8) = 0.00016, while each stage the sleep does not touch has a 0.1% chance of a false alarm under noise that
// treats both sides alike. At 6 passes and p ≤ 0.01 (1% a stage) a CI run on a loaded machine once flagged shutdown.

expectNoHypervisorsAfterEach();

const scenario = (name: string, extra: string, pValue = 0.01) => `name: ${name}
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
warmup: 1
timeout: 60s
regression:
  max-increase: 5%
  p-value: ${pValue}
${extra}`;

describe('same-job A/B, real QEMU', () => {
  beforeAll(async () => {
    // Fetch the kernel once, outside any single test's time limit.
    await cloudKernel();
  }, 600_000);

  it('flags a `sleep 0.3` added to B as a userspace regression, exit 1; compare agrees and refuses other accelerators', async () => {
    const dir = testDir({
      'ab.yaml': scenario('ab-sleep', 'passes: 8\nmax-passes: 10\nrun:\n  - sleep 0.3\nbaseline:\n  run: []\n', 0.001),
    });
    const json = join(dir, 'head.json');
    const run = await runCli([dir, '--json', json, ...CACHE_ARGS]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(/ab-sleep A: pass 1\/8 ready/);
    expect(run.stderr).toMatch(/ab-sleep B: pass 1\/8 ready/);
    expect(run.stdout).toMatch(/stage\s+A median\s+B median\s+Δ\s+Δ %\s+p\s+verdict/);
    expect(run.stdout).toMatch(/userspace .*✗ regression/);
    // The sleep lengthens total as well, so `total` may rightly be flagged too; no other stage may be.
    expect(run.stdout).toMatch(/REGRESSION ab-sleep: userspace(, total)? slower than the baseline \(A\)/);

    const results = JSON.parse(readFileSync(json, 'utf8'));
    const s = results.scenarios[0];
    expect(s.comparison.verdict).toBe('regression');
    const userspace = s.comparison.stages.userspace;
    expect(userspace.verdict).toBe('regression');
    expect(s.comparison.stages.firmware.verdict).not.toBe('regression');
    expect(userspace.deltaMs).toBeGreaterThan(250);
    expect(userspace.pValue).toBeLessThanOrEqual(0.001);
    expect(s.stages.userspace.samples.length).toBe(s.baseline.stages.userspace.samples.length);
    expect(s.regression).toMatchObject({ maxIncrease: 0.05, pValue: 0.001, minMs: 10, line: 8, column: 1 });
    expect(s.adaptive).toMatchObject({ planned: 8, maxPasses: 10 });

    // The baseline side as a results file of its own: `compare` on the two files reaches the same verdict.
    const base = structuredClone(results);
    for (const [name, stage] of Object.entries<any>(base.scenarios[0].stages))
      stage.samples = s.baseline.stages[name]?.samples ?? stage.samples;
    delete base.scenarios[0].baseline;
    delete base.scenarios[0].comparison;
    const baseFile = join(dir, 'base.json');
    writeFileSync(baseFile, JSON.stringify(base));
    const compare = await runCli(['compare', baseFile, json]);
    expect(compare.code, compare.stdout + compare.stderr).toBe(1);
    expect(compare.stdout).toMatch(/userspace .*✗ regression/);
    expect(compare.stdout).toMatch(/1 scenario regressed/);
    // Same input, same p-value: the generator is seeded.
    expect((await runCli(['compare', baseFile, json])).stdout).toBe(compare.stdout);

    base.scenarios[0].accel = s.accel === 'kvm' ? 'tcg' : 'kvm';
    writeFileSync(baseFile, JSON.stringify(base));
    const refused = await runCli(['compare', baseFile, json]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /refusing to compare results taken under different setups.*\n\s+ab-sleep: accelerator (kvm vs tcg|tcg vs kvm)/s,
    );
    expect(refused.stderr).toMatch(/--force/);
    const forced = await runCli(['compare', baseFile, json, '--force']);
    expect(forced.code).toBe(1);
    expect(forced.stdout).toMatch(/compared despite different setups \(--force\)/);
  });

  it('finds no change between two identical sides', async () => {
    // On the virtual clock, so that a loaded machine cannot fake a difference: wall-time sides of the same boot drift
    // apart by more than 5% when other jobs come and go between passes. Virtual time is the guest's own work, judged
    // by Welch's t-test, which 3 passes a side suffice for (test/unit/welch.test.ts: ≤ 1% false alarms per stage).
    const dir = testDir({
      // An icount boot takes 2–3× a plain TCG boot's wall time, and far more on a loaded machine; a warm-up warms
      // nothing that virtual time depends on.
      'same.yaml': scenario(
        'ab-same',
        'clock: virtual\npasses: 3\nmax-passes: 3\nbaseline:\n  cmdline: console=ttyS0 quiet\n',
      )
        .replace('warmup: 1', 'warmup: 0')
        .replace('timeout: 60s', 'timeout: 300s'),
    });
    const json = join(dir, 'results.json');
    const run = await runCli([dir, '--json', json, ...CACHE_ARGS]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const s = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
    expect(s).toMatchObject({ clock: 'virtual', accel: 'tcg' });
    expect(s.comparison.verdict).toBe('no change');
    expect(Object.keys(s.comparison.stages)).toEqual(
      expect.arrayContaining(['firmware', 'kernel', 'userspace', 'total']),
    );
    expect(run.stdout).toMatch(/NO CHANGE ab-same/);
    // Six icount boots take 1–6 minutes here, depending on what else the machine is doing.
  }, 900_000);
});
