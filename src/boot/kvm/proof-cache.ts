/**
 * Kernel proofs remembered in the cache dir. A proof's answer holds for one kernel on one hypervisor build and machine
 * type on one boot of one host: the key is the kernel's sha256, the hypervisor binary's real path and version, the
 * machine type, the vCPU count (SMP bring-up is one more thing a KVM can get wrong) and the host's boot id, so
 * twenty scenarios on one kernel pay once, and a new host or a reboot proves again. Failures are remembered too: they
 * are the expensive answer (a hang until the bound).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, realpath, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Machine } from '../../scenario/types.js';
import { findOnPath } from '../processes.js';
import type { KernelProof } from './kernel-proof.js';

export const PROOF_CACHE_DIR = 'kvm-proofs';

export interface KernelProofKey {
  kernelSha256: string;
  hypervisorBinary: string;
  hypervisorVersion: string;
  machine: Machine;
  cpus: number;
  bootId: string;
}

export interface CachedProof {
  key: KernelProofKey;
  proof: KernelProof;
  /** ISO time of the proof boot. */
  provedAt: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** null when the host has no boot id to read: without one a reboot could not be told apart, so nothing is cached. */
export async function hostBootId(path = '/proc/sys/kernel/random/boot_id'): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).trim() || null;
  } catch {
    return null;
  }
}

export async function kernelProofKey(
  input: { kernel: string; binary: string; version: string; machine: Machine; cpus: number },
  bootId: () => Promise<string | null> = hostBootId,
): Promise<KernelProofKey | null> {
  const id = await bootId();
  if (!id) return null;
  const found = findOnPath(input.binary);
  return {
    kernelSha256: await sha256File(input.kernel),
    hypervisorBinary: found ? await realpath(found).catch(() => found) : input.binary,
    hypervisorVersion: input.version,
    machine: input.machine,
    cpus: input.cpus,
    bootId: id,
  };
}

function keyDigest(key: KernelProofKey): string {
  const ordered = Object.fromEntries(Object.entries(key).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(ordered)).digest('hex');
}

export function proofCacheFile(cacheDir: string, key: KernelProofKey): string {
  return join(cacheDir, PROOF_CACHE_DIR, `${keyDigest(key)}.json`);
}

/** The remembered proof for exactly this key, or null (none, unreadable, or written for another key). */
export async function readCachedProof(cacheDir: string, key: KernelProofKey): Promise<CachedProof | null> {
  try {
    const stored = JSON.parse(await readFile(proofCacheFile(cacheDir, key), 'utf8')) as CachedProof;
    if (keyDigest(stored.key) !== keyDigest(key) || typeof stored.proof?.ok !== 'boolean') return null;
    return stored;
  } catch {
    return null;
  }
}

/** Best effort: a cache dir that cannot be written only means the next run proves again. */
export async function writeCachedProof(cacheDir: string, key: KernelProofKey, proof: KernelProof): Promise<void> {
  const file = proofCacheFile(cacheDir, key);
  const entry: CachedProof = { key, proof, provedAt: new Date().toISOString() };
  try {
    await mkdir(join(cacheDir, PROOF_CACHE_DIR), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(entry, null, 2)}\n`);
    await rename(tmp, file);
  } catch {
    // Not remembered; nothing else depends on it.
  }
}
