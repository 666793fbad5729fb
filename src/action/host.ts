import * as core from '@actions/core';
import * as exec from '@actions/exec';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { hostPackagesFor, needsFreshAptLists } from '../artifacts/requirements.js';
import { packageInstalled } from '../boot/doctor.js';
import type { Scenario } from '../scenario/types.js';

const asRoot = (argv: string[]): [string, string[]] =>
  process.getuid?.() === 0 ? [argv[0]!, argv.slice(1)] : ['sudo', ['-n', ...argv]];

/**
 * What the Action may do to the machine it runs on: run a command as root, ask whether a file opens, whether a
 * package is installed. A runner is a throwaway VM; a developer's machine running the tests is not, so the tests
 * inject their own (test/unit/action-host.test.ts) and check what the bundle tried (test/e2e/action.test.ts).
 */
export interface HostPorts {
  runAsRoot(argv: string[], input?: string): Promise<number>;
  canAccess(path: string, mode: number): Promise<boolean>;
  packageInstalled(name: string): Promise<boolean>;
}

export const systemHost: HostPorts = {
  runAsRoot(argv, input) {
    const [file, args] = asRoot(argv);
    return exec.exec(file, args, {
      ignoreReturnCode: true,
      silent: false,
      ...(input === undefined ? {} : { input: Buffer.from(input) }),
    });
  },
  canAccess: (path, mode) =>
    access(path, mode).then(
      () => true,
      () => false,
    ),
  packageInstalled,
};

/** The Action's two changes to the host, as run-action.ts calls them. */
export interface HostActions {
  installMissingPackages(scenarios: readonly Scenario[]): Promise<void>;
  openKvmDevice(): Promise<'absent' | 'accessible' | 'opened' | 'still-closed'>;
}

export const systemHostActions: HostActions = {
  installMissingPackages: (scenarios) => installMissingPackages(scenarios),
  openKvmDevice: () => openKvmDevice(),
};

/**
 * Installs with apt what these scenarios need and the runner lacks (the same table `doctor` checks); on a runner
 * without apt it only warns, and the run reports what is absent. The package lists are refreshed also when nothing
 * is missing but a scenario fetches its kernel with apt: a runner image's lists can name kernel versions the archive
 * has since replaced, and `apt-get download` of those fails.
 */
export async function installMissingPackages(
  scenarios: readonly Scenario[],
  host: HostPorts = systemHost,
): Promise<void> {
  const run = host.runAsRoot;
  const missing: string[] = [];
  try {
    for (const { name } of hostPackagesFor(scenarios)) if (!(await host.packageInstalled(name))) missing.push(name);
  } catch {
    core.warning('install: dpkg-query is not available on this runner; install QEMU and a static busybox yourself.');
    return;
  }
  if (missing.length === 0 && !needsFreshAptLists(scenarios)) return;
  await core.group(
    missing.length ? `Installing ${missing.join(', ')}` : 'Refreshing the apt package lists',
    async () => {
      if ((await run(['apt-get', 'update', '-qq'])) !== 0)
        core.warning('apt-get update failed; trying the install anyway.');
      if (missing.length === 0) return;
      const status = await run([
        'env',
        'DEBIAN_FRONTEND=noninteractive',
        'apt-get',
        'install',
        '-y',
        '-qq',
        '--no-install-recommends',
        ...missing,
      ]);
      if (status !== 0)
        core.warning(
          `apt-get install ${missing.join(' ')} failed (status ${status}); boots will fail if QEMU or busybox is missing.`,
        );
    },
  );
}

const UDEV_RULE = 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"\n';

/**
 * GitHub's Linux runners have /dev/kvm but the runner user cannot open it. The known recipe is a udev rule that opens
 * the device to everyone, then a reload and a trigger. The KVM proof runs afterwards anyway, so this only widens
 * access; it never decides that KVM works.
 */
export async function openKvmDevice(
  device = '/dev/kvm',
  host: HostPorts = systemHost,
): Promise<'absent' | 'accessible' | 'opened' | 'still-closed'> {
  if (!(await host.canAccess(device, constants.F_OK))) return 'absent';
  const run = host.runAsRoot;
  const canOpen = () => host.canAccess(device, constants.R_OK | constants.W_OK);
  if (await canOpen()) return 'accessible';
  await core.group('Opening /dev/kvm to the runner user (udev rule)', async () => {
    await run(['tee', '/etc/udev/rules.d/99-kvm4all.rules'], UDEV_RULE);
    await run(['udevadm', 'control', '--reload-rules']);
    await run(['udevadm', 'trigger', '--name-match=kvm']);
    await run(['udevadm', 'settle']);
  });
  return (await canOpen()) ? 'opened' : 'still-closed';
}
