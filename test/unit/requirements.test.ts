import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptInstallCommand, hostPackagesFor, needsFreshAptLists } from '../../src/artifacts/requirements.js';
import { formatDoctorReport, gatherDoctorReport } from '../../src/boot/doctor.js';
import { loadScenarioFile, loadScenarios } from '../../src/scenario/load.js';
import { testDir } from '../helpers/vitest-dirs.js';

const REPO = join(import.meta.dirname, '..', '..');
const names = (pkgs: Array<{ name: string }>) => pkgs.map((p) => p.name);

describe('host packages derived from scenarios', () => {
  it('the bundled scenarios need QEMU and a static busybox, and so does the Quick start', async () => {
    const { scenarios, errors } = await loadScenarios(['scenarios/', 'scenarios/ab/', 'scenarios/kvm/'], REPO);
    expect(errors).toEqual([]);
    expect(names(hostPackagesFor(scenarios))).toEqual(['qemu-system-x86', 'busybox-static']);
    expect(names(hostPackagesFor([]))).toEqual(['qemu-system-x86', 'busybox-static']);
  });

  it('the bundled whole-disk scenario needs the packages its install line names, and no others', async () => {
    const file = 'scenarios/disk/uefi-systemd-boot.yaml';
    const scenario = await loadScenarioFile(file, REPO);
    const needed = names(hostPackagesFor([scenario]));
    expect(needed).toEqual([
      'qemu-system-x86',
      'busybox-static',
      'ovmf',
      'fdisk',
      'dosfstools',
      'mtools',
      'systemd-boot-efi',
    ]);
    const installLine = /sudo apt-get install (.+)/.exec(readFileSync(join(REPO, file), 'utf8'))![1]!;
    expect(installLine.trim().split(/\s+/).sort()).toEqual([...needed].sort());
  });

  it('an ext4 root from a .tar.xz and a kernel built from source add e2fsprogs, xz-utils and the build tools', async () => {
    const dir = testDir({
      'root.tar.xz': '',
      'built.yaml': [
        'name: built',
        'kernel: {build: {source: {apt: linux-source-6.1}, config: tinyconfig}}',
        'rootfs: {tarball: root.tar.xz, agent: false}',
        '',
      ].join('\n'),
    });
    const scenario = await loadScenarioFile('built.yaml', dir);
    expect(names(hostPackagesFor([scenario]))).toEqual([
      'qemu-system-x86',
      'e2fsprogs',
      'xz-utils',
      'build-essential',
      'bc',
      'flex',
      'bison',
      'libelf-dev',
      'libssl-dev',
    ]);
  });

  it('a Debian tree built by mmdebstrap adds mmdebstrap and the keyring Ubuntu lacks, and e2fsprogs for ext4', async () => {
    const dir = testDir({
      'sd.yaml': [
        'name: sd',
        'kernel: {apt: [linux-image-cloud-amd64, linux-image-virtual]}',
        'rootfs: {mmdebstrap: {suite: bookworm, include: [systemd-sysv]}}',
        'ready: {target: multi-user.target}',
        '',
      ].join('\n'),
    });
    const scenario = await loadScenarioFile('sd.yaml', dir);
    // busybox-static too: whether the built tree has an init of its own (else the busybox agent) shows only once built.
    expect(names(hostPackagesFor([scenario]))).toEqual([
      'qemu-system-x86',
      'busybox-static',
      'e2fsprogs',
      'mmdebstrap',
      'debian-archive-keyring',
    ]);
  });

  it('asks for fresh apt lists when a kernel comes from apt, not for a kernel file', async () => {
    const { scenarios } = await loadScenarios(['scenarios/'], REPO);
    expect(needsFreshAptLists(scenarios)).toBe(true);
    const dir = testDir({ bzImage: '', 'file.yaml': 'name: file\nkernel: {path: bzImage}\nrootfs: {busybox: {}}\n' });
    expect(needsFreshAptLists([await loadScenarioFile('file.yaml', dir)])).toBe(false);
  });

  it('doctor checks the given list with dpkg and prints the one apt-get line for what is missing', async () => {
    const packages = [
      { name: 'qemu-system-x86', why: 'installed on this machine' },
      { name: 'boot-budget-no-such-package', why: 'a name no archive has' },
    ];
    const report = await gatherDoctorReport(testDir(), async () => ({ usable: false, reason: 'not probed' }), packages);
    expect(report.missingPackages).toEqual(['boot-budget-no-such-package']);
    expect(report.installCommand).toBe(aptInstallCommand(['boot-budget-no-such-package']));
    const text = formatDoctorReport(report);
    expect(text).toContain('✗ missing: boot-budget-no-such-package');
    expect(text).toContain(
      'sudo apt-get update && sudo apt-get install -y --no-install-recommends boot-budget-no-such-package',
    );
  });
});
