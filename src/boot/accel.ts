/**
 * Which accelerator a scenario boots with, from the two steps of the KVM proof (kvm/): the real-mode probe, which
 * answers at once when /dev/kvm is missing, closed or dead, and the kernel proof, which boots the scenario's own
 * kernel. `auto` prefers KVM but falls back to TCG loudly, saying why; `required` refuses to measure emulated boots;
 * `off` never tries.
 */
import { InfraError } from '../errors.js';
import type { Accel, KvmMode } from '../scenario/types.js';
import type { ProofAnswer } from './kvm/prover.js';
import { KVM_HOWTO, type KvmProbe } from './kvm/real-mode-probe.js';

export { KERNEL_PROOF_TIMEOUT_MS, type KernelProof } from './kvm/kernel-proof.js';
export { KVM_STALL_MS, KvmProver, type ProofAnswer, type ProofTarget } from './kvm/prover.js';
export { KVM_HOWTO, PROBE_EXIT_STATUS, probeBootSector, probeKvm, type KvmProbe } from './kvm/real-mode-probe.js';

export interface AccelChoice {
  accel: Accel;
  /** For people, when KVM was wanted and is not used: what was tried and what happened, and what that means. */
  warning?: string;
  /** Why KVM was dropped, without the advice: recorded in the results as `accelReason`. */
  reason?: string;
}

/** A pass under KVM that stalled before the kernel: under `auto` the scenario is booted again under TCG. */
export class KvmStallError extends InfraError {
  constructor(
    message: string,
    /** Why KVM is dropped, for the TCG re-run's warning. */
    readonly reason: string,
  ) {
    super(message, KVM_HOWTO);
  }
}

function fallback(reason: string): AccelChoice {
  return {
    accel: 'tcg',
    reason,
    warning: `KVM is unusable (${reason}); falling back to TCG software emulation. Timings are emulated and several times slower than on KVM; do not compare them with KVM results.`,
  };
}

function refuse(reason: string): InfraError {
  return new InfraError(`KVM is required by this scenario (kvm: required) but is unusable: ${reason}.`, KVM_HOWTO);
}

function describeProofFailure(proof: ProofAnswer & { ok: false }): string {
  return proof.cached
    ? `${proof.reason} (remembered from a proof at ${proof.cached.provedAt}; delete ${proof.cached.file} to prove again)`
    : proof.reason;
}

export async function chooseAccel(
  mode: KvmMode,
  probe: () => Promise<KvmProbe>,
  proveKernel?: () => Promise<ProofAnswer>,
): Promise<AccelChoice> {
  if (mode === 'off') return { accel: 'tcg' };
  const result = await probe();
  if (!result.usable) {
    if (mode === 'required') throw refuse(result.reason);
    return fallback(result.reason);
  }
  if (!proveKernel) return { accel: 'kvm' };
  const proof = await proveKernel();
  if (proof.ok) return { accel: 'kvm' };
  if (mode === 'required') throw refuse(describeProofFailure(proof));
  return fallback(describeProofFailure(proof));
}

/** What a stalled KVM pass leads to: TCG under `auto`, the error itself otherwise. */
export function afterKvmStall(mode: KvmMode, stall: KvmStallError): AccelChoice {
  if (mode !== 'auto') throw stall;
  return fallback(stall.reason);
}
