/**
 * `boot-budget doctor`: what this host can boot with, and why not where it cannot. Gathering is separate from
 * printing so tests can check the facts without parsing text.
 */
import { execFile } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirBytes } from '../artifacts/cache/commands.js';
import { aptInstallCommand, type HostPackage, hostPackagesFor } from '../artifacts/requirements.js';
import { formatBytes } from '../artifacts/tree/tree-writer.js';
import { describeError } from '../errors.js';
import type { HypervisorName } from '../scenario/types.js';
import { probeKvm, type KvmProbe } from './accel.js';
import { HYPERVISORS } from './backends.js';
import { QEMU_BINARY } from './qemu.js';

export interface DoctorReport {
  hypervisors: Array<
    | { name: HypervisorName; found: true; binary: string; version: string }
    | { name: HypervisorName; found: false; problem: string; install: string }
  >;
  kvm: KvmProbe | { usable: false; reason: string; skipped: true };
  missingPackages: string[];
  installCommand: string | null;
  /** Every package looked for, missing or not. */
  checkedPackages?: string[];
  cache: { dir: string; bytes: number; exists: boolean };
}

/** Doctor's name for the cache-size walk, kept for the callers that import it from here. */
export { dirBytes as dirSize };

/**
 * Whether dpkg has `name` fully installed: a package removed with its configuration left behind is still known to
 * dpkg-query, so its exit status alone does not tell. Throws when dpkg-query itself cannot be run, which callers
 * report differently from a missing package.
 */
export async function packageInstalled(name: string): Promise<boolean> {
  try {
    const { stdout } = await promisify(execFile)('dpkg-query', ['-W', '-f', '${Status}', name]);
    return stdout.includes('install ok installed');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    return false;
  }
}

export async function gatherDoctorReport(
  cacheDir: string,
  probe: (qemu: string) => Promise<KvmProbe> = probeKvm,
  /** The packages to check: those of the scenarios doctor was given (src/artifacts/requirements.ts). */
  packages: readonly HostPackage[] = hostPackagesFor([]),
): Promise<DoctorReport> {
  const hypervisors: DoctorReport['hypervisors'] = [];
  for (const [name, info] of Object.entries(HYPERVISORS) as Array<
    [HypervisorName, (typeof HYPERVISORS)[HypervisorName]]
  >) {
    try {
      const { binary, version } = await info.backend.detect();
      hypervisors.push({ name, found: true, binary, version });
    } catch (error) {
      hypervisors.push({
        name,
        found: false,
        problem: describeError(error).split('\n')[0] ?? '',
        install: info.install,
      });
    }
  }
  const qemu = hypervisors.find((h) => h.name === 'qemu');
  const kvm = qemu?.found
    ? await probe(QEMU_BINARY)
    : {
        usable: false as const,
        reason: 'the KVM proof boots a QEMU test guest, and QEMU is missing',
        skipped: true as const,
      };
  const missingPackages: string[] = [];
  // Without dpkg-query nothing can be confirmed, so every package is listed with the command that would install it.
  for (const pkg of packages)
    if (!(await packageInstalled(pkg.name).catch(() => false))) missingPackages.push(pkg.name);
  const exists = await lstat(cacheDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return {
    hypervisors,
    kvm,
    missingPackages,
    installCommand: missingPackages.length ? aptInstallCommand(missingPackages) : null,
    checkedPackages: packages.map((p) => p.name),
    cache: { dir: cacheDir, bytes: exists ? await dirBytes(cacheDir) : 0, exists },
  };
}

export function formatDoctorReport(report: DoctorReport): string {
  const lines = ['hypervisors:'];
  for (const h of report.hypervisors) {
    lines.push(
      h.found ? `  ✓ ${h.name} ${h.version} (${h.binary})` : `  ✗ ${h.name}: ${h.problem}\n      install: ${h.install}`,
    );
  }
  lines.push(
    'kvm:',
    report.kvm.usable
      ? `  ✓ usable: a test guest ran under KVM in ${Math.round(report.kvm.ms)} ms`
      : `  ✗ unusable: ${report.kvm.reason}`,
  );
  if (!report.kvm.usable)
    lines.push('    boots under qemu fall back to TCG (kvm: auto); firecracker and cloud-hypervisor need KVM');
  lines.push('packages:');
  if (report.installCommand)
    lines.push(`  ✗ missing: ${report.missingPackages.join(', ')}`, `    ${report.installCommand}`);
  else lines.push(`  ✓ ${(report.checkedPackages ?? []).join(', ')}`);
  lines.push(
    'cache:',
    `  ${report.cache.dir}: ${report.cache.exists ? formatBytes(report.cache.bytes) : 'not created yet'}`,
  );
  return `${lines.join('\n')}\n`;
}
