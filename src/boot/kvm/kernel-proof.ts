/**
 * The second step of the KVM proof: boot the scenario's own kernel under KVM, on the scenario's machine, through the
 * scenario's hypervisor, along the shortest path to a known end. A real-mode boot sector says nothing about long
 * mode, paging or the instructions a kernel uses; measured here, a paravirtual KVM ran the boot sector and then hung
 * Debian's cloud kernel before its first console line, so only the kernel that will be measured can vouch for KVM.
 *
 * The path: no initramfs, no root disk, only the scenario's console parameters and `panic=-1`. The kernel boots,
 * finds no root file system and panics; the pass runner ends the VM at the panic line (QEMU's `-no-reboot` would end
 * it too). A kernel that runs an init of its own (a built-in initramfs) proves as much by reaching userspace.
 */
import type { LiveStage } from '../live-stage.js';
import { withoutPrintkTime } from '../live-stage.js';
import { runPass } from '../pass-runner.js';
import type { Machine } from '../../scenario/types.js';
import type { BootTrace, HypervisorBackend, HypervisorCommand } from '../types.js';
import { describeHostKvmLog, hostUptimeSeconds, readHostKvmLog, type HostKvmLog } from './host-log.js';

/**
 * How long the kernel may take to reach its end. A working KVM boots a distribution kernel to its root-mount panic in
 * well under a second; under TCG on this project's loaded 2-core machine the same path took 9.3 s (cloud kernel,
 * 2026-11-30). 6 s is several times what KVM needs even on a busy host, and short enough that `kvm: required` still
 * fails within 15 s of starting (node, the real-mode probe, this proof and the host log).
 */
export const KERNEL_PROOF_TIMEOUT_MS = 6000;

export interface KernelProofTarget {
  backend: HypervisorBackend;
  binary: string;
  /** The file the backend boots (a vmlinux for Firecracker and Cloud Hypervisor). */
  kernel: string;
  /** The kernel for people, e.g. the artifact's description. */
  kernelLabel: string;
  machine: Machine;
  cpus: number;
  memoryMiB: number;
  /** The scenario's command line; only its console parameters are kept. */
  cmdline: string;
}

export type KernelProof =
  | { ok: true; ms: number; end: string }
  | { ok: false; ms: number; reason: string; stoppedAt: LiveStage };

const CONSOLE_KEYS = ['console', 'earlycon', 'earlyprintk'];

/** The proof's command line: where the scenario's console goes, and a panic that ends the VM at once. */
export function proofCmdline(scenarioCmdline: string): string {
  const consoles = scenarioCmdline
    .split(/\s+/)
    .filter((word) => CONSOLE_KEYS.some((key) => word === key || word.startsWith(`${key}=`)));
  return [...consoles, 'panic=-1'].join(' ');
}

export function proofCommand(target: KernelProofTarget): HypervisorCommand {
  return target.backend.command(target.binary, {
    kernel: target.kernel,
    cmdline: proofCmdline(target.cmdline),
    cpus: target.cpus,
    memoryMiB: target.memoryMiB,
    machine: target.machine,
    accel: 'kvm',
  });
}

/** Guest text inside a message for people: one line, no control characters, bounded, quoted. */
export function quoteGuestText(text: string, max = 160): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}

export function describeBootedKernel(target: KernelProofTarget, command: HypervisorCommand): string {
  const how =
    target.backend.name === 'qemu' ? `-accel kvm -cpu host -machine ${target.machine}` : `KVM (${target.backend.name})`;
  return `booted ${target.kernelLabel} with ${target.binary} ${how}, ${target.cpus} vCPU, no initramfs and no root, cmdline ${quoteGuestText(command.cmdline)}`;
}

/** The verdict on one proof boot, from its trace alone. */
export function judgeProofTrace(
  trace: BootTrace,
  booted: string,
  timeoutMs: number,
  hostLog?: HostKvmLog,
): KernelProof {
  const ms = trace.exitT ?? 0;
  const { outcome, reached } = trace;
  if (outcome.kind === 'panic') return { ok: true, ms, end: `kernel panic: ${withoutPrintkTime(outcome.line)}` };
  if (reached === 'userspace' || reached === 'ready' || reached === 'shutdown')
    return { ok: true, ms, end: 'the kernel started its init' };
  if (outcome.kind === 'exited' && outcome.code === 0 && reached === 'kernel')
    return { ok: true, ms, end: 'the kernel ended the VM' };

  const what =
    outcome.kind === 'timeout' || outcome.kind === 'stalled'
      ? `did not reach its end (a panic for want of a root) within ${timeoutMs} ms`
      : outcome.kind === 'spawn-failed'
        ? `could not start: ${outcome.message}`
        : `ended with ${outcome.signal ? `signal ${outcome.signal}` : `status ${outcome.code}`} before the kernel's end`;
  const where =
    reached === 'firmware'
      ? 'it stopped before the kernel printed its first line'
      : 'it stopped inside the kernel, before the panic';
  const last = trace.lines.at(-1)?.text;
  const stderr = trace.stderrTail.split('\n').filter(Boolean).at(-1);
  const parts = [
    `the kernel proof ${booted}; it ${what}`,
    where,
    last ? `last console line ${quoteGuestText(withoutPrintkTime(last))}` : 'no console output',
    ...(stderr ? [`the hypervisor said ${quoteGuestText(stderr)}`] : []),
    ...(hostLog ? [describeHostKvmLog(hostLog)] : []),
  ];
  return { ok: false, ms, reason: parts.join('; '), stoppedAt: reached };
}

export interface KernelProofDeps {
  run: typeof runPass;
  hostLog: (sinceSeconds: number | null) => Promise<HostKvmLog>;
  uptime: () => Promise<number | null>;
  timeoutMs: number;
}

const REAL_DEPS: KernelProofDeps = {
  run: runPass,
  hostLog: readHostKvmLog,
  uptime: hostUptimeSeconds,
  timeoutMs: KERNEL_PROOF_TIMEOUT_MS,
};

export async function proveKernel(
  target: KernelProofTarget,
  deps: Partial<KernelProofDeps> = {},
): Promise<KernelProof> {
  const { run, hostLog, uptime, timeoutMs } = { ...REAL_DEPS, ...deps };
  const command = proofCommand(target);
  try {
    const since = await uptime();
    const trace = await run(command, { accel: 'kvm', timeoutMs });
    const booted = describeBootedKernel(target, command);
    const first = judgeProofTrace(trace, booted, timeoutMs);
    if (first.ok) return first;
    return judgeProofTrace(trace, booted, timeoutMs, await hostLog(since));
  } finally {
    command.release?.();
  }
}
