import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type { ArtifactContext, InitInfo, RemoteCache } from '../artifacts/types.js';
import type { PassMeasurement } from '../measure/types.js';
import { unseenBudgetReasons } from '../judge/unseen.js';
import { neutraliseResult } from '../report/untrusted.js';
import {
  afterKvmStall,
  type AccelChoice,
  chooseAccel,
  KvmProver,
  KVM_HOWTO,
  KvmStallError,
  type ProofTarget,
} from '../boot/accel.js';
import { HYPERVISORS } from '../boot/backends.js';
import { findOnPath } from '../boot/processes.js';
import { QEMU_BINARY } from '../boot/qemu.js';
import type { BootTrace, HypervisorBackend } from '../boot/types.js';
import { describeError, InfraError } from '../errors.js';
import { judgeStages, scenarioVerdict } from '../judge/budgets.js';
import { alignmentSummary } from '../judge/diagnosis.js';
import type { RunResults, ScenarioResult } from '../judge/types.js';
import { passTimeline } from '../measure/pass-timeline.js';
import { stageOrderFor } from '../measure/stages.js';
import type { Reporter } from '../report/reporter.js';
import type { Accel, HypervisorName, KernelSpec, KvmMode, Scenario } from '../scenario/types.js';
import { DEFAULT_MAX_PASSES, VIRTUAL_EARLY_STOP, variesLittle } from '../judge/adaptive.js';
import { compareScenario } from '../judge/compare.js';
import { type RegressionSettings, regressionSettings } from '../judge/regression.js';
import { ICOUNT } from '../boot/icount.js';
import {
  baselineScenario,
  baselineSpecFor,
  prepareBoot,
  runSides,
  type BootSide,
  type PreparedBoot,
} from './passes.js';

export interface RunOptions {
  cacheDir: string;
  /** Override every scenario's `passes` / `warmup`. */
  passes?: number;
  warmup?: number;
  /** Override every scenario's `kvm`, e.g. from the Action's `kvm` input. */
  kvm?: KvmMode;
  /** Override every scenario's `max-passes`. */
  maxPasses?: number;
  /** Virtual-clock passes booted at once (default: the host's CPU count); wall-clock passes always run alone. */
  jobs?: number;
  /** `--baseline-kernel`: boot every scenario as an A/B against this kernel. */
  baselineKernel?: KernelSpec;
  /** Regression thresholds from flags, over each scenario's `regression:` block. */
  regression?: Partial<RegressionSettings>;
}

export interface Ports {
  reporter: Reporter;
  /** Backends by name, over boot/backends.ts; tests inject fakes. */
  backends?: Partial<Record<HypervisorName, HypervisorBackend>>;
  /** A cache shared between machines (the Action passes its @actions/cache adapter); artifacts fall back to it. */
  remoteCache?: RemoteCache;
  /** The KVM proofs; tests pass one with fake probes. */
  kvmProver?: KvmProver;
}

const DEFAULT_BACKENDS = Object.fromEntries(
  Object.entries(HYPERVISORS).map(([name, info]) => [name, info.backend]),
) as Record<HypervisorName, HypervisorBackend>;

/** The busybox rootfs's init, which its builder does not describe. */
const AGENT_INIT: InitInfo = {
  kind: 'agent',
  path: '/init',
  readiness: "boot-budget's agent prints its ready marker after `run:`",
};

/** The default timeout for a systemd image whose scenario sets none. */
export const SYSTEMD_TIMEOUT_MS = 300_000;

/**
 * A pass's timeout once the image's init is known. A systemd image boots its own userspace, ~15–24 s under TCG here
 * and far more on a loaded host: unless the scenario sets a timeout, it gets a longer one than a busybox agent's.
 */
export function passTimeoutMs(scenario: Scenario, init: InitInfo | undefined): number {
  return init?.kind === 'systemd' && scenario.keyPos['timeout'] === undefined ? SYSTEMD_TIMEOUT_MS : scenario.timeoutMs;
}

/** The pass whose total is closest to the median total (the first of equals). */
function medianPass(passes: readonly PassMeasurement[]): PassMeasurement | undefined {
  const total = (m: PassMeasurement) => m.stages.find((s) => s.name === 'total')?.ms ?? 0;
  const sorted = passes.map(total).sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) return undefined;
  let best: PassMeasurement | undefined;
  for (const pass of passes) if (!best || Math.abs(total(pass) - median) < Math.abs(total(best) - median)) best = pass;
  return best;
}

