import { availableParallelism } from 'node:os';
import { buildRootfs, resolveKernel } from '../artifacts/resolve.js';
import type { ArtifactContext } from '../artifacts/types.js';
import { chooseAccel, probeKvm, type KvmProbe } from '../boot/accel.js';
import { runPass } from '../boot/pass-runner.js';
import { qemuBackend } from '../boot/qemu.js';
import type { BootTrace, HypervisorBackend } from '../boot/types.js';
import { describeError, InfraError } from '../errors.js';
import { judgeStages, scenarioVerdict } from '../judge/budgets.js';
import type { ScenarioResult } from '../judge/types.js';
import { measurePass } from '../measure/measure-pass.js';
import { BUILTIN_STAGES } from '../measure/stages.js';
import type { PassMeasurement } from '../measure/types.js';
import type { Reporter } from '../report/reporter.js';
import type { HypervisorName, Scenario } from '../scenario/types.js';

export interface RunOptions {
  cacheDir: string;
  /** Override every scenario's `passes` / `warmup`. */
  passes?: number;
  warmup?: number;
}

export interface Ports {
  reporter: Reporter;
  /** Backends by name; tests and later issues may add more. */
  backends?: Partial<Record<HypervisorName, HypervisorBackend>>;
}

export interface RunResults {
  version: 1;
  scenarios: ScenarioResult[];
}

const DEFAULT_BACKENDS: Record<HypervisorName, HypervisorBackend> = { qemu: qemuBackend };

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
    try {
      const backend = backends[scenario.hypervisor];
      if (!backend) throw new InfraError(`hypervisor "${scenario.hypervisor}" has no backend in this build.`);
      const { binary, version } = await backend.detect();
      result.hypervisorVersion = version;

      // Settle the accelerator before any download or build, so `kvm: required` fails fast.
      if (!kvmProbes.has(binary)) kvmProbes.set(binary, probeKvm(binary));
      const choice = await chooseAccel(scenario.kvm, () => kvmProbes.get(binary)!);
      result.accel = choice.accel;
      if (choice.warning) result.accelWarning = choice.warning;
      ports.reporter.progress({ type: 'accel', scenario, accel: choice.accel, warning: choice.warning });

      const ctx: ArtifactContext = {
        cacheDir: options.cacheDir,
        log: (message) => ports.reporter.progress({ type: 'artifact', scenario, message }),
      };
      const kernel = await resolveKernel(scenario, ctx);
      const rootfs = await buildRootfs(scenario, ctx);
      result.kernel = kernel.description;
      result.rootfs = rootfs.description;

      const command = backend.command(binary, {
        kernel: kernel.path,
        initrd: rootfs.initrd,
        cmdline: scenario.cmdline,
        cpus: scenario.cpus,
        memoryMiB: scenario.memoryMiB,
        machine: scenario.machine,
        accel: choice.accel,
      });
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
        const measurement = measurePass(trace, scenario.stages, readyRegex);
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
      result.verdict = scenarioVerdict(result.stages);
    } catch (error) {
      if (!(error instanceof InfraError)) throw error;
      result.verdict = 'error';
      result.error = describeError(error);
    }
    ports.reporter.progress({ type: 'scenario-end', scenario, result });
    results.push(result);
  }
  return { version: 1, scenarios: results };
}
