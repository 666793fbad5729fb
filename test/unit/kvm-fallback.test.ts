import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KvmProver, probeKvm } from '../../src/boot/accel.js';
import { proofCommand, proveKernel } from '../../src/boot/kvm/kernel-proof.js';
import { cloudHypervisorBackend } from '../../src/boot/cloud-hypervisor.js';
import { firecrackerBackend } from '../../src/boot/firecracker.js';
import { qemuBackend } from '../../src/boot/qemu.js';
import type { HypervisorBackend } from '../../src/boot/types.js';
import { runScenarios } from '../../src/core/run-scenarios.js';
import type { ProgressEvent } from '../../src/report/reporter.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { tcgFallbackAnnotation } from '../../src/report/github/accel-notice.js';
import { summaryMarkdown } from '../../src/report/github/summary.js';
import { resultsToJson } from '../../src/report/json.js';
import { resultsFromJson } from '../../src/report/results-file.js';
import { plainStyle } from '../../src/report/style.js';
import { renderScenario } from '../../src/report/terminal.js';
import { testDir } from '../helpers/vitest-dirs.js';

// The whole core with a fake QEMU (test/helpers/fake-qemu): which accelerator each kind of KVM host ends up with, and
// what the results say about it. The boots replay a captured console, so the passes are measured for real.

const FAKE_QEMU = join(import.meta.dirname, '..', 'helpers', 'fake-qemu', 'qemu-system-x86_64');
const REPLAY = join(import.meta.dirname, '..', 'fixtures', 'boots', 'cloud-hwclock.json');

const fakeQemu: HypervisorBackend = { ...qemuBackend, detect: async () => ({ binary: FAKE_QEMU, version: '7.2.99' }) };

afterEach(() => {
  delete process.env['FAKE_KVM'];
  delete process.env['FAKE_QEMU_REPLAY'];
  delete process.env['FAKE_QEMU_LOG'];
});

async function run(kvm: 'works' | 'hangs' | 'stalls-passes', mode: 'auto' | 'required' = 'auto') {
  const dir = testDir();
  writeFileSync(join(dir, 'vmlinuz'), `a kernel for a host whose KVM ${kvm}`);
  const file = join(dir, 'fake.yaml');
  writeFileSync(
    file,
    `name: fake-${kvm}\nkernel:\n  path: vmlinuz\nrootfs:\n  busybox: {}\nmachine: pc\nkvm: ${mode}\npasses: 1\nwarmup: 0\ntimeout: 20s\n`,
  );
  const scenario = await loadScenarioFile(file, dir);
  process.env['FAKE_KVM'] = kvm;
  process.env['FAKE_QEMU_REPLAY'] = REPLAY;
  const log = join(dir, 'argv.jsonl');
  process.env['FAKE_QEMU_LOG'] = log;
  const events: ProgressEvent[] = [];
  let proofBoots = 0;
  const prover = new KvmProver(
    join(dir, 'cache'),
    {
      // /dev/null stands in for /dev/kvm: readable and writable on any machine.
      probe: (binary) => probeKvm(binary, '/dev/null'),
      prove: (target) => {
        proofBoots++;
        return proveKernel(target, { timeoutMs: 2000 });
      },
    },
    { stallMs: 1500 },
  );
  const results = await runScenarios(
    [scenario],
    { cacheDir: join(dir, 'cache') },
    { reporter: { progress: (e) => events.push(e) }, backends: { qemu: fakeQemu }, kvmProver: prover },
  );
  const argvs = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as string[]);
  return { result: results.scenarios[0]!, events, argvs, proofBoots, prover, scenario, dir };
}

const accelOf = (argv: string[]) => argv[argv.indexOf('-accel') + 1];
const cpuOf = (argv: string[]) => argv[argv.indexOf('-cpu') + 1];