/**
 * Why no agent marker can come: the rootfs carries no boot-budget agent (a user's disk is booted as it is, a tree
 * can opt out), yet the scenario waits for the agent's ready marker. Null when the agent (or a ready unit) is there.
 */
function agentlessReadyWait(scenario: Pick<Scenario, 'ready' | 'rootfs'>): string | null {
  if (scenario.ready.kind !== 'agent') return null;
  const { rootfs } = scenario;
  const tree = rootfs.kind === 'disk-image' ? rootfs.from : rootfs;
  const without =
    tree.kind === 'disk'
      ? `The disk image ${basename(tree.image)} is booted as it is, without boot-budget's agent`
      : (tree.kind === 'ext4' || tree.kind === 'initramfs') && !tree.agent
        ? 'The rootfs has `agent: false`'
        : null;
  return without
    ? ` ${without}, so its ready marker never comes: set \`ready:\` to a /regex/ of a console line the image prints once it is up (e.g. ready: /login:/).`
    : null;
}

/** Explains a pass that did not reach the ready marker; such a pass cannot be measured, so the scenario errors. */
export function describeFailedPass(
  trace: BootTrace,
  timeoutMs: number,
  scenario?: Pick<Scenario, 'ready' | 'rootfs'>,
): string {
  const { outcome, reached } = trace;
  const stderr = trace.stderrTail ? ` Hypervisor said: ${trace.stderrTail.split('\n').slice(-3).join(' | ')}` : '';
  switch (outcome.kind) {
    case 'panic':
      return `kernel panic during ${reached}: ${outcome.line}`;
    case 'timeout':
      return `no ready marker within the ${timeoutMs} ms timeout; last stage reached: ${reached}.${(scenario && agentlessReadyWait(scenario)) ?? ''}`;
    case 'stalled':
      return `nothing past the firmware on the console within ${outcome.afterMs} ms: the kernel never started.`;
    case 'spawn-failed':
      return `the hypervisor could not be started: ${outcome.message}`;
    case 'exited':
      return `the hypervisor exited (${outcome.signal ? `signal ${outcome.signal}` : `status ${outcome.code}`}) before the ready marker; last stage reached: ${reached}.${stderr}`;
  }
}

/**
 * The one core behind the CLI and the Action: artifacts → accelerator → warm-up and measured passes → stages →
 * verdicts. Infrastructure failures of one scenario become that scenario's `error` verdict; the rest still run.
 */
