/**
 * What every bench shares: the quick flag, statistics, a plain-text table, the JSON result file, a description of
 * the machine, and the bundled scenario turned into a QEMU command exactly as the core builds it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultCacheDir } from '../src/artifacts/cache-dir.js';
import { buildRootfs, resolveKernel } from '../src/artifacts/resolve.js';
import type { KernelArtifact, RootfsArtifact } from '../src/artifacts/types.js';
import { chooseAccel, KvmProver } from '../src/boot/accel.js';
import { guestCmdline } from '../src/boot/cmdline.js';
import { QEMU_BINARY, qemuBackend, qemuBios } from '../src/boot/qemu.js';
import type { HypervisorCommand } from '../src/boot/types.js';
import { cleanUpOnTermination } from '../src/core/signals.js';
import { quantile } from '../src/judge/statistics.js';
import { loadScenarioFile } from '../src/scenario/load.js';
import type { Accel, Clock, Firmware, Machine, Scenario } from '../src/scenario/types.js';

export const repo = resolve(import.meta.dirname, '..');

// A bench that is stopped (Ctrl-C, `timeout`, a cancelled CI job) leaves no QEMU or temp dir behind, like the CLI.
cleanUpOnTermination((signal, code) => {
  process.stderr.write(`\nbench: ${signal}, stopped; no hypervisor left running.\n`);
  process.exit(code);
});
export const quick = process.argv.includes('--quick');
export const resultsDir = process.env['BENCH_RESULTS'] ?? join(repo, 'bench', 'results');

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

/** The budgets' own quantile, so bench figures and reports agree on what a median is. */
export function percentile(values: readonly number[], p: number): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    p,
  );
}

export const fmtMs = (ms: number) =>
  Math.abs(ms) >= 1000
    ? `${(ms / 1000).toFixed(2)} s`
    : Math.abs(ms) >= 10
      ? `${ms.toFixed(0)} ms`
      : `${ms.toFixed(2)} ms`;
export const fmtUs = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
export const fmtRatio = (r: number) => r.toFixed(3);

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(r.map(String)))].join('\n');
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  qemu: string | null;
}

export function machineInfo(): MachineInfo {
  let qemu: string | null = null;
  try {
    qemu = /version\s+(\S+)/.exec(execFileSync(QEMU_BINARY, ['--version'], { encoding: 'utf8' }))?.[1] ?? null;
  } catch {
    qemu = null;
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    qemu,
  };
}

/** Writes bench/results/<name>.json: the figures, the machine, the mode and the time. */
export function writeResult(name: string, figures: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  const body = { bench: name, quick, date: new Date().toISOString(), machine: machineInfo(), figures };
  writeFileSync(file, `${JSON.stringify(body, null, 1)}\n`);
  return file;
}

const accelByMachine = new Map<Machine, Promise<{ accel: Accel; warning?: string }>>();
let prover: KvmProver | undefined;

/**
 * KVM when the core's own proof (the real-mode probe, then the bundled kernel booted under KVM on `machine`) says it
 * works, else TCG: every bench boots with the accelerator a user would get.
 */
export function benchAccel(machine: Machine = 'pc'): Promise<{ accel: Accel; warning?: string }> {
  let choice = accelByMachine.get(machine);
  if (!choice) {
    prover ??= new KvmProver(artifactCtx.cacheDir);
    const kvm = prover;
    choice = (async () => {
      const { loaded, kernel } = await bundledScenario();
      return chooseAccel(
        'auto',
        () => kvm.realMode(QEMU_BINARY),
        () =>
          kvm.kernel({
            backend: qemuBackend,
            binary: QEMU_BINARY,
            version: machineInfo().qemu ?? 'unknown',
            kernel: kernel.path,
            kernelLabel: kernel.description,
            machine,
            cpus: loaded.cpus,
            memoryMiB: loaded.memoryMiB,
            cmdline: loaded.cmdline,
          }),
      );
    })();
    accelByMachine.set(machine, choice);
  }
  return choice;
}

export interface Profile {
  label: string;
  machine: Machine;
  firmware: Firmware;
}

const artifactCtx = { cacheDir: defaultCacheDir(), log: (m: string) => process.stderr.write(`  ${m}\n`) };
let bundled: Promise<{ loaded: Scenario; kernel: KernelArtifact }> | undefined;
const rootfsByMachine = new Map<Machine, Promise<RootfsArtifact>>();

function bundledScenario(): Promise<{ loaded: Scenario; kernel: KernelArtifact }> {
  bundled ??= (async () => {
    const loaded = await loadScenarioFile(join(repo, 'scenarios', 'debian-cloud-busybox.yaml'), repo);
    return { loaded, kernel: await resolveKernel(loaded, artifactCtx) };
  })();
  return bundled;
}

/**
 * The bundled scenario with its machine and firmware replaced, as the QEMU command the core would run; on the virtual
 * clock (TCG with icount) when `clock` says so.
 */
export async function bundledCommand(
  profile?: Profile,
  clock: Clock = 'wall',
): Promise<{ scenario: Scenario; command: HypervisorCommand; accel: Accel }> {
  // Profiles change only machine and firmware, so the kernel is resolved once (each resolution asks apt and re-hashes
  // the cache entry).
  const { loaded, kernel } = await bundledScenario();
  const scenario: Scenario = profile ? { ...loaded, machine: profile.machine, firmware: profile.firmware } : loaded;
  const accel = clock === 'virtual' ? 'tcg' : (await benchAccel(scenario.machine)).accel;
  // Once per machine: a disk rootfs picks its root device by machine.
  if (!rootfsByMachine.has(scenario.machine))
    rootfsByMachine.set(scenario.machine, buildRootfs(scenario, artifactCtx, kernel));
  const rootfs = await rootfsByMachine.get(scenario.machine)!;
  const { bios } = qemuBios(scenario.machine, scenario.firmware);
  const command = qemuBackend.command(QEMU_BINARY, {
    kernel: kernel.path,
    ...(rootfs.initrd ? { initrd: rootfs.initrd } : {}),
    cmdline: guestCmdline(scenario, rootfs.cmdline),
    cpus: scenario.cpus,
    memoryMiB: scenario.memoryMiB,
    machine: scenario.machine,
    ...(bios ? { bios } : {}),
    accel,
    ...(clock === 'virtual' ? { clock } : {}),
  });
  return { scenario, command, accel };
}

export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}
