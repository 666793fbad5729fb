import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CACHE_ARGS, runCli } from '../helpers/cli.js';
import { cloudKernel } from '../helpers/debian-kernel.js';
import { expectNoHypervisorsAfterEach, testDir } from '../helpers/vitest-dirs.js';

// `clock: virtual` under real QEMU (icount, TCG): every stage in the guest's virtual time, which the load of this
// shared machine does not move. Each boot costs 10–60 s of wall time here (icount, and a loaded machine), so the
// passes are few and the time limits generous.

expectNoHypervisorsAfterEach();

const scenario = (name: string, extra: string) => `name: ${name}
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
clock: virtual
warmup: 0
timeout: 300s
${extra}`;

/**
 * A busy loop in the guest's shell: measured here, 3,000 rounds add 41 ms of virtual time, so 1,300 add ~18 ms,
 * about 1% of the ~1.75 s boot.
 */
const ONE_PERCENT_LOOP = 'i=0; while [ $i -lt 1300 ]; do i=$((i+1)); done';

const stagesOf = (file: string) => JSON.parse(readFileSync(file, 'utf8')).scenarios[0];

describe('clock: virtual, real QEMU', () => {
  beforeAll(async () => {
    await cloudKernel();
  }, 600_000);

  let jobs2: { kernel: number; total: number; firmware: number } | undefined;

  it('3 passes agree to ≤ 0.5% in kernel (and firmware), with clock, icount and accel recorded', async () => {
    const dir = testDir({ 'v.yaml': scenario('virtual-3', 'passes: 3\nmax-passes: 3\n') });
    const json = join(dir, 'r.json');
    // --jobs 2: the passes boot two at a time; the next test boots one at a time and compares medians.
    const run = await runCli([dir, '--json', json, '--jobs', '2', ...CACHE_ARGS]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/tcg · virtual time \(QEMU icount\)/);
    expect(run.stderr).toMatch(/pass \d\/3 ready in [\d.]+ s of virtual time/);
    const s = stagesOf(json);
    expect(s).toMatchObject({ clock: 'virtual', accel: 'tcg', icount: { shift: 0, sleep: false, align: false } });
    expect(s.stages.kernel.samples).toHaveLength(3);
    expect(s.stages.kernel.cov).toBeLessThanOrEqual(0.005);
    // firmware comes from the agent's TSC read, and is as repeatable as the kernel's own clock.
    expect(s.stages.firmware.cov).toBeLessThanOrEqual(0.005);
    expect(s.stages.firmware.median).toBeGreaterThan(20);
    expect(s.stages.shutdown.samples).toHaveLength(3);
    expect(s.stages.total.median).toBeCloseTo(
      s.stages.firmware.median + s.stages.kernel.median + s.stages.userspace.median,
      -1,
    );
    jobs2 = { kernel: s.stages.kernel.median, total: s.stages.total.median, firmware: s.stages.firmware.median };
  }, 600_000);

  it('--jobs 1 gives the same medians within 0.5% as --jobs 2', async () => {
    expect(jobs2, 'the --jobs 2 run above').toBeDefined();
    const dir = testDir({ 'v.yaml': scenario('virtual-3', 'passes: 2\nmax-passes: 2\n') });
    const json = join(dir, 'r.json');
    const run = await runCli([dir, '--json', json, '--jobs', '1', ...CACHE_ARGS]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/still running/);
    const s = stagesOf(json);
    for (const stage of ['firmware', 'kernel', 'total'] as const)
      expect(Math.abs(s.stages[stage].median / jobs2![stage] - 1), stage).toBeLessThanOrEqual(0.005);
  }, 600_000);

  it('flags a busy loop of ~1% of the boot in B as a regression with 3 passes a side', async () => {
    const dir = testDir({
      'ab.yaml': scenario(
        'virtual-ab',
        `passes: 3\nmax-passes: 3\nrun:\n  - ${JSON.stringify(ONE_PERCENT_LOOP)}\nbaseline:\n  run: []\n`,
      ),
    });
    const json = join(dir, 'r.json');
    const run = await runCli([dir, '--json', json, ...CACHE_ARGS]);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const s = stagesOf(json);
    const total = s.comparison.stages.total;
    expect(total.deltaPct).toBeGreaterThan(0.005);
    expect(total.deltaPct).toBeLessThan(0.02);
    expect(total.verdict).toBe('regression');
    expect(total.pValue).toBeLessThanOrEqual(0.01);
    expect(s.comparison.stages.userspace.verdict).toBe('regression');
    expect(s.comparison.stages.kernel.verdict).toBe('no change');
    expect(s.comparison.stages.firmware.verdict).toBe('no change');
    expect(s.stages.total.samples).toHaveLength(3);
    expect(run.stdout).toMatch(/REGRESSION virtual-ab: .*total/);
  }, 900_000);

  it('refuses cpus: 2 with clock: virtual at the cpus key, exit 2, without booting', async () => {
    const dir = testDir({ 'bad.yaml': scenario('virtual-smp', 'cpus: 2\n') });
    const run = await runCli([dir, ...CACHE_ARGS]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad\.yaml:9:7: cpus: clock: virtual needs cpus: 1/);
    // The same through --clock on a wall-clock file.
    const wall = testDir({ 'wall.yaml': scenario('wall-smp', 'cpus: 2\n').replace('clock: virtual\n', '') });
    const flagged = await runCli([wall, '--clock', 'virtual', ...CACHE_ARGS]);
    expect(flagged.code).toBe(2);
    expect(flagged.stderr).toMatch(/wall\.yaml:8:1: cpus: clock: virtual needs cpus: 1.* \(--clock virtual\)/);
  });
});