export async function runScenarios(
  scenarios: readonly Scenario[],
  options: RunOptions,
  ports: Ports,
): Promise<RunResults> {
  const backends = { ...DEFAULT_BACKENDS, ...ports.backends };
  const results: ScenarioResult[] = [];
  // One probe per hypervisor binary, one kernel proof per kernel and one detection per hypervisor per run: none of
  // these answers changes between scenarios.
  const prover = ports.kvmProver ?? new KvmProver(options.cacheDir);
  const detected = new Map<HypervisorName, ReturnType<HypervisorBackend['detect']>>();

  for (const [index, given] of scenarios.entries()) {
    let scenario = given;
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
      let detection = detected.get(scenario.hypervisor);
      if (!detection) detected.set(scenario.hypervisor, (detection = backend.detect()));
      const { binary, version } = await detection;
      result.hypervisorVersion = version;

      // icount is TCG only: a virtual-clock scenario boots no KVM probe (src/scenario/clock.ts refuses kvm: required).
      const mode = scenario.clock === 'virtual' ? 'off' : (options.kvm ?? scenario.kvm);
      // The real-mode probe is a QEMU boot sector, so other hypervisors are vouched for by QEMU's probe of the same
      // /dev/kvm; the kernel proof then runs through the scenario's own hypervisor.
      const prober = scenario.hypervisor === 'qemu' ? binary : QEMU_BINARY;
      // Without QEMU, the other hypervisors' real-mode step is the device check alone; their kernel proof still runs.
      const realMode = () =>
        scenario.hypervisor === 'qemu' || findOnPath(QEMU_BINARY) ? prover.realMode(prober) : prover.device();
      const proofTarget = (kernel: { path: string; description: string }): ProofTarget => ({
        backend,
        binary,
        version,
        kernel: kernel.path,
        kernelLabel: kernel.description,
        machine: scenario.machine,
        cpus: scenario.cpus,
        memoryMiB: scenario.memoryMiB,
        cmdline: scenario.cmdline,
      });
      const ctx: ArtifactContext = {
        cacheDir: options.cacheDir,
        log: (message) => ports.reporter.progress({ type: 'artifact', scenario, message }),
        live: (message) => ports.reporter.progress({ type: 'artifact-progress', scenario, message }),
        ...(ports.remoteCache ? { remoteCache: ports.remoteCache } : {}),
      };
      // Firecracker and Cloud Hypervisor run guests only under KVM: a failed proof is their error, before any rootfs.
      const ensureSupported = (choice: AccelChoice): AccelChoice => {
        if (HYPERVISORS[scenario.hypervisor].accels.includes(choice.accel)) return choice;
        throw new InfraError(
          `${scenario.hypervisor} runs guests only under ${HYPERVISORS[scenario.hypervisor].accels.join(' or ')}, and KVM is unusable: ${choice.reason ?? 'the scenario says kvm: off'}.`,
          KVM_HOWTO,
        );
      };
      const settle = (choice: AccelChoice): Accel => {
        ensureSupported(choice);
        result.accel = choice.accel;
        result.clock = scenario.clock;
        if (scenario.clock === 'virtual') result.icount = ICOUNT;
        if (choice.warning) result.accelWarning = choice.warning;
        if (choice.reason) result.accelReason = choice.reason;
        ports.reporter.progress({ type: 'accel', scenario, accel: choice.accel, warning: choice.warning });
        return choice.accel;
      };
      // The real-mode probe runs before any download or build, so a missing or dead /dev/kvm fails `kvm: required`
      // at once; the kernel proof runs as soon as the kernel is there, before the rootfs is built.
      const probed = ensureSupported(await chooseAccel(mode, realMode));
      // Each side's kernel is proved; one that fails takes the whole scenario (both sides of an A/B) to TCG.
      let forced: AccelChoice | undefined = probed.accel === 'tcg' ? probed : undefined;
      const proved: ProofTarget[] = [];
      const accelFor = async (kernel: { path: string; description: string }): Promise<Accel> => {
        if (forced) return forced.accel;
        proved.push(proofTarget(kernel));
        const choice = await chooseAccel(mode, realMode, () => prover.kernel(proofTarget(kernel)));
        ensureSupported(choice);
        if (choice.accel === 'tcg') forced = choice;
        return choice.accel;
      };

      // Artifacts, then the passes, under one accelerator; again under TCG when KVM turns out not to work.
      const prepareAndBoot = async (): Promise<void> => {
        releaseCommand?.();
        releaseCommand = undefined;
        const prepared = await prepareBoot(given, backend, binary, accelFor, options.cacheDir, ctx);
        result.init = prepared.init ?? AGENT_INIT;
        scenario = { ...given, timeoutMs: passTimeoutMs(given, prepared.init) };
        result.kernel = prepared.kernel;
        result.rootfs = prepared.rootfs;
        result.firmware = prepared.firmware;
        const command = prepared.command;
        releaseCommand = command.release;
        result.cmdline = command.cmdline;

        // A same-job A/B boots the baseline (A) interleaved with the scenario (B) on this very runner.
        const sides: BootSide[] = [{ command, firmware: prepared.firmware, measured: [] }];
        const baselineSpec = baselineSpecFor(scenario, options.baselineKernel);
        let baseline: PreparedBoot | undefined;
        if (baselineSpec) {
          const a = await prepareBoot(
            baselineScenario(scenario, baselineSpec),
            backend,
            binary,
            accelFor,
            options.cacheDir,
            ctx,
          );
          baseline = a;
          const releaseScenario = releaseCommand;
          releaseCommand = () => {
            releaseScenario?.();
            a.command.release?.();
          };
          // The baseline's kernel failed its proof after the scenario's passed: both sides again, under TCG.
          if (a.accel !== prepared.accel) return prepareAndBoot();
          sides.unshift({ label: 'A', command: a.command, firmware: a.firmware, measured: [] });
          sides[1]!.label = 'B';
        }
        const accel = settle(forced ?? { accel: prepared.accel });
        await bootSides(sides, baseline, accel);
      };

      // Where a regression is annotated, and the settings the A/B here and a later `compare` judge by.
      const regression = regressionSettings(scenario.clock, scenario.regression, options.regression);
      const regressionPos = scenario.regression?.pos ?? scenario.keyPos['name'] ?? { line: 1, column: 1 };
      result.regression = { ...regression, line: regressionPos.line, column: regressionPos.column };

      const bootSides = async (sides: BootSide[], baseline: PreparedBoot | undefined, accel: Accel) => {
        const stageOrder = stageOrderFor(scenario.boot);
        const maxPasses = Math.max(passes, options.maxPasses ?? scenario.maxPasses ?? DEFAULT_MAX_PASSES);
        result.adaptive = await runSides(
          scenario,
          sides,
          {
            warmup,
            passes,
            maxPasses,
            accel,
            stageOrder,
            regression,
            ...(accel === 'kvm' ? { stallMs: prover.stallMs } : {}),
            // Virtual time does not depend on what the host is doing, so passes may share it; wall time would.
            jobs: scenario.clock === 'virtual' ? (options.jobs ?? availableParallelism()) : 1,
            ...(scenario.clock === 'virtual'
              ? {
                  earlyStop: {
                    afterPasses: VIRTUAL_EARLY_STOP.afterPasses,
                    settled: (done: readonly BootSide[]) =>
                      variesLittle(
                        done.map((side) => judgeStages(side.measured, stageOrder, [])),
                        VIRTUAL_EARLY_STOP,
                      ),
                  },
                }
              : {}),
          },
          ports.reporter,
          describeFailedPass,
          (trace) => {
            if (trace.truncatedBytes > 0)
              result.consoleTruncatedBytes = Math.max(result.consoleTruncatedBytes ?? 0, trace.truncatedBytes);
          },
        );
        const measured = sides[sides.length - 1]!.measured;
        result.passes = measured.length;
        if (baseline) {
          const stages = judgeStages(sides[0]!.measured, stageOrder, []);
          result.baseline = {
            kernel: baseline.kernel,
            rootfs: baseline.rootfs,
            cmdline: baseline.command.cmdline,
            stages,
            timeline: sides[0]!.measured.map(passTimeline),
          };
        }
        result.timeline = measured.map(passTimeline);

        result.stages = judgeStages(measured, stageOrder, scenario.budgets);
        const unseen = unseenBudgetReasons(result.stages, scenario.budgets);
        if (unseen.length > 0) throw new InfraError(unseen.join(' '));
        if (result.baseline) result.comparison = compareScenario(result.baseline.stages, result, 'ab', regression);
        // On the virtual clock nothing is aligned to host time: the agent's TSC read places kernel clock zero.
        const alignment = alignmentSummary(measured);
        if (alignment && scenario.clock !== 'virtual') result.alignment = alignment;
        // systemd's view and the units come from one pass, the one whose total is closest to the median, so that
        // the units, the chain and the stages describe the same typical boot.
        const typical = medianPass(measured.filter((m) => m.systemd || m.units.length > 0));
        if (typical?.systemd) result.systemd = typical.systemd;
        if (typical?.units.length) result.units = typical.units;
        result.verdict = scenarioVerdict(result.stages);
      };

      try {
        await prepareAndBoot();
      } catch (error) {
        if (!(error instanceof KvmStallError)) throw error;
        // Under `auto` a KVM that passed the proof and still hung a pass gets no second chance: the scenario is booted
        // again under TCG, and the kernels it proved are remembered as failed so later runs skip KVM at once.
        forced = afterKvmStall(mode, error);
        for (const target of proved) await prover.recordFailure(target, error.reason);
        await prepareAndBoot();
      }
    } catch (error) {
      if (!(error instanceof InfraError)) throw error;
      result.verdict = 'error';
      result.error = describeError(error);
      if (error.at) result.errorAt = error.at;
    } finally {
      releaseCommand?.();
    }
    // The guest's words are untrusted in every report: neutralised once, here, before any reporter sees them.
    const safe = neutraliseResult(result);
    ports.reporter.progress({ type: 'scenario-end', scenario, result: safe });
    results.push(safe);
  }
  return { version: 1, scenarios: results };
}
