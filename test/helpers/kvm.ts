import { KvmProver } from '../../src/boot/accel.js';
import { qemuBackend, QEMU_BINARY } from '../../src/boot/qemu.js';
import { cloudKernel } from './debian-kernel.js';

/**
 * Whether this host runs Debian's cloud kernel under KVM, by the product's own two steps (the real-mode probe, then
 * the kernel proof), remembered in `cacheDir` (a throwaway one: the tests' cache must not pre-answer the product).
 * Machine-dependent by nature: on this project's machines the answer is no, and tests that branch on it say so.
 */
export async function kvmBootsTheKernel(cacheDir: string, machine: 'pc' | 'microvm' = 'pc'): Promise<boolean> {
  const kernel = await cloudKernel();
  const prover = new KvmProver(cacheDir);
  if (!(await prover.realMode(QEMU_BINARY)).usable) return false;
  const proof = await prover.kernel({
    backend: qemuBackend,
    binary: QEMU_BINARY,
    version: 'test',
    kernel: kernel.path,
    kernelLabel: kernel.description,
    machine,
    cpus: 1,
    memoryMiB: 256,
    cmdline: 'console=ttyS0',
  });
  return proof.ok;
}
