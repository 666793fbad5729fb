/**
 * Booting one scenario's passes: one side, or two sides of a same-job A/B interleaved A B, B A, … on the same
 * runner with the same warm-up, so that drift of the machine (thermal, neighbours, caches) lands on both sides alike.
 * After the planned passes, more rounds run while a verdict is within noise, up to max-passes.
 */
import { buildRootfs, resolveKernel } from '../artifacts/resolve.js';
import type { ArtifactContext, InitInfo } from '../artifacts/types.js';
import { guestCmdline } from '../boot/cmdline.js';
import { checkDiskFirmware, DISK_FIRMWARE_NAMES } from '../boot/disk-boot.js';
import { runPass } from '../boot/pass-runner.js';
import { QBOOT_ROM, qemuBios } from '../boot/qemu.js';
import type { HypervisorBackend, HypervisorCommand } from '../boot/types.js';
import { KvmStallError } from '../boot/accel.js';
import { InfraError } from '../errors.js';
import { runLimited } from './pool.js';
import { budgetNoiseReasons, regressionNoiseReasons, type AdaptiveRecord } from '../judge/adaptive.js';
import { judgeStages } from '../judge/budgets.js';
import { compareStages } from '../judge/compare.js';
import type { RegressionSettings } from '../judge/regression.js';
import { StreamingMeasure } from '../measure/stream.js';
import type { PassMeasurement } from '../measure/types.js';
import type { Reporter } from '../report/reporter.js';
import type { Accel, BaselineSpec, KernelSpec, Scenario } from '../scenario/types.js';
import type { BootTrace } from '../boot/types.js';

export interface PreparedBoot {
  command: HypervisorCommand;
  kernel: string;
  rootfs: string;
  /** The firmware that really runs: results taken under SeaBIOS and under qboot are not comparable. */
  firmware: string;
  accel: Accel;
  /** What boots the rootfs and how ready is seen, where the rootfs builder knows. */
  init?: InitInfo;
}

/** Decides the accelerator once the kernel to boot is known (the KVM proof boots it), before the rootfs is built. */
export type AccelForKernel = (kernel: { path: string; description: string }) => Promise<Accel>;

/** Artifacts → the hypervisor command for one side. */
export async function prepareBoot(
  scenario: Scenario,
  backend: HypervisorBackend,
  binary: string,
  accelFor: Accel | AccelForKernel,
  cacheDir: string,
  ctx: ArtifactContext,
): Promise<PreparedBoot> {
  if (scenario.boot === 'disk') return prepareDiskBoot(scenario, backend, binary, accelFor, ctx);
  const kernel = await resolveKernel(scenario, ctx);
  const bootKernel = backend.prepareKernel ? await backend.prepareKernel(kernel.path, cacheDir, ctx.log) : kernel.path;
  const accel =
    typeof accelFor === 'function' ? await accelFor({ path: bootKernel, description: kernel.description }) : accelFor;
  const rootfs = await buildRootfs(scenario, ctx, kernel);
  const bios = scenario.hypervisor === 'qemu' ? qemuBios(scenario.machine, scenario.firmware) : {};
  if (bios.qbootMissing)
    ctx.log(`firmware: qboot was asked for but ${QBOOT_ROM} is missing; booting with the machine's SeaBIOS`);
  const firmware =
    scenario.hypervisor !== 'qemu'
      ? 'none (direct kernel boot)'
      : scenario.machine === 'microvm' || bios.bios
        ? 'qboot'
        : 'seabios';
  const command = backend.command(binary, {
    doorbell: scenario.doorbell,
    kernel: bootKernel,
    initrd: rootfs.initrd,
    cmdline: guestCmdline(scenario, rootfs.cmdline),
    ...(rootfs.drives?.length ? { drives: rootfs.drives, disk: { path: rootfs.drives[0]!.path, readOnly: true } } : {}),
    cpus: scenario.cpus,
    memoryMiB: scenario.memoryMiB,
    machine: scenario.machine,
    ...(bios.bios ? { bios: bios.bios } : {}),
    accel,
    ...(scenario.clock === 'virtual' ? { clock: scenario.clock } : {}),
  });
  return {
    command,
    kernel: kernel.description,
    rootfs: rootfs.description,
    firmware,
    accel,
    ...(rootfs.init ? { init: rootfs.init } : {}),
  };
}

/**
 * A whole-disk boot: the disk's own firmware and loader find the kernel. A `disk-image:` is built first (with its
 * kernel); a user's `disk:` is used as it is. Either way QEMU opens it with snapshot=on.
 */
