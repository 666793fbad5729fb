import { constants } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { installMissingPackages, openKvmDevice, type HostPorts } from '../../src/action/host.js';
import { hostPackagesFor } from '../../src/artifacts/requirements.js';
import { loadScenarios } from '../../src/scenario/load.js';

/**
 * A recorder in place of the machine: what the Action would have run as root, and a /dev/kvm that opens only after
 * the udev rule was written. Nothing here touches the machine the tests run on.
 */
function fakeHost(options: { kvm: 'absent' | 'closed' | 'open' | 'stays-closed'; missing?: string[] }) {
  const ran: Array<{ argv: string[]; input?: string }> = [];
  let ruleWritten = false;
  const host: HostPorts = {
    async runAsRoot(argv, input) {
      ran.push({ argv, ...(input === undefined ? {} : { input }) });
      if (argv[0] === 'tee') ruleWritten = true;
      return 0;
    },
    async canAccess(_path, mode) {
      if (options.kvm === 'absent') return false;
      if (mode === constants.F_OK) return true;
      return options.kvm === 'open' || (options.kvm === 'closed' && ruleWritten);
    },
    async packageInstalled(name) {
      return !(options.missing ?? []).includes(name);
    },
  };
  return { host, ran };
}

describe("the Action's changes to its host", () => {
  it('writes the udev rule, reloads and triggers when /dev/kvm is closed, and reports it opened', async () => {
    const { host, ran } = fakeHost({ kvm: 'closed' });
    expect(await openKvmDevice('/dev/kvm', host)).toBe('opened');
    expect(ran).toEqual([
      {
        argv: ['tee', '/etc/udev/rules.d/99-kvm4all.rules'],
        input: 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"\n',
      },
      { argv: ['udevadm', 'control', '--reload-rules'] },
      { argv: ['udevadm', 'trigger', '--name-match=kvm'] },
      { argv: ['udevadm', 'settle'] },
    ]);
  });

  it('runs nothing when /dev/kvm is absent or already open, and says when the rule did not help', async () => {
    for (const [kvm, outcome] of [
      ['absent', 'absent'],
      ['open', 'accessible'],
    ] as const) {
      const { host, ran } = fakeHost({ kvm });
      expect(await openKvmDevice('/dev/kvm', host)).toBe(outcome);
      expect(ran).toEqual([]);
    }
    const { host } = fakeHost({ kvm: 'stays-closed' });
    expect(await openKvmDevice('/dev/kvm', host)).toBe('still-closed');
  });

  it('installs only the missing packages, with apt-get', async () => {
    // No scenarios: the Quick start's busybox scenario's packages (qemu-system-x86, busybox-static).
    const missing = [hostPackagesFor([])[1]!.name];
    expect(missing).toEqual(['busybox-static']);
    const { host, ran } = fakeHost({ kvm: 'open', missing });
    await installMissingPackages([], host);
    expect(ran.map((r) => r.argv)).toEqual([
      ['apt-get', 'update', '-qq'],
      [
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'apt-get',
        'install',
        '-y',
        '-qq',
        '--no-install-recommends',
        ...missing,
      ],
    ]);
    const complete = fakeHost({ kvm: 'open' });
    await installMissingPackages([], complete.host);
    expect(complete.ran).toEqual([]);
  });

  it('installs what the scenarios need, and refreshes the lists for an apt kernel even with nothing missing', async () => {
    const { scenarios } = await loadScenarios(['scenarios/'], join(import.meta.dirname, '..', '..'));
    const lacking = fakeHost({ kvm: 'open', missing: ['qemu-system-x86', 'e2fsprogs'] });
    await installMissingPackages(scenarios, lacking.host);
    // e2fsprogs is not asked for: no bundled scenario builds an ext4 image.
    expect(lacking.ran.map((r) => r.argv.at(-1))).toEqual(['-qq', 'qemu-system-x86']);
    const complete = fakeHost({ kvm: 'open' });
    await installMissingPackages(scenarios, complete.host);
    expect(complete.ran.map((r) => r.argv)).toEqual([['apt-get', 'update', '-qq']]);
  });
});
