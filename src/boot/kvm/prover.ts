/**
 * One run's KVM proofs: the real-mode probe once per hypervisor binary, the kernel proof once per cache key, both
 * shared by every scenario of the run, and kernel proofs remembered in the cache dir across runs.
 */
import { proveKernel, type KernelProof, type KernelProofTarget } from './kernel-proof.js';
import { hostBootId, kernelProofKey, proofCacheFile, readCachedProof, writeCachedProof } from './proof-cache.js';
import { kvmDevice, probeKvm, type KvmProbe } from './real-mode-probe.js';

/**
 * A KVM pass that shows nothing past the firmware within this many ms is taken as KVM hanging the kernel, the proof
 * notwithstanding. Under TCG on this project's loaded 2-core machine the bundled scenario's first console line (the
 * agent's init marker: `quiet` hides the kernel's) came 10.7 s after spawn; twice that is far beyond any working KVM.
 */
export const KVM_STALL_MS = 20_000;

export interface ProverDeps {
  probe: (qemuBinary: string) => Promise<KvmProbe>;
  prove: (target: KernelProofTarget) => Promise<KernelProof>;
  bootId: () => Promise<string | null>;
  device: () => ReturnType<typeof kvmDevice>;
}

export type ProofTarget = KernelProofTarget & { version: string };

/** A proof's answer, and where it came from when it was remembered rather than booted. */
export type ProofAnswer = KernelProof & { cached?: { file: string; provedAt: string } };

export class KvmProver {
  private readonly deps: ProverDeps;
  private readonly probes = new Map<string, Promise<KvmProbe>>();
  private readonly proofs = new Map<string, Promise<ProofAnswer>>();

  /** How long a pass under KVM may show nothing past the firmware (PassOptions.stallMs). */
  readonly stallMs: number;

  constructor(
    private readonly cacheDir: string,
    deps: Partial<ProverDeps> = {},
    limits: { stallMs?: number } = {},
  ) {
    this.deps = { probe: probeKvm, prove: proveKernel, bootId: hostBootId, device: kvmDevice, ...deps };
    this.stallMs = limits.stallMs ?? KVM_STALL_MS;
  }

  realMode(qemuBinary: string): Promise<KvmProbe> {
    let probe = this.probes.get(qemuBinary);
    if (!probe) this.probes.set(qemuBinary, (probe = this.deps.probe(qemuBinary)));
    return probe;
  }

  /** The device check alone, for hypervisors other than QEMU on a host without QEMU for the real-mode probe. */
  async device(): Promise<KvmProbe> {
    const opened = await this.deps.device();
    return opened.ok ? { usable: true, ms: 0 } : { usable: false, reason: opened.reason };
  }

  kernel(target: ProofTarget): Promise<ProofAnswer> {
    const memo = `${target.kernel}\0${target.binary}\0${target.machine}\0${target.cpus}`;
    let proof = this.proofs.get(memo);
    if (!proof) this.proofs.set(memo, (proof = this.proveOrRemember(target)));
    return proof;
  }

  /** A pass under KVM that stalled after a passing proof: remembered as a failed proof, so later runs go to TCG. */
  async recordFailure(target: ProofTarget, reason: string, stoppedAt: 'firmware' | 'kernel' = 'firmware') {
    const failed: KernelProof = { ok: false, ms: 0, reason, stoppedAt };
    const memo = `${target.kernel}\0${target.binary}\0${target.machine}\0${target.cpus}`;
    this.proofs.set(memo, Promise.resolve(failed));
    const key = await kernelProofKey(target, this.deps.bootId).catch(() => null);
    if (key) await writeCachedProof(this.cacheDir, key, failed);
  }

  private async proveOrRemember(target: ProofTarget): Promise<ProofAnswer> {
    // A kernel that cannot be hashed is still proved, just not remembered.
    const key = await kernelProofKey(target, this.deps.bootId).catch(() => null);
    if (key) {
      const cached = await readCachedProof(this.cacheDir, key);
      if (cached)
        return { ...cached.proof, cached: { file: proofCacheFile(this.cacheDir, key), provedAt: cached.provedAt } };
    }
    const proof = await this.deps.prove(target);
    if (key) await writeCachedProof(this.cacheDir, key, proof);
    return proof;
  }
}
