import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  afterKvmStall,
  chooseAccel,
  type KernelProof,
  KvmProver,
  KvmStallError,
  probeKvm,
  type ProofTarget,
} from '../../src/boot/accel.js';
import { kvmLinesSince } from '../../src/boot/kvm/host-log.js';
import { judgeProofTrace, proofCmdline, proveKernel } from '../../src/boot/kvm/kernel-proof.js';
import { kernelProofKey, proofCacheFile, sha256File } from '../../src/boot/kvm/proof-cache.js';
import { qemuBackend } from '../../src/boot/qemu.js';
import type { BootTrace } from '../../src/boot/types.js';
import { InfraError } from '../../src/errors.js';
import { testDir } from '../helpers/vitest-dirs.js';

// The KVM proof's decisions, with a fake QEMU (test/helpers/fake-qemu) that "hangs under kvm" like this project's
// host or works like a good KVM host, so that both branches run on any machine.

const FAKE_QEMU = join(import.meta.dirname, '..', 'helpers', 'fake-qemu', 'qemu-system-x86_64');

function target(kernel: string, overrides: Partial<ProofTarget> = {}): ProofTarget {
  return {
    backend: qemuBackend,
    binary: FAKE_QEMU,
    version: '7.2.99',
    kernel,
    kernelLabel: 'fake kernel 6.1',
    machine: 'pc',
    cpus: 1,
    memoryMiB: 256,
    cmdline: 'console=ttyS0 quiet',
    ...overrides,
  };
}

function kernelFile(dir: string, bytes = 'not really a bzImage'): string {
  const path = join(dir, 'vmlinuz');
  writeFileSync(path, bytes);
  return path;
}

const trace = (over: Partial<BootTrace>): BootTrace => ({
  accel: 'kvm',
  argv: [],
  lines: [],
  exitT: 100,
  outcome: { kind: 'timeout', afterMs: 6000 },
  reached: 'firmware',
  stderrTail: '',
  truncatedBytes: 0,
  ...over,
});

