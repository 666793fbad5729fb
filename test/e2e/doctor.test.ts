import { describe, expect, it } from 'vitest';
import { CACHE_ARGS, runCli } from '../helpers/cli.js';
import { testDir } from '../helpers/vitest-dirs.js';

// `boot-budget doctor PATHS` as a user runs it: the packages it checks come from the scenarios it is given
// (src/artifacts/requirements.ts), the same list the Action's `install: true` installs. It boots only the KVM proof.
describe('doctor PATHS', () => {
  it('checks the packages the given scenarios need, and only the Quick start needs without PATHS', async () => {
    const plain = await runCli(['doctor', ...CACHE_ARGS]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^packages:\n {2}✓ qemu-system-x86, busybox-static$/m);

    const dir = testDir({
      'rootfs.tar': '',
      'ext4.yaml': 'name: ext4\nkernel: {apt: linux-image-cloud-amd64}\nrootfs: {tarball: rootfs.tar, agent: false}\n',
    });
    const derived = await runCli(['doctor', dir, ...CACHE_ARGS]);
    expect(derived.code).toBe(0);
    // No busybox (agent: false), but e2fsprogs for the ext4 image; all installed on this machine.
    expect(derived.stdout).toMatch(/^packages:\n {2}✓ qemu-system-x86, e2fsprogs$/m);
  });

  it('exits 2 on a bad scenario, naming it', async () => {
    const dir = testDir({ 'bad.yaml': 'name: bad\nkernel: {apt: []}\nrootfs: {busybox: {}}\n' });
    const run = await runCli(['doctor', dir, ...CACHE_ARGS]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('bad.yaml:2:10: kernel.apt: list at least one kernel package');
  });
});
