/**
 * `kernel: {apt: [candidates]}` against recorded apt data (test/helpers/recorded-apt.ts): Debian 12's records were
 * captured on this machine; Ubuntu 24.04's were reconstructed from Ubuntu's package index pages, which
 * test/fixtures/apt/ubuntu-24.04.json cites record by record. No apt, network or root is used here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpretAptCacheShow } from '../../src/artifacts/kernel/apt-host.js';
import { aptKernelSource } from '../../src/artifacts/kernel/apt.js';
import { describeAptKernel, planAptKernel } from '../../src/artifacts/kernel/apt-resolve.js';
import { runScenarios } from '../../src/core/run-scenarios.js';
import { InfraError } from '../../src/errors.js';
import { annotationsFor } from '../../src/report/github/annotations.js';
import { silentReporter } from '../../src/report/reporter.js';
import { loadScenarioFile, loadScenarios } from '../../src/scenario/load.js';
import type { KernelSpec } from '../../src/scenario/types.js';
import { recordedApt } from '../helpers/recorded-apt.js';
import { testDir } from '../helpers/vitest-dirs.js';

const REPO = join(import.meta.dirname, '..', '..');
type AptSpec = Extract<KernelSpec, { kind: 'apt' }>;

/** Every bundled scenario's kernel: the top-level one, or a built disk image's own. */
async function bundledAptSpecs(): Promise<Array<{ file: string; spec: AptSpec }>> {
  const dirs = readdirSync(join(REPO, 'scenarios'), { withFileTypes: true }).filter((d) => d.isDirectory());
  const { scenarios, errors } = await loadScenarios(['scenarios/', ...dirs.map((d) => `scenarios/${d.name}/`)], REPO);
  expect(errors).toEqual([]);
  return scenarios.map((s) => {
    const kernel = s.rootfs.kind === 'disk-image' ? s.rootfs.kernel : s.kernel;
    expect(kernel?.kind, `${s.displayFile} should use kernel: {apt: …}`).toBe('apt');
    return { file: s.displayFile, spec: kernel as AptSpec };
  });
}

describe('candidate resolution', () => {
  it('every bundled scenario resolves to Debian 12 cloud kernel on Debian', async () => {
    const specs = await bundledAptSpecs();
    expect(specs.length).toBeGreaterThanOrEqual(4);
    for (const { file, spec } of specs) {
      const plan = await planAptKernel(spec.packages, recordedApt('debian-12'), spec.at);
      expect(plan, file).toMatchObject({
        requested: 'linux-image-cloud-amd64',
        skipped: [],
        image: { name: 'linux-image-6.1.0-57-cloud-amd64', version: '6.1.192-3' },
      });
      expect(plan.modules).toBeUndefined();
      expect(describeAptKernel(plan)).toBe(
        'linux-image-6.1.0-57-cloud-amd64 6.1.192-3 (apt via linux-image-cloud-amd64)',
      );
    }
  });

  it('every bundled scenario resolves to Ubuntu 24.04 generic kernel and its modules package on Ubuntu', async () => {
    for (const { file, spec } of await bundledAptSpecs()) {
      const apt = recordedApt('ubuntu-24.04');
      const plan = await planAptKernel(spec.packages, apt, spec.at);
      expect(plan, file).toMatchObject({
        requested: 'linux-image-kvm',
        skipped: ['linux-image-cloud-amd64'],
        image: { name: 'linux-image-6.8.0-71-generic', version: '6.8.0-71.71' },
        modules: { name: 'linux-modules-6.8.0-71-generic', version: '6.8.0-71.71' },
      });
      // The transitional kvm package → the virtual metapackage → the signed image.
      expect(apt.shown).toEqual([
        'linux-image-cloud-amd64',
        'linux-image-kvm',
        'linux-image-virtual',
        'linux-image-6.8.0-71-generic',
        'linux-modules-6.8.0-71-generic',
      ]);
      expect(describeAptKernel(plan)).toBe(
        'linux-image-6.8.0-71-generic 6.8.0-71.71 (apt via linux-image-kvm + linux-modules-6.8.0-71-generic)',
      );
    }
  });

  it('tries candidates in the order written', async () => {
    const plan = await planAptKernel(['linux-image-virtual', 'linux-image-cloud-amd64'], recordedApt('ubuntu-24.04'));
    expect(plan.requested).toBe('linux-image-virtual');
    expect(plan.skipped).toEqual([]);
  });

  it('a name that is only Provided (Debian 12 linux-image-generic: exit 0, no output) counts as absent', async () => {
    const apt = recordedApt('debian-12');
    const plan = await planAptKernel(['linux-image-generic', 'linux-image-cloud-amd64'], apt);
    expect(plan.skipped).toEqual(['linux-image-generic']);
    expect(plan.requested).toBe('linux-image-cloud-amd64');
  });

  it('a list that names no package apt has is an error at the key naming every name tried', async () => {
    const dir = testDir({
      'nothing.yaml': [
        'name: nothing-here',
        'rootfs: {busybox: {}}',
        'kernel:',
        '  apt:',
        '    - linux-image-kvm',
        '    - linux-image-virtual',
        '    - linux-image-generic',
        '',
      ].join('\n'),
    });
    const scenario = await loadScenarioFile('nothing.yaml', dir);
    const spec = scenario.kernel as AptSpec;
    const error = await planAptKernel(spec.packages, recordedApt('debian-12'), spec.at).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as InfraError).message).toBe(
      'nothing.yaml:4:3: kernel.apt: apt on this host (Debian GNU/Linux 12 (bookworm)) has none of linux-image-kvm, linux-image-virtual, linux-image-generic.',
    );
    expect((error as InfraError).hint).toMatch(/apt-get update/);
    expect((error as InfraError).at).toEqual({ line: 4, column: 3 });
  });

  it('names the host from its os-release: Ubuntu', async () => {
    const error = await planAptKernel(['linux-image-cloud-amd64'], recordedApt('ubuntu-24.04')).catch((e) => e);
    expect((error as Error).message).toBe(
      'kernel.apt: apt on this host (Ubuntu 24.04.1 LTS) has no package linux-image-cloud-amd64.',
    );
  });
});