async function prepareDiskBoot(
  scenario: Scenario,
  backend: HypervisorBackend,
  binary: string,
  accelFor: Accel | AccelForKernel,
  ctx: ArtifactContext,
): Promise<PreparedBoot> {
  const firmware = scenario.firmware === 'bios' ? 'bios' : 'uefi';
  checkDiskFirmware(firmware);
  const kernel = scenario.rootfs.kind === 'disk-image' ? await resolveKernel(scenario, ctx) : undefined;
  let accel: Accel;
  if (typeof accelFor !== 'function') accel = accelFor;
  else if (kernel) accel = await accelFor(kernel);
  else {
    // KVM is proved by booting the kernel (MEASURED: a probe proves only what it runs); a user's image hides its own.
    ctx.log("kvm: a user's disk image has no kernel boot-budget can prove KVM with; booting it under TCG");
    accel = 'tcg';
  }
  const rootfs = await buildRootfs(scenario, ctx, kernel, guestCmdline);
  const imageCmdline = rootfs.wholeDisk?.cmdline;
  // Without -kernel, boot-budget cannot add the console itself: the loader entry must name the serial port, or the
  // kernel and the agent print where the host cannot read and the boot is seen only up to the loader.
  if (imageCmdline !== undefined && !/(^|\s)console=ttyS\d/.test(imageCmdline))
    ctx.log(
      `warning: the disk image's kernel command line (${imageCmdline}) has no console=ttyS0; nothing after the boot loader will reach the serial console, so kernel, userspace and ready cannot be seen`,
    );
  const command = backend.command(binary, {
    diskBoot: { firmware },
    // The loader's command line as the image has it; for a user's image, unknown until its kernel logs it.
    cmdline: rootfs.wholeDisk?.cmdline ?? '',
    ...(rootfs.drives?.length ? { drives: rootfs.drives, disk: { path: rootfs.drives[0]!.path, readOnly: true } } : {}),
    cpus: scenario.cpus,
    memoryMiB: scenario.memoryMiB,
    machine: scenario.machine,
    accel,
  });
  return {
    command,
    kernel: kernel ? `${kernel.description} (on the disk)` : "the disk's own",
    rootfs: rootfs.description,
    firmware: DISK_FIRMWARE_NAMES[firmware],
    accel,
    ...(rootfs.init ? { init: rootfs.init } : {}),
  };
}

/** The baseline side: the scenario with what `baseline:` (or --baseline-kernel) replaces. */
export function baselineScenario(scenario: Scenario, spec: Omit<BaselineSpec, 'pos'>): Scenario {
  return {
    ...scenario,
    kernel: spec.kernel ?? scenario.kernel,
    rootfs: spec.rootfs ?? scenario.rootfs,
    run: spec.run ?? scenario.run,
    cmdline: spec.cmdline ?? scenario.cmdline,
  };
}

/** `baseline:` with --baseline-kernel on top, or nothing when neither asks for an A/B. */
export function baselineSpecFor(
  scenario: Scenario,
  baselineKernel?: KernelSpec,
): Omit<BaselineSpec, 'pos'> | undefined {
  if (baselineKernel) return { ...scenario.baseline, kernel: baselineKernel };
  return scenario.baseline;
}

export interface BootSide {
  /** A is the baseline, B the scenario; a plain run has one unlabelled side. */
  label?: 'A' | 'B';
  command: HypervisorCommand;
  /** What prepareBoot found really runs; hints about the firmware depend on it. */
  firmware: string;
  measured: PassMeasurement[];
}

export interface PassPlan {
  warmup: number;
  passes: number;
  maxPasses: number;
  accel: Accel;
  stageOrder: readonly string[];
  /** Settings for the A/B's within-noise rule. */
  regression: RegressionSettings;
  /** Under KVM: a pass with nothing past the firmware by then is a KvmStallError (see boot/accel.ts). */
  stallMs?: number;
  /** Stop after `afterPasses` when `settled` holds for the sides and no verdict is within noise (virtual clock). */
  earlyStop?: { afterPasses: number; settled(sides: readonly BootSide[]): boolean };
  /** Passes booted at once: more than 1 only for the virtual clock, whose times the host's load does not move. */
  jobs?: number;
}

function passReachedReady(trace: BootTrace): boolean {
  return trace.reached === 'ready' || trace.reached === 'shutdown';
}

/** Verdicts within noise, each as a reason for people; empty when every verdict is clear. */
function noiseReasons(scenario: Scenario, sides: readonly BootSide[], plan: PassPlan): string[] {
  const head = judgeStages(sides[sides.length - 1]!.measured, plan.stageOrder, scenario.budgets);
  const reasons = budgetNoiseReasons(head);
  if (sides.length === 2) {
    const base = judgeStages(sides[0]!.measured, plan.stageOrder, []);
    reasons.push(
      ...regressionNoiseReasons(compareStages(scenario.name, base, head, plan.regression), plan.regression.pValue),
    );
  }
  return reasons;
}