describe('the kernel proof', () => {
  it('boots only the kernel, with the console and panic=-1, under -accel kvm -cpu host on the scenario machine', () => {
    expect(proofCmdline('console=ttyS0 quiet init=/bin/sh earlyprintk=serial')).toBe(
      'console=ttyS0 earlyprintk=serial panic=-1',
    );
    const command = qemuBackend.command('qemu-system-x86_64', {
      kernel: '/k',
      cmdline: proofCmdline('console=ttyS0'),
      cpus: 2,
      memoryMiB: 256,
      machine: 'q35',
      accel: 'kvm',
    });
    expect(command.args.join(' ')).toContain('-machine q35 -accel kvm -cpu host -smp 2');
    expect(command.args).not.toContain('-initrd');
    expect(command.args).toContain('-no-reboot');
  });

  it('counts a panic or a started init as the known end, and anything else as a failure that says where', () => {
    expect(
      judgeProofTrace(trace({ outcome: { kind: 'panic', line: '[ 0.4] Kernel panic - not syncing: VFS' } }), 'b', 6000),
    ).toMatchObject({ ok: true, end: 'kernel panic: Kernel panic - not syncing: VFS' });
    expect(judgeProofTrace(trace({ reached: 'userspace' }), 'b', 6000).ok).toBe(true);
    const failed = judgeProofTrace(
      trace({ lines: [{ t: 5, text: 'Probing EDD (edd=off to disable)... ok\u001b[2J' }] }),
      'booted K',
      6000,
      { readable: true, lines: ['kvm-pvm: INTERNAL_ERROR in batch emul: rip=0xffffffff86d17850 cpl=0'] },
    );
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.reason).toMatch(/^the kernel proof booted K; it did not reach its end .* within 6000 ms/);
    expect(failed.reason).toContain('it stopped before the kernel printed its first line');
    // Guest text is quoted, without its control characters.
    expect(failed.reason).toContain('last console line "Probing EDD (edd=off to disable)... ok [2J"');
    expect(failed.reason).toContain('"kvm-pvm: INTERNAL_ERROR in batch emul: rip=0xffffffff86d17850 cpl=0"');
    expect(
      judgeProofTrace(trace({ outcome: { kind: 'exited', code: 1, signal: null } }), 'b', 1, {
        readable: false,
        why: 'dmesg: read kernel buffer failed: Operation not permitted',
      }),
    ).toMatchObject({ ok: false, reason: expect.stringContaining('could not be read (dmesg: read kernel buffer') });
  });

  it('picks from the host log the kvm lines logged since the proof started', () => {
    const dmesg = [
      '[    0.169649] kvm-pvm: loaded (native=1)',
      '[  500.100000] kvm-pvm: INTERNAL_ERROR in batch emul: rip=0xffffffff86d17850 cpl=0',
      '[  500.200000] EXT4-fs (vda): mounted',
    ].join('\n');
    expect(kvmLinesSince(dmesg, 499.9)).toEqual([
      'kvm-pvm: INTERNAL_ERROR in batch emul: rip=0xffffffff86d17850 cpl=0',
    ]);
  });

  it('passes on a working KVM (fake QEMU: the kernel panics for want of a root) and fails on a hanging one', async () => {
    const dir = testDir();
    const kernel = kernelFile(dir);
    process.env['FAKE_KVM'] = 'works';
    const works = await proveKernel(target(kernel), { timeoutMs: 5000 });
    expect(works).toMatchObject({ ok: true, end: expect.stringContaining('VFS: Unable to mount root fs') });
    process.env['FAKE_KVM'] = 'hangs';
    const started = Date.now();
    const hangs = await proveKernel(target(kernel), {
      timeoutMs: 1000,
      hostLog: async () => ({ readable: true, lines: [] }),
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(hangs).toMatchObject({ ok: false, stoppedAt: 'firmware' });
    expect(hangs.ok || hangs.reason).toMatch(
      /^the kernel proof booted fake kernel 6\.1 with .*qemu-system-x86_64 -accel kvm -cpu host -machine pc, 1 vCPU, no initramfs and no root, cmdline "console=ttyS0 panic=-1"; it did not reach its end/,
    );
    delete process.env['FAKE_KVM'];
  });
});

describe('the proof cache', () => {
  it('keys a proof by kernel sha256, hypervisor binary and version, machine, vCPUs and the host boot id', async () => {
    const dir = testDir();
    const kernel = kernelFile(dir, 'kernel A');
    const key = await kernelProofKey(
      { kernel, binary: FAKE_QEMU, version: '7.2.99', machine: 'pc', cpus: 1 },
      async () => 'boot-1',
    );
    expect(key).toEqual({
      kernelSha256: await sha256File(kernel),
      hypervisorBinary: FAKE_QEMU,
      hypervisorVersion: '7.2.99',
      machine: 'pc',
      cpus: 1,
      bootId: 'boot-1',
    });
    const file = proofCacheFile(dir, key!);
    const other = async (change: Partial<Parameters<typeof kernelProofKey>[0]>, bootId = 'boot-1') =>
      proofCacheFile(
        dir,
        (await kernelProofKey(
          { kernel, binary: FAKE_QEMU, version: '7.2.99', machine: 'pc', cpus: 1, ...change },
          async () => bootId,
        ))!,
      );
    expect(await other({})).toBe(file);
    expect(await other({}, 'boot-2')).not.toBe(file);
    expect(await other({ machine: 'q35' })).not.toBe(file);
    expect(await other({ version: '8.0' })).not.toBe(file);
    expect(await other({ cpus: 2 })).not.toBe(file);
    writeFileSync(kernel, 'kernel B');
    expect(await other({})).not.toBe(file);
    // Without a boot id a reboot cannot be told apart: nothing is cached.
    expect(
      await kernelProofKey({ kernel, binary: FAKE_QEMU, version: '1', machine: 'pc', cpus: 1 }, async () => null),
    ).toBeNull();
  });

  it('skips the proof boot on a cache hit, in this run and the next, and proves again after a reboot', async () => {
    const dir = testDir();
    const kernel = kernelFile(dir);
    let boots = 0;
    const failing: KernelProof = {
      ok: false,
      ms: 6000,
      reason: 'the kernel proof booted K; it hung',
      stoppedAt: 'firmware',
    };
    const prove = async () => {
      boots++;
      return failing;
    };
    const first = new KvmProver(dir, { prove, bootId: async () => 'boot-1' });
    expect(await first.kernel(target(kernel))).toEqual(failing);
    expect(await first.kernel(target(kernel))).toEqual(failing);
    expect(boots).toBe(1);

    const nextRun = new KvmProver(dir, { prove, bootId: async () => 'boot-1' });
    const remembered = await nextRun.kernel(target(kernel));
    expect(boots).toBe(1);
    expect(remembered).toMatchObject({ ok: false, reason: failing.ok || failing.reason });
    expect(remembered.cached?.file).toMatch(/kvm-proofs\/[0-9a-f]{64}\.json$/);
    expect(JSON.parse(readFileSync(remembered.cached!.file, 'utf8')).key.bootId).toBe('boot-1');

    const rebooted = new KvmProver(dir, { prove, bootId: async () => 'boot-2' });
    await rebooted.kernel(target(kernel));
    expect(boots).toBe(2);
  });
});

describe('the accelerator decision', () => {
  const usable = async () => ({ usable: true as const, ms: 5 });
  const dead = async () => ({ usable: false as const, reason: 'a 512-byte test guest did not finish' });
  const proofFails = async () => ({
    ok: false as const,
    ms: 6000,
    reason:
      'the kernel proof booted linux 6.1 with qemu -accel kvm -cpu host -machine pc; it stopped before the kernel printed its first line',
    stoppedAt: 'firmware' as const,
  });

  it('auto: KVM only when both steps pass; otherwise TCG with a warning that says what was booted and what happened', async () => {
    expect(await chooseAccel('auto', usable, async () => ({ ok: true, ms: 300, end: 'kernel panic' }))).toEqual({
      accel: 'kvm',
    });
    const fallback = await chooseAccel('auto', usable, proofFails);
    expect(fallback.accel).toBe('tcg');
    expect(fallback.reason).toMatch(/^the kernel proof booted linux 6\.1 .* it stopped before/);
    expect(fallback.warning).toMatch(/^KVM is unusable \(the kernel proof booted .*\); falling back to TCG/);
    let proved = false;
    const early = await chooseAccel('auto', dead, async () => {
      proved = true;
      return proofFails();
    });
    expect(early.reason).toBe('a 512-byte test guest did not finish');
    // The cheap step answers first: no kernel boot after a dead probe.
    expect(proved).toBe(false);
  });

  it('required: an InfraError naming the kernel proof, with the how-to; off: no probe at all', async () => {
    const error = await chooseAccel('required', usable, proofFails).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as InfraError).message).toMatch(
      /^KVM is required by this scenario \(kvm: required\) but is unusable: the kernel proof booted/,
    );
    expect((error as InfraError).hint).toMatch(/udevadm trigger --name-match=kvm/);
    let probed = false;
    expect(
      await chooseAccel('off', async () => {
        probed = true;
        return usable();
      }),
    ).toEqual({ accel: 'tcg' });
    expect(probed).toBe(false);
  });

  it('a pass that stalls under KVM: TCG under auto, the error itself under required', () => {
    const stall = new KvmStallError('measured pass 1/1: nothing past the firmware', 'a KVM measured pass 1/1 stalled');
    expect(afterKvmStall('auto', stall)).toMatchObject({ accel: 'tcg', reason: 'a KVM measured pass 1/1 stalled' });
    expect(() => afterKvmStall('required', stall)).toThrow(stall);
  });

  it('the real-mode probe passes with the fake QEMU (status 99) and fails without a device', async () => {
    expect(await probeKvm(FAKE_QEMU, '/dev/null')).toMatchObject({ usable: true });
    expect(await probeKvm(FAKE_QEMU, join(testDir(), 'no-kvm'))).toMatchObject({
      usable: false,
      reason: expect.stringContaining('does not exist'),
    });
  });
});
