import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_ARGS, runCli } from '../helpers/cli.js';
import { expectNoHypervisorsAfterEach, testDir } from '../helpers/vitest-dirs.js';

// The QEMU doorbell end to end under TCG: isa-debugcon at 0x402, rung by the agent through /dev/port, read by the
// host from a FIFO passed as QEMU's fd 3, and stamped apart from the serial console.

expectNoHypervisorsAfterEach();

describe('QEMU doorbell, real boot', () => {
  it('rings at init and ready; the doorbell stage ends just before the console ready marker', async () => {
    const dir = testDir({
      'doorbell.yaml': `name: qemu-doorbell
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
kvm: off
doorbell: true
passes: 1
warmup: 0
timeout: 90s
budgets:
  doorbell: 60s
`,
    });
    const json = join(dir, 'results.json');
    const run = await runCli([dir, '--json', json, ...CACHE_ARGS]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const scenario = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
    expect(scenario.cmdline).toContain('BOOT_BUDGET_DOORBELL=debugcon');
    const doorbell = scenario.stages.doorbell.samples[0];
    const total = scenario.stages.total.samples[0];
    const userspaceStart = scenario.stages.total.samples[0] - scenario.stages.userspace.samples[0];
    // The ring comes from the agent before its console marker: after init started, before (or at) console ready.
    expect(doorbell).toBeGreaterThan(userspaceStart);
    expect(doorbell).toBeLessThanOrEqual(total);
    expect(total - doorbell).toBeLessThan(500);
    expect(run.stdout).toMatch(/doorbell/);
  }, 180_000);
});