export async function runSides(
  scenario: Scenario,
  sides: readonly BootSide[],
  plan: PassPlan,
  reporter: Reporter,
  describeFailedPass: (trace: BootTrace, timeoutMs: number, scenario: Scenario) => string,
  /** Sees every trace, warm-ups included, before it is judged. */
  onTrace?: (trace: BootTrace) => void,
): Promise<AdaptiveRecord> {
  const readyRegex = scenario.ready.kind === 'regex' ? scenario.ready.regex : undefined;
  const boot = async (side: BootSide, isWarmup: boolean, pass: number, of: number) => {
    const label = side.label ? { side: side.label } : {};
    reporter.progress({ type: 'pass-start', scenario, pass, of, warmup: isWarmup, ...label });
    // Measured as the console arrives: the pass keeps what the measure step needs, not every line of the log dump.
    const measure = new StreamingMeasure(scenario.stages, readyRegex, {
      machine: scenario.machine,
      cmdline: side.command.cmdline,
      firmware: scenario.boot === 'disk' ? scenario.firmware : side.firmware === 'qboot' ? 'qboot' : 'default',
      clock: scenario.clock,
    });
    const trace = await runPass(side.command, {
      accel: plan.accel,
      timeoutMs: scenario.timeoutMs,
      readyRegex,
      onStage: (stage) =>
        reporter.progress({ type: 'pass-stage', scenario, pass, of, warmup: isWarmup, stage, ...label }),
      onLine: (line) => measure.push(line),
      keepLines: false,
      ...(plan.stallMs !== undefined ? { stallMs: plan.stallMs } : {}),
    });
    onTrace?.({ ...trace, truncatedBytes: trace.truncatedBytes + measure.truncatedBytes });
    if (!passReachedReady(trace)) {
      const who = side.label ? `${side.label === 'A' ? 'baseline' : 'scenario'} ` : '';
      const message = `${who}${isWarmup ? 'warm-up' : 'measured'} pass ${pass}/${of}: ${describeFailedPass(trace, scenario.timeoutMs, scenario)}`;
      if (trace.outcome.kind === 'stalled') throw new KvmStallError(message, `a KVM ${message}`);
      throw new InfraError(message);
    }
    const measurement = measure.finish(trace);
    reporter.progress({
      type: 'pass-end',
      scenario,
      pass,
      of,
      warmup: isWarmup,
      totalMs: measurement.stages.find((s) => s.name === 'total')?.ms ?? null,
      ...label,
    });
    return measurement;
  };

  // Counterbalanced, A B then B A: whatever the second boot of a pair gains or loses from the first one (page cache,
  // the host's frequency governor) falls on both sides alike instead of on B alone.
  const inOrder = (pass: number) => (pass % 2 === 1 ? sides : [...sides].reverse());
  const jobs = plan.jobs ?? 1;
  /** Passes from..to of every side, `jobs` at a time; measurements are kept in pass order, whichever ends first. */
  const round = async (from: number, to: number, of: number, isWarmup: boolean) => {
    const planned: Array<{ side: BootSide; pass: number }> = [];
    for (let i = from; i <= to; i++) for (const side of inOrder(i)) planned.push({ side, pass: i });
    const measurements = await runLimited(
      planned.map(
        ({ side, pass }) =>
          () =>
            boot(side, isWarmup, pass, of),
      ),
      jobs,
    );
    if (!isWarmup) for (const [i, { side }] of planned.entries()) side.measured.push(measurements[i]!);
  };
  await round(1, plan.warmup, plan.warmup, true);
  // Virtual time: once the first passes agree closely and every verdict is clear, the rest would add nothing.
  const early = plan.earlyStop ? Math.min(plan.passes, plan.earlyStop.afterPasses) : plan.passes;
  await round(1, early, plan.passes, false);
  if (early < plan.passes) {
    const settled = plan.earlyStop!.settled(sides) && noiseReasons(scenario, sides, plan).length === 0;
    if (!settled) await round(early + 1, plan.passes, plan.passes, false);
  }
  const measuredPasses = sides[0]!.measured.length;

  const record: AdaptiveRecord = {
    planned: plan.passes,
    passes: measuredPasses,
    maxPasses: plan.maxPasses,
    reasons: [],
    settled: true,
  };
  while (true) {
    const reasons = noiseReasons(scenario, sides, plan);
    if (reasons.length === 0) break;
    if (record.reasons.length === 0) record.reasons = reasons;
    if (record.passes >= plan.maxPasses) {
      record.settled = false;
      // The reasons that still hold at the end say more than the first ones.
      record.reasons = reasons;
      break;
    }
    record.passes++;
    await round(record.passes, record.passes, record.passes, false);
  }
  return record;
}
