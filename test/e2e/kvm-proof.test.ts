import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KvmProver } from '../../src/boot/accel.js';
import { qemuBackend, QEMU_BINARY } from '../../src/boot/qemu.js';
import { CACHE_ARGS, hypervisorsMentioning, runCli, startCli } from '../helpers/cli.js';
import { cloudKernel } from '../helpers/debian-kernel.js';
import { kvmBootsTheKernel } from '../helpers/kvm.js';
import { testDir } from '../helpers/vitest-dirs.js';

// The KVM proof on this machine's real /dev/kvm, with Debian's cloud kernel: a paravirtual KVM whose real-mode probe
// has been seen both to pass and to hang, and which hangs every real kernel. Nothing here forces `kvm: off` except the
// SIGKILL test, which is about processes, not KVM.

// Other test files (and other checkouts) share the test cache dir, so QEMU's argv cannot tell this file's QEMUs from
// theirs: every CLI here carries a marker in its environment, which its hypervisors inherit.
const MARKER = `BOOT_BUDGET_KVM_PROOF_TEST=${process.pid}-${Date.now()}`;
const markerEnv = { [MARKER.split('=')[0]!]: MARKER.split('=')[1]! };

function markedHypervisors(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('qemu-system')) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(MARKER)) found.push(`${pid} ${cmd}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

afterEach(() => {
  expect(markedHypervisors()).toEqual([]);
});

const bundled = readFileSync(join(import.meta.dirname, '..', '..', 'scenarios', 'debian-cloud-busybox.yaml'), 'utf8');

describe('the KVM proof on this host', () => {
  beforeAll(async () => {
    await cloudKernel();
  }, 600_000);

  it('boots the bundled scenario (kvm: auto) under TCG when KVM cannot boot its kernel, and says why', async () => {
    const works = await kvmBootsTheKernel(testDir());
    const out = testDir();
    const json = join(out, 'results.json');
    const run = await runCli(['scenarios/', '--passes', '1', '--warmup', '0', '--json', json, ...CACHE_ARGS], {
      env: markerEnv,
    });
    const scenario = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
    // Budgets are for an idle machine; on a loaded one they fail (exit 1). What must never happen is exit 3: a hang
    // under KVM that ends in a timeout.
    expect([0, 1]).toContain(run.code);
    expect(scenario.verdict).not.toBe('error');
    if (works) {
      expect(scenario.accel).toBe('kvm');
      return;
    }
    expect(scenario.accel).toBe('tcg');
    expect(scenario.accelReason).toMatch(/real-mode|512-byte|kernel proof/);
    expect(scenario.accelWarning).toContain(scenario.accelReason);
    expect(run.stdout).toMatch(/warning: KVM is unusable \(.*\); falling back to TCG/);
  }, 240_000);

  it('exits 3 within 15 s under kvm: required, naming the step of the proof that failed', async () => {
    const works = await kvmBootsTheKernel(testDir());
    const dir = testDir({ 'kvm.yaml': bundled.replace(/^kvm: auto$/m, 'kvm: required') });
    const run = await runCli([dir, '--allow-outside', ...CACHE_ARGS], { env: markerEnv });
    if (works) {
      expect([0, 1]).toContain(run.code);
      return;
    }
    const text = run.stdout + run.stderr;
    expect(run.code).toBe(3);
    expect(text).toMatch(/KVM is required by this scenario \(kvm: required\) but is unusable/);
    // Whichever step stopped it is named, with what it booted and where it stopped.
    expect(text).toMatch(
      /the kernel proof booted linux-image-\S+ .* with qemu-system-x86_64 -accel kvm -cpu host -machine pc.*it stopped|a 512-byte test guest/,
    );
    expect(text).toMatch(/udevadm trigger --name-match=kvm/);
    expect(run.ms).toBeLessThan(15_000);
  }, 60_000);

  it("proves KVM with the scenario's own kernel: on this host the kernel proof fails within its bound", async () => {
    const kernel = await cloudKernel();
    const prover = new KvmProver(testDir());
    const started = Date.now();
    const proof = await prover.kernel({
      backend: qemuBackend,
      binary: QEMU_BINARY,
      version: 'test',
      kernel: kernel.path,
      kernelLabel: kernel.description,
      machine: 'pc',
      cpus: 1,
      memoryMiB: 256,
      cmdline: 'console=ttyS0 quiet',
    });
    if (proof.ok) {
      // A host whose KVM works: the kernel reached its root-mount panic.
      expect(proof.end).toMatch(/VFS: Unable to mount root fs|init/);
      return;
    }
    expect(proof.reason).toMatch(
      /^the kernel proof booted linux-image-\S+ .* with qemu-system-x86_64 -accel kvm -cpu host -machine pc, 1 vCPU, no initramfs and no root, cmdline "console=ttyS0 panic=-1"; it /,
    );
    expect(proof.reason).toMatch(/it stopped (before the kernel printed its first line|inside the kernel)/);
    expect(proof.reason).toMatch(/host kernel log/);
    expect(Date.now() - started).toBeLessThan(12_000);
  }, 60_000);

  it('leaves no QEMU behind when boot-budget is SIGKILLed mid-boot', async () => {
    const kernel = await cloudKernel();
    // A cache dir of its own, so the initramfs path in QEMU's argv names this test's QEMU and no other test's.
    const cacheDir = testDir();
    const dir = testDir({
      'sigkill.yaml': `name: sigkill
kernel:
  path: ${kernel.path}
rootfs:
  busybox: {}
machine: pc
kvm: off
passes: 1
warmup: 0
timeout: 60s
`,
    });
    const cli = startCli([dir, '--allow-outside', '--cache-dir', cacheDir], { env: markerEnv });
    try {
      const deadline = Date.now() + 60_000;
      while (hypervisorsMentioning(cacheDir).length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(hypervisorsMentioning(cacheDir)).toHaveLength(1);
    } finally {
      // SIGKILL: no signal handler, no clean-up of boot-budget's own runs.
      cli.child.kill('SIGKILL');
    }
    await cli.done;
    await new Promise((r) => setTimeout(r, 1000));
    expect(hypervisorsMentioning(cacheDir)).toEqual([]);
  }, 120_000);

  // A fake QEMU first on PATH that behaves like working KVM (test/helpers/fake-qemu): the branch where both steps of
  // the proof pass and the passes boot with -accel kvm -cpu host, through the real CLI.
  it.skipIf(!existsSync('/dev/kvm'))(
    'takes KVM through the CLI when both steps pass (fake QEMU on PATH)',
    async () => {
      const fakeDir = join(import.meta.dirname, '..', 'helpers', 'fake-qemu');
      const dir = testDir({
        vmlinuz: 'a kernel that only the fake QEMU boots',
        'fake.yaml':
          'name: fake-kvm\nkernel:\n  path: vmlinuz\nrootfs:\n  busybox: {}\nkvm: auto\npasses: 1\nwarmup: 0\ntimeout: 20s\n',
      });
      const cacheDir = testDir();
      const json = join(dir, 'results.json');
      const log = join(dir, 'argv.jsonl');
      const run = await runCli([dir, '--allow-outside', '--cache-dir', cacheDir, '--json', json], {
        env: {
          PATH: `${fakeDir}:${process.env['PATH']}`,
          FAKE_KVM: 'works',
          FAKE_QEMU_REPLAY: join(import.meta.dirname, '..', 'fixtures', 'boots', 'cloud-hwclock.json'),
          FAKE_QEMU_LOG: log,
          ...markerEnv,
        },
      });
      expect(run.stderr).not.toMatch(/internal error/);
      const scenario = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
      expect(scenario.accel, run.stdout + run.stderr).toBe('kvm');
      expect(scenario.accelReason).toBeUndefined();
      expect(run.stdout).not.toMatch(/falling back to TCG/);
      const argvs = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as string[]);
      const pass = argvs.find((a) => a.includes('-initrd'))!;
      expect(pass.join(' ')).toContain('-accel kvm -cpu host');
      // The proof boot before it: the same kernel alone.
      expect(
        argvs.some((a) => a.includes('-kernel') && !a.includes('-initrd') && a.join(' ').includes('-cpu host')),
      ).toBe(true);
    },
    120_000,
  );
});