describe('on this host (real apt-cache)', () => {
  it('a run annotates the kernel.apt line when no candidate exists, and boots nothing', async () => {
    const dir = testDir({
      'nowhere.yaml': [
        'name: nowhere',
        'kvm: off',
        'kernel:',
        '  apt: [boot-budget-no-such-kernel, linux-image-no-such-flavour]',
        'rootfs: {busybox: {}}',
        '',
      ].join('\n'),
    });
    const scenario = await loadScenarioFile('nowhere.yaml', dir);
    const results = await runScenarios([scenario], { cacheDir: testDir() }, { reporter: silentReporter });
    const [result] = results.scenarios;
    expect(result?.verdict).toBe('error');
    expect(result?.error).toMatch(
      /^nowhere\.yaml:4:3: kernel\.apt: apt on this host \(.*\) has none of boot-budget-no-such-kernel, linux-image-no-such-flavour\./,
    );
    expect(result?.errorAt).toEqual({ line: 4, column: 3 });
    const [annotation] = annotationsFor(results, { cwd: dir, workspace: dir });
    expect(annotation).toMatchObject({ level: 'error', file: 'nowhere.yaml', line: 4, column: 3 });
  });
});

describe('unpacking into the store', () => {
  it('Ubuntu: vmlinuz from the image package (0600 made readable), modules and config from linux-modules-*', async () => {
    const apt = recordedApt('ubuntu-24.04');
    const cacheDir = testDir();
    const kernel = await aptKernelSource(apt).resolve(
      { kind: 'apt', packages: ['linux-image-cloud-amd64', 'linux-image-virtual'] },
      { cacheDir, log: () => {} },
    );
    expect(apt.unpacked).toEqual([
      'linux-image-6.8.0-71-generic=6.8.0-71.71',
      'linux-modules-6.8.0-71-generic=6.8.0-71.71',
    ]);
    expect(readFileSync(kernel.path, 'utf8')).toBe('linux-image-6.8.0-71-generic ./boot/vmlinuz-6.8.0-71-generic\n');
    expect(statSync(kernel.path).mode & 0o777).toBe(0o644);
    expect(existsSync(join(kernel.modulesDir!, '6.8.0-71-generic', 'modules.builtin'))).toBe(true);
    expect(readFileSync(kernel.configPath!, 'utf8')).toBe(
      'linux-modules-6.8.0-71-generic ./boot/config-6.8.0-71-generic\n',
    );
    expect(kernel.description).toBe(
      'linux-image-6.8.0-71-generic 6.8.0-71.71 (apt via linux-image-virtual + linux-modules-6.8.0-71-generic)',
    );

    // The second resolve is served from the store: nothing is unpacked again.
    await aptKernelSource(apt).resolve({ kind: 'apt', packages: ['linux-image-virtual'] }, { cacheDir, log: () => {} });
    expect(apt.unpacked).toHaveLength(2);
  });

  it('Debian: one package holds vmlinuz, config and /lib/modules', async () => {
    const apt = recordedApt('debian-12');
    const kernel = await aptKernelSource(apt).resolve(
      { kind: 'apt', packages: ['linux-image-cloud-amd64'] },
      { cacheDir: testDir(), log: () => {} },
    );
    expect(apt.unpacked).toEqual(['linux-image-6.1.0-57-cloud-amd64=6.1.192-3']);
    expect(readFileSync(kernel.path, 'utf8')).toMatch(/\.\/boot\/vmlinuz-6\.1\.0-57-cloud-amd64/);
    expect(existsSync(join(kernel.modulesDir!, '6.1.0-57-cloud-amd64', 'modules.builtin'))).toBe(true);
    expect(kernel.configPath).toBeDefined();
  });
});

describe('apt-cache show output', () => {
  it('exit 100 "No packages found" is absence; any other failure is an error', () => {
    expect(interpretAptCacheShow('x', { status: 100, stdout: '', stderr: 'E: No packages found\n' })).toBeNull();
    expect(() =>
      interpretAptCacheShow('x', { status: 100, stdout: '', stderr: 'E: Could not open lock file\n' }),
    ).toThrow(/apt-cache show x failed \(status 100\): E: Could not open lock file/);
  });
});
