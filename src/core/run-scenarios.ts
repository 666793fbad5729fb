import { availableParallelism } from 'node:os';
import { buildRootfs, resolveKernel } from '../artifacts/resolve.js';
import { addKernelParams } from '../artifacts/rootfs/root-device.js';
import type { ArtifactContext, RemoteCache } from '../artifacts/types.js';
import { chooseAccel, probeKvm, type KvmProbe } from '../boot/accel.js';
import { runPass } from '../boot/pass-runner.js';
import { HYPERVISORS } from '../boot/backends.js';
import { QEMU_BINARY } from '../boot/qemu.js';
import type { BootTrace, HypervisorBackend } from '../boot/types.js';
import { describeError, InfraError } from '../errors.js';
import { judgeStages, scenarioVerdict } from '../judge/budgets.js';
import { alignmentSummary } from '../judge/diagnosis.js';
import type { ScenarioResult } from '../judge/types.js';
import { measurePass } from '../measure/measure-pass.js';
import { BUILTIN_STAGES } from '../measure/stages.js';
import type { PassMeasurement } from '../measure/types.js';
import type { Reporter } from '../report/reporter.js';
import type { HypervisorName, KvmMode, Scenario } from '../scenario/types.js';

export interface RunOptions {
  cacheDir: string;
  /** Override every scenario's `passes` / `warmup`. */
  passes?: number;
  warmup?: number;
  /** Override every scenario's `kvm`, e.g. from the Action's `kvm` input. */
  kvm?: KvmMode;
}

export interface Ports {
  reporter: Reporter;
  /** Backends by name; tests and later issues may add more. */
  backends?: Partial<Record<HypervisorName, HypervisorBackend>>;
  /** A cache shared between machines (the Action passes its @actions/cache adapter); artifacts fall back to it. */
  remoteCache?: RemoteCache;
}

export interface RunResults {
  version: 1;
  scenarios: ScenarioResult[];
}

const DEFAULT_BACKENDS = Object.fromEntries(
  Object.entries(HYPERVISORS).map(([name, info]) => [name, info.backend]),
) as Record<HypervisorName, HypervisorBackend>;

/** Explains a pass that did not reach the ready marker; such a pass cannot be measured, so the scenario errors. */
export function describeFailedPass(trace: BootTrace, timeoutMs: number): string {
  const { outcome, reached } = trace;
  const stderr = trace.stderrTail ? ` Hypervisor said: ${trace.stderrTail.split('\n').slice(-3).join(' | ')}` : '';
  switch (outcome.kind) {
    case 'panic':
      return `kernel panic during ${reached}: ${outcome.line}`;
    case 'timeout':
      return `no ready marker within the ${timeoutMs} ms timeout; last stage reached: ${reached}.`;
    case 'spawn-failed':
      return `the hypervisor could not be started: ${outcome.message}`;
    case 'exited':
      return `the hypervisor exited (${outcome.signal ? `signal ${outcome.signal}` : `status ${outcome.code}`}) before the ready marker; last stage reached: ${reached}.${stderr}`;
  }
}

function passReachedReady(trace: BootTrace): boolean {
  return trace.reached === 'ready' || trace.reached === 'shutdown';
}

/**
 * The one core behind the CLI and the Action: artifacts → accelerator → warm-up and measured passes → stages →
 * verdicts. Infrastructure failures of one scenario become that scenario's `error` verdict; the rest still run.
 */
