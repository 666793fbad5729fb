/**
 * `boot-budget doctor`: what this host can boot with, and why not where it cannot. Gathering is separate from
 * printing so tests can check the facts without parsing text.
 */
import { execFile } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dirBytes } from '../artifacts/cache/commands.js';
import { aptInstallCommand, type HostPackage, hostPackagesFor } from '../artifacts/requirements.js';
import { resolveKernel } from '../artifacts/resolve.js';
import { formatBytes } from '../artifacts/tree/tree-writer.js';
import { describeError } from '../errors.js';
import type { HypervisorName, Scenario } from '../scenario/types.js';
import { KvmProver, probeKvm, type KvmProbe, type ProofAnswer } from './accel.js';
import { HYPERVISORS } from './backends.js';
import type { KernelProof, KernelProofTarget } from './kvm/kernel-proof.js';
import { kvmDevice } from './kvm/real-mode-probe.js';
import { resolveSetpriv } from './processes.js';
import { QEMU_BINARY } from './qemu.js';

const SCENARIO_DIR = 'scenarios';

/**
 * The Quick start's scenario, shipped in the package (`files`) two levels above src/boot and dist/cli alike. The path
 * is joined at run time from a variable: ncc treats a literal `new URL('…', import.meta.url)` as an asset, copies it
 * into dist/ and rewrites the URL into one that no longer parses, which crashed the Action bundle at start-up.
 */
export function bundledScenario(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', SCENARIO_DIR, 'debian-cloud-busybox.yaml');
}

/** The kernel proof for one scenario's kernel, or why it was not run. */
export interface DoctorKernelProof {
  scenario: string;
  hypervisor: HypervisorName;
  machine: string;
  kernel: string | null;
  proof: ProofAnswer | { skipped: string };
}

export interface DoctorReport {
  hypervisors: Array<
    | { name: HypervisorName; found: true; binary: string; version: string }
    | { name: HypervisorName; found: false; problem: string; install: string }
  >;
  /** The real-mode probe (after the device check it starts with). */
  kvm: KvmProbe | { usable: false; reason: string; skipped: true };
  /** The device node alone, so that doctor can show it as its own step. */
  kvmDevice?: { ok: true } | { ok: false; reason: string };
  /** The kernel proof for the kernel of each scenario doctor was given (or of the bundled one). */
  kernelProofs?: DoctorKernelProof[];
  /** Whether hypervisors are started under `setpriv --pdeathsig KILL` (processes.ts). */
  setpriv?: string | null;
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

/** What the kernel proofs need besides the scenarios; tests replace the proof boot. */
export interface DoctorProofs {
  scenarios: readonly Scenario[];
  prove?: (target: KernelProofTarget) => Promise<KernelProof>;
}

export async function gatherDoctorReport(
  cacheDir: string,
  probe: (qemu: string) => Promise<KvmProbe> = probeKvm,
  /** The packages to check: those of the scenarios doctor was given (src/artifacts/requirements.ts). */
  packages: readonly HostPackage[] = hostPackagesFor([]),
  proofs: DoctorProofs = { scenarios: [] },
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
  const device = await kvmDevice();
  const qemu = hypervisors.find((h) => h.name === 'qemu');
  const prover = new KvmProver(cacheDir, { probe, ...(proofs.prove ? { prove: proofs.prove } : {}) });
  const kvm = qemu?.found
    ? await prover.realMode(QEMU_BINARY)
    : {
        usable: false as const,
        reason: 'the real-mode probe boots a QEMU test guest, and QEMU is missing',
        skipped: true as const,
      };
  const kernelProofs: DoctorKernelProof[] = [];
  for (const scenario of proofs.scenarios) {
    const entry = { scenario: scenario.name, hypervisor: scenario.hypervisor, machine: scenario.machine };
    const found = hypervisors.find((h) => h.name === scenario.hypervisor);
    if (!found?.found) {
      kernelProofs.push({ ...entry, kernel: null, proof: { skipped: `${scenario.hypervisor} is not installed` } });
      continue;
    }
    // Run even when the real-mode probe failed (a run would stop there): doctor shows what each step sees.
    if (!device.ok) {
      kernelProofs.push({ ...entry, kernel: null, proof: { skipped: device.reason } });
      continue;
    }
    try {
      const ctx = { cacheDir, log: () => {} };
      const kernel = await resolveKernel(scenario, ctx);
      const backend = HYPERVISORS[scenario.hypervisor].backend;
      const bootKernel = backend.prepareKernel
        ? await backend.prepareKernel(kernel.path, cacheDir, ctx.log)
        : kernel.path;
      const proof = await prover.kernel({
        backend,
        binary: found.binary,
        version: found.version,
        kernel: bootKernel,
        kernelLabel: kernel.description,
        machine: scenario.machine,
        cpus: scenario.cpus,
        memoryMiB: scenario.memoryMiB,
        cmdline: scenario.cmdline,
      });
      kernelProofs.push({ ...entry, kernel: kernel.description, proof });
    } catch (error) {
      kernelProofs.push({
        ...entry,
        kernel: null,
        proof: { skipped: `its kernel could not be resolved: ${describeError(error).split('\n')[0]}` },
      });
    }
  }
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
    kvmDevice: device,
    kernelProofs,
    setpriv: resolveSetpriv(),
    missingPackages,
    installCommand: missingPackages.length ? aptInstallCommand(missingPackages) : null,
    checkedPackages: packages.map((p) => p.name),
    cache: { dir: cacheDir, bytes: exists ? await dirBytes(cacheDir) : 0, exists },
  };
}

