import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_ARGS, runCli } from '../helpers/cli.js';
import { expectNoHypervisorsAfterEach, testDir } from '../helpers/vitest-dirs.js';

// Real boots under Firecracker and Cloud Hypervisor. Neither is packaged in Debian or npm, so on machines without the
// binary these are reported as skipped, with the reason in the test name, never as passed. Both need working KVM.

function onPath(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', binary], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

expectNoHypervisorsAfterEach();

const scenario = (hypervisor: string) => `name: ${hypervisor}-boot
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
hypervisor: ${hypervisor}
kvm: required
doorbell: true
passes: 1
warmup: 0
timeout: 60s
`;

for (const hypervisor of ['firecracker', 'cloud-hypervisor']) {
  const has = onPath(hypervisor);
  describe(hypervisor, () => {
    it.skipIf(!has)(
      `boots under ${hypervisor}${has ? '' : ` (skipped: ${hypervisor} not on PATH)`}, with its doorbell`,
      async () => {
        const dir = testDir({ 'boot.yaml': scenario(hypervisor) });
        const json = join(dir, 'results.json');
        const run = await runCli([dir, '--json', json, ...CACHE_ARGS]);
        expect(run.code, run.stderr).toBe(0);
        const result = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
        expect(result.hypervisor).toBe(hypervisor);
        expect(result.stages.total.samples).toHaveLength(1);
        expect(result.stages.doorbell.samples[0]).toBeLessThanOrEqual(result.stages.total.samples[0]);
      },
      180_000,
    );
  });
}