export async function runScenarios(scenarios: readonly Scenario[], options: RunOptions, ports: Ports): Promise<RunResults> {
  const backends = { ...DEFAULT_BACKENDS, ...ports.backends };
  const results: ScenarioResult[] = [];
  // One probe per hypervisor binary per run: the answer does not change between scenarios.
  const kvmProbes = new Map<string, Promise<KvmProbe>>();

  for (const [index, scenario] of scenarios.entries()) {
    ports.reporter.progress({ type: 'scenario-start', scenario, index, count: scenarios.length });
    const passes = options.passes ?? scenario.passes;
    const warmup = options.warmup ?? scenario.warmup;
    const result: ScenarioResult = {
      name: scenario.name,
      file: scenario.displayFile,
      accel: null,
      hypervisor: scenario.hypervisor,
      hypervisorVersion: null,
      machine: scenario.machine,
      cmdline: null,
      kernel: null,
      rootfs: null,
      hostCpus: availableParallelism(),
      warmup,
      passes,
      stages: [],
      verdict: 'error',
    };
    // What a backend put on disk for its command (Firecracker's config file) lives until the scenario's last pass.
    let releaseCommand: (() => void) | undefined;
    try {
      const backend = backends[scenario.hypervisor];
      if (!backend) throw new InfraError(`hypervisor "${scenario.hypervisor}" has no backend in this build.`);
      const { binary, version } = await backend.detect();
      result.hypervisorVersion = version;

      // Settle the accelerator before any download or build, so `kvm: required` fails fast.
      // The KVM proof is a QEMU boot sector, so other hypervisors are vouched for by QEMU's probe of the same /dev/kvm.
      const prober = scenario.hypervisor === 'qemu' ? binary : QEMU_BINARY;
      if (!kvmProbes.has(prober)) kvmProbes.set(prober, probeKvm(prober));
      const choice = await chooseAccel(options.kvm ?? scenario.kvm, () => kvmProbes.get(prober)!);
      if (!HYPERVISORS[scenario.hypervisor].accels.includes(choice.accel)) {
        throw new InfraError(
          `${scenario.hypervisor} runs guests only under ${HYPERVISORS[scenario.hypervisor].accels.join(' or ')}, and ${choice.accel} was chosen${choice.warning ? `: ${choice.warning}` : '.'}`,
        );
      }
      result.accel = choice.accel;
      if (choice.warning) result.accelWarning = choice.warning;
      ports.reporter.progress({ type: 'accel', scenario, accel: choice.accel, warning: choice.warning });

      const ctx: ArtifactContext = {
        cacheDir: options.cacheDir,
        log: (message) => ports.reporter.progress({ type: 'artifact', scenario, message }),
        live: (message) => ports.reporter.progress({ type: 'artifact-progress', scenario, message }),
        ...(ports.remoteCache ? { remoteCache: ports.remoteCache } : {}),
      };
      const kernel = await resolveKernel(scenario, ctx);
      const rootfs = await buildRootfs(scenario, ctx, kernel);
      result.kernel = kernel.description;
      result.rootfs = rootfs.description;

      const bootKernel = backend.prepareKernel ? await backend.prepareKernel(kernel.path, options.cacheDir, ctx.log) : kernel.path;
      const command = backend.command(binary, {
        doorbell: scenario.doorbell,
        kernel: bootKernel,
        initrd: rootfs.initrd,
        cmdline: addKernelParams(scenario.cmdline, rootfs.cmdline),
        ...(rootfs.drives?.length
          ? { drives: rootfs.drives, disk: { path: rootfs.drives[0]!.path, readOnly: true } }
          : {}),
        cpus: scenario.cpus,
        memoryMiB: scenario.memoryMiB,
        machine: scenario.machine,
        accel: choice.accel,
      });
      releaseCommand = command.release;
      result.cmdline = command.cmdline;
      const readyRegex = scenario.ready.kind === 'regex' ? scenario.ready.regex : undefined;

      const measured: PassMeasurement[] = [];
      const total = warmup + passes;
      for (let i = 0; i < total; i++) {
        const isWarmup = i < warmup;
        const pass = isWarmup ? i + 1 : i - warmup + 1;
        const of = isWarmup ? warmup : passes;
        ports.reporter.progress({ type: 'pass-start', scenario, pass, of, warmup: isWarmup });
        const trace = await runPass(command, {
          accel: choice.accel,
          timeoutMs: scenario.timeoutMs,
          readyRegex,
          onStage: (stage) => ports.reporter.progress({ type: 'pass-stage', scenario, pass, of, warmup: isWarmup, stage }),
        });
        if (!passReachedReady(trace)) {
          throw new InfraError(`${isWarmup ? 'warm-up' : 'measured'} pass ${pass}/${of}: ${describeFailedPass(trace, scenario.timeoutMs)}`);
        }
        const measurement = measurePass(trace, scenario.stages, readyRegex, { machine: scenario.machine, cmdline: command.cmdline });
        ports.reporter.progress({
          type: 'pass-end',
          scenario,
          pass,
          of,
          warmup: isWarmup,
          totalMs: measurement.stages.find((s) => s.name === 'total')?.ms ?? null,
        });
        if (!isWarmup) measured.push(measurement);
      }

      result.stages = judgeStages(measured, BUILTIN_STAGES.map((s) => s.name), scenario.budgets);
      const alignment = alignmentSummary(measured);
      if (alignment) result.alignment = alignment;
      const withSystemd = measured.find((m) => m.systemd);
      if (withSystemd?.systemd) result.systemd = withSystemd.systemd;
      const withUnits = measured.find((m) => m.units.length > 0);
      if (withUnits) result.units = withUnits.units;
      result.verdict = scenarioVerdict(result.stages);
    } catch (error) {
      if (!(error instanceof InfraError)) throw error;
      result.verdict = 'error';
      result.error = describeError(error);
    } finally {
      releaseCommand?.();
    }
    ports.reporter.progress({ type: 'scenario-end', scenario, result });
    results.push(result);
  }
  return { version: 1, scenarios: results };
}