describe('kvm: auto on each kind of KVM host', () => {
  it('working KVM: the proof passes and the passes boot with -accel kvm -cpu host', async () => {
    const { result, argvs, proofBoots } = await run('works');
    expect(result.error).toBeUndefined();
    expect(result.accel).toBe('kvm');
    expect(result.accelReason).toBeUndefined();
    expect(proofBoots).toBe(1);
    const passes = argvs.filter((a) => a.includes('-initrd'));
    expect(passes).toHaveLength(1);
    expect([accelOf(passes[0]!), cpuOf(passes[0]!)]).toEqual(['kvm', 'host']);
    // The proof itself: the kernel alone, under KVM.
    const proof = argvs.find((a) => a.includes('-kernel') && !a.includes('-initrd'))!;
    expect([accelOf(proof), cpuOf(proof)]).toEqual(['kvm', 'host']);
  }, 60_000);

  it('KVM that hangs every kernel: TCG, and the results say what was booted and what happened', async () => {
    const { result, argvs, events } = await run('hangs');
    expect(result.error).toBeUndefined();
    expect(result.verdict).not.toBe('error');
    expect(result.accel).toBe('tcg');
    expect(result.accelReason).toMatch(
      /^the kernel proof booted .*vmlinuz.* with .*qemu-system-x86_64 -accel kvm -cpu host -machine pc, 1 vCPU, no initramfs and no root, .*it stopped before the kernel printed its first line/,
    );
    expect(result.accelWarning).toContain(result.accelReason);
    // No measured pass ever ran under KVM.
    expect(argvs.filter((a) => a.includes('-initrd')).map(accelOf)).toEqual(['tcg']);
    const accelEvents = events.filter((e) => e.type === 'accel');
    expect(accelEvents).toHaveLength(1);

    // The same result, as each report shows it: the terminal, the results JSON, the job summary, the annotation.
    const results = { version: 1 as const, scenarios: [result] };
    expect(renderScenario(result, plainStyle)).toContain(`warning: KVM is unusable (${result.accelReason});`);
    const json = resultsToJson(results) as { scenarios: Array<{ accel: string; accelReason: string }> };
    expect(json.scenarios[0]).toMatchObject({ accel: 'tcg', accelReason: result.accelReason });
    expect(resultsFromJson(JSON.parse(JSON.stringify(json)), 'results.json').scenarios[0]!.accelReason).toBe(
      result.accelReason,
    );
    const summary = summaryMarkdown(results);
    expect(summary).toMatch(/> \[!WARNING\]\n> Some scenarios ran under TCG/);
    expect(summary).toContain(`> - fake-hangs: the kernel proof booted`);
    expect(summary).toContain('it stopped before the kernel printed its first line');
    expect(tcgFallbackAnnotation(results)).toMatch(
      /^KVM is unusable on this runner, so boot-budget fell back to TCG: .*\nfake-hangs: the kernel proof booted .* -accel kvm -cpu host/,
    );
  }, 60_000);

  it('KVM that passes the proof and stalls a pass: the scenario runs again under TCG and the proof is remembered as failed', async () => {
    const { result, argvs, prover, scenario } = await run('stalls-passes');
    expect(result.error).toBeUndefined();
    expect(result.accel).toBe('tcg');
    expect(result.accelReason).toMatch(
      /^a KVM measured pass 1\/1: nothing past the firmware on the console within 1500 ms/,
    );
    expect(argvs.filter((a) => a.includes('-initrd')).map(accelOf)).toEqual(['kvm', 'tcg']);
    // The next scenario on this kernel does not try KVM again.
    const kernel = scenario.kernel?.kind === 'path' ? scenario.kernel.path : '';
    const again = await prover.kernel({
      backend: fakeQemu,
      binary: FAKE_QEMU,
      version: '7.2.99',
      kernel,
      kernelLabel: 'k',
      machine: 'pc',
      cpus: 1,
      memoryMiB: 256,
      cmdline: '',
    });
    expect(again.ok).toBe(false);
  }, 60_000);

  it('kvm: required with a stalling pass is an error, not a TCG run', async () => {
    const { result, argvs } = await run('stalls-passes', 'required');
    expect(result.verdict).toBe('error');
    expect(result.error).toMatch(/nothing past the firmware/);
    expect(argvs.filter((a) => a.includes('-initrd')).map(accelOf)).toEqual(['kvm']);
  }, 60_000);
});