function kernelProofLines(entry: DoctorKernelProof): string[] {
  const what = `${entry.scenario} (${entry.kernel ?? 'kernel not resolved'}, ${entry.hypervisor} ${entry.machine})`;
  const { proof } = entry;
  if ('skipped' in proof) return [`  · kernel proof, ${what}: not run, ${proof.skipped}`];
  const cached = proof.cached ? ` (remembered from ${proof.cached.provedAt})` : '';
  if (proof.ok) return [`  ✓ kernel proof, ${what}: ${proof.end} after ${Math.round(proof.ms)} ms${cached}`];
  return [`  ✗ kernel proof, ${what}${cached}:`, `      ${proof.reason}`];
}

export function formatDoctorReport(report: DoctorReport): string {
  const lines = ['hypervisors:'];
  for (const h of report.hypervisors) {
    lines.push(
      h.found ? `  ✓ ${h.name} ${h.version} (${h.binary})` : `  ✗ ${h.name}: ${h.problem}\n      install: ${h.install}`,
    );
  }
  lines.push('kvm:');
  if (report.kvmDevice)
    lines.push(report.kvmDevice.ok ? '  ✓ /dev/kvm opens for read and write' : `  ✗ ${report.kvmDevice.reason}`);
  if (!report.kvmDevice || report.kvmDevice.ok)
    lines.push(
      report.kvm.usable
        ? `  ✓ real-mode probe: a 512-byte test guest ran under KVM in ${Math.round(report.kvm.ms)} ms`
        : `  ✗ real-mode probe: ${report.kvm.reason}`,
    );
  for (const entry of report.kernelProofs ?? []) lines.push(...kernelProofLines(entry));
  const kernelsFail = (report.kernelProofs ?? []).some((e) => !('skipped' in e.proof) && !e.proof.ok);
  if (!report.kvm.usable || kernelsFail)
    lines.push('    boots under qemu fall back to TCG (kvm: auto); firecracker and cloud-hypervisor need KVM');
  if (report.setpriv !== undefined)
    lines.push(
      'processes:',
      report.setpriv
        ? `  ✓ hypervisors start under ${report.setpriv} --pdeathsig KILL: they die with boot-budget, even on SIGKILL`
        : '  ✗ setpriv (util-linux) is missing: a boot-budget killed with SIGKILL may leave its hypervisor running',
    );
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
