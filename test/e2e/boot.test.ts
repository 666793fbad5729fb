import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeKvm } from '../../src/boot/accel.js';
import { QEMU_BINARY } from '../../src/boot/qemu.js';
import { hypervisorsMentioning, runCli, scenarioDir, startCli, TEST_CACHE_DIR } from '../helpers/cli.js';

// Real boots of Debian's cloud kernel under QEMU (TCG here). Passes are kept low to save CI time; the kernel and
// initramfs are cached in TEST_CACHE_DIR after the first test.

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  // No test may leave a hypervisor behind.
  expect(hypervisorsMentioning(TEST_CACHE_DIR)).toEqual([]);
});

const base = (name: string, extra: string) => `name: ${name}
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
machine: pc
kvm: auto
passes: 1
warmup: 0
timeout: 60s
${extra}`;

function withScenarios(files: Record<string, string>): string {
  const { dir, cleanup } = scenarioDir(files);
  cleanups.push(cleanup);
  return dir;
}

const cacheArgs = ['--cache-dir', TEST_CACHE_DIR];

describe('end to end, real QEMU', () => {
  beforeAll(async () => {
    // Fetch the kernel once, outside any single test's time limit.
    const dir = scenarioDir({ 'warm.yaml': base('warm-cache', '') });
    try {
      await runCli(['validate', dir.dir]);
    } finally {
      dir.cleanup();
    }
  });

  it('boots the bundled scenario; its stages come in order and add up to total', async () => {
    const { dir: out, cleanup } = scenarioDir({});
    cleanups.push(cleanup);
    const json = join(out, 'results.json');
    const run = await runCli(['scenarios/', '--passes', '2', '--warmup', '0', '--json', json, ...cacheArgs]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect([0, 1]).toContain(run.code);
    expect(run.stdout).toMatch(/debian-cloud-busybox/);
    expect(run.stdout).toMatch(/firmware\s+▕/); // the chart
    expect(run.stdout).toMatch(/offending span/); // the budget table

    const results = JSON.parse(readFileSync(json, 'utf8'));
    const scenario = results.scenarios[0];
    expect(results.version).toBe(1);
    expect(scenario.verdict).not.toBe('error');
    expect(['kvm', 'tcg']).toContain(scenario.accel);
    // The default profile boots pc with qboot (Debian's QEMU ships qboot.rom); results say which firmware ran.
    expect(scenario.firmware).toBe('qboot');
    expect(run.stdout).toMatch(/qemu [\d.]+ pc \(qboot\)/);
    expect(Object.keys(scenario.stages)).toEqual(['firmware', 'kernel', 'userspace', 'shutdown', 'total']);
    for (let i = 0; i < 2; i++) {
      const [fw, k, us, total] = ['firmware', 'kernel', 'userspace', 'total'].map((n) => scenario.stages[n].samples[i]);
      expect(fw).toBeGreaterThan(0);
      expect(k).toBeGreaterThan(0);
      expect(us).toBeGreaterThan(0);
      expect(Math.abs(fw + k + us - total)).toBeLessThan(1);
    }
    expect(scenario.stages.kernel.budget.line).toBeGreaterThan(1);
    expect(scenario.stages.kernel.span.ms).toBeGreaterThan(0);
  });

  it('fails a userspace budget that a 1 s workload exceeds, and names the workload as the span', async () => {
    const dir = withScenarios({
      'slow.yaml': base('slow-userspace', `run:\n  - sleep 1\nbudgets:\n  userspace: 500ms\n`),
    });
    const json = join(dir, 'results.json');
    const run = await runCli([dir, '--json', json, ...cacheArgs]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL slow-userspace/);
    const userspace = JSON.parse(readFileSync(json, 'utf8')).scenarios[0].stages.userspace;
    expect(userspace.verdict).toBe('fail');
    expect(userspace.budget).toMatchObject({ max: 500, level: 'error', line: 14 });
    expect(userspace.span.ms).toBeGreaterThanOrEqual(900);
    // The agent logs each run line before it starts it, so the span names the slow line itself.
    expect(userspace.span).toMatchObject({ from: 'boot-budget:run 1: sleep 1', to: 'boot-budget:ready' });
  });

  it('boots microvm, which ends the pass by itself so its shutdown is measured', async () => {
    const dir = withScenarios({ 'microvm.yaml': base('microvm', '').replace('machine: pc', 'machine: microvm') });
    const json = join(dir, 'results.json');
    const run = await runCli([dir, '--json', json, ...cacheArgs]);
    expect(run.code).toBe(0);
    const scenario = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
    expect(scenario.machine).toBe('microvm');
    expect(scenario.firmware).toBe('qboot');
    expect(scenario.cmdline).toMatch(/reboot=t/);
    if (scenario.accel === 'tcg') expect(scenario.cmdline).toMatch(/tsc_early_khz=/);
    expect(scenario.stages.shutdown.samples).toHaveLength(1);
    expect(scenario.stages.shutdown.median).toBeLessThan(5_000);
  });

  it('exits 3 at once when kvm: required meets an unusable KVM', async () => {
    const probe = await probeKvm(QEMU_BINARY);
    const dir = withScenarios({ 'kvm.yaml': base('needs-kvm', '').replace('kvm: auto', 'kvm: required') });
    const run = await runCli([dir, ...cacheArgs]);
    if (probe.usable) {
      // On a host with working KVM the scenario simply runs.
      expect([0, 1]).toContain(run.code);
      return;
    }
    expect(run.code).toBe(3);
    expect(run.stdout + run.stderr).toMatch(/KVM is required by this scenario \(kvm: required\) but is unusable/);
    expect(run.stdout + run.stderr).toMatch(/udevadm trigger --name-match=kvm/);
    expect(run.ms).toBeLessThan(15_000);
  });

  it('reports a kernel panic long before the timeout, with the panic line', async () => {
    const dir = withScenarios({
      'panic.yaml': base('panics', 'cmdline: console=ttyS0 quiet rdinit=/nonexistent\n').replace('timeout: 60s', 'timeout: 90s'),
    });
    const run = await runCli([dir, ...cacheArgs]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/kernel panic during kernel: Kernel panic - not syncing/);
    expect(run.ms).toBeLessThan(30_000);
  });

  it('kills QEMU and leaves nothing behind on SIGTERM mid-boot', async () => {
    const dir = withScenarios({ 'long.yaml': base('interrupted', 'run:\n  - sleep 30\n') });
    // A TMPDIR of its own, so that other processes' temp dirs cannot be mistaken for this run's leftovers.
    const tmp = withScenarios({});
    const handle = startCli([dir, ...cacheArgs], { env: { TMPDIR: tmp } });
    // Wait until a hypervisor is really running.
    const deadline = Date.now() + 30_000;
    while (hypervisorsMentioning(TEST_CACHE_DIR).length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(hypervisorsMentioning(TEST_CACHE_DIR)).toHaveLength(1);
    handle.child.kill('SIGTERM');
    const run = await handle.done;
    expect(run.code).toBe(143);
    expect(run.stderr).toMatch(/SIGTERM, stopped/);
    // tsx keeps its own compile cache in TMPDIR; only boot-budget's entries would be leftovers.
    expect(readdirSync(tmp).filter((f) => f.startsWith('boot-budget'))).toEqual([]);
  });
});