describe('Firecracker and Cloud Hypervisor: the same proof through their own binaries', () => {
  const request = { kernel: '/cache/vmlinux', kernelLabel: 'k', machine: 'pc' as const, cpus: 2, memoryMiB: 256 };

  it('boots the kernel alone with the console and panic=-1: no initramfs, no disk', () => {
    const fc = proofCommand({
      ...request,
      backend: firecrackerBackend,
      binary: 'firecracker',
      cmdline: 'console=ttyS0 quiet',
    });
    try {
      const config = JSON.parse(readFileSync(fc.args[fc.args.indexOf('--config-file') + 1]!, 'utf8'));
      expect(fc.file).toBe('firecracker');
      expect(config['boot-source'].kernel_image_path).toBe('/cache/vmlinux');
      expect(config['boot-source']).not.toHaveProperty('initrd_path');
      expect(config['boot-source'].boot_args).toMatch(/^console=ttyS0 panic=-1\b/);
      expect(config.drives ?? []).toEqual([]);
      expect(config['machine-config'].vcpu_count).toBe(2);
    } finally {
      fc.release?.();
    }
    const ch = proofCommand({
      ...request,
      backend: cloudHypervisorBackend,
      binary: 'cloud-hypervisor',
      cmdline: 'console=hvc0',
    });
    expect(ch.file).toBe('cloud-hypervisor');
    expect(ch.args).not.toContain('--initramfs');
    expect(ch.args).not.toContain('--disk');
    expect(ch.args[ch.args.indexOf('--cmdline') + 1]).toMatch(/^console=hvc0 panic=-1\b/);
  });

  it('a failed proof is the scenario error, naming the reason, before the rootfs is built', async () => {
    const dir = testDir();
    writeFileSync(join(dir, 'vmlinux'), 'a vmlinux');
    const file = join(dir, 'fc.yaml');
    writeFileSync(
      file,
      'name: fc\nkernel:\n  path: vmlinux\nrootfs:\n  busybox: {}\nhypervisor: firecracker\nkvm: auto\npasses: 1\nwarmup: 0\n',
    );
    const scenario = await loadScenarioFile(file, dir);
    process.env['FAKE_KVM'] = 'hangs';
    const log = join(dir, 'argv.jsonl');
    process.env['FAKE_QEMU_LOG'] = log;
    // A Firecracker that hangs under KVM: the fake QEMU stands in for its binary, with its own proof argv.
    const hangingFirecracker: HypervisorBackend = {
      name: 'firecracker',
      detect: async () => ({ binary: FAKE_QEMU, version: '1.7.0' }),
      command: (binary, req) => ({ ...firecrackerBackend.command(binary, req), file: binary }),
    };
    const prover = new KvmProver(
      join(dir, 'cache'),
      // The real-mode step runs QEMU's boot sector whatever the hypervisor: the fake QEMU's passes.
      { probe: () => probeKvm(FAKE_QEMU, '/dev/null'), prove: (t) => proveKernel(t, { timeoutMs: 1000 }) },
      { stallMs: 1000 },
    );
    const results = await runScenarios(
      [scenario],
      { cacheDir: join(dir, 'cache') },
      { reporter: { progress() {} }, backends: { firecracker: hangingFirecracker }, kvmProver: prover },
    );
    const result = results.scenarios[0]!;
    expect(result.verdict).toBe('error');
    expect(result.error).toMatch(
      /^firecracker runs guests only under kvm, and KVM is unusable: the kernel proof booted .*vmlinux.* with .*qemu-system-x86_64 KVM \(firecracker\), 1 vCPU, no initramfs and no root/,
    );
    expect(result.rootfs).toBeNull();
    // One boot: the proof's (a --config-file argv); no pass.
    const argvs = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(argvs.filter((a) => !a.some((x) => x.startsWith('isa-debug-exit')))).toHaveLength(1);
  }, 60_000);
});
