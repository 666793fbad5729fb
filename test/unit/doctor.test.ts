import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dirSize, formatDoctorReport, gatherDoctorReport } from '../../src/boot/doctor.js';
import { loadScenarioFile } from '../../src/scenario/load.js';

const dir = mkdtempSync(join(tmpdir(), 'boot-budget-doctor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('doctor', () => {
  it('adds up the cache directory recursively', async () => {
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'a', 'x'), Buffer.alloc(1000));
    writeFileSync(join(dir, 'a', 'b', 'y'), Buffer.alloc(24));
    expect(await dirSize(dir)).toBe(1024);
    expect(await dirSize(join(dir, 'missing'))).toBe(0);
  });

  it('reports every hypervisor, the KVM proof and why, and the cache', async () => {
    const report = await gatherDoctorReport(dir, async () => ({ usable: false, reason: 'stub: no KVM here' }));
    expect(report.hypervisors.map((h) => h.name)).toEqual(['qemu', 'firecracker', 'cloud-hypervisor']);
    for (const h of report.hypervisors) if (!h.found) expect(h.install).not.toBe('');
    expect(report.cache).toEqual({ dir, bytes: 1024, exists: true });
    const text = formatDoctorReport(report);
    expect(text).toMatch(/^hypervisors:/);
    if (report.hypervisors[0]!.found && report.kvmDevice?.ok)
      expect(text).toContain('✗ real-mode probe: stub: no KVM here');
    expect(text).toContain(`${dir}: 1.0 KiB`);
  });

  it('prints the install command for missing packages', () => {
    const text = formatDoctorReport({
      hypervisors: [
        {
          name: 'firecracker',
          found: false,
          problem: 'firecracker was not found on PATH.',
          install: 'a release binary',
        },
      ],
      kvm: { usable: true, ms: 130 },
      missingPackages: ['busybox-static'],
      installCommand: 'sudo apt-get update && sudo apt-get install -y busybox-static',
      cache: { dir: '/c', bytes: 0, exists: false },
    });
    expect(text).toContain('✗ firecracker: firecracker was not found on PATH.');
    expect(text).toContain('✓ real-mode probe: a 512-byte test guest ran under KVM in 130 ms');
    expect(text).toContain('sudo apt-get install -y busybox-static');
    expect(text).toContain('/c: not created yet');
  });

  it('shows each step of the KVM proof: the device, the real-mode probe, and the kernel proof per scenario', () => {
    const text = formatDoctorReport({
      hypervisors: [{ name: 'qemu', found: true, binary: 'qemu-system-x86_64', version: '7.2.22' }],
      kvmDevice: { ok: true },
      kvm: { usable: true, ms: 1678 },
      kernelProofs: [
        {
          scenario: 'debian-cloud-busybox',
          hypervisor: 'qemu',
          machine: 'pc',
          kernel: 'linux-image-6.1.0-57-cloud-amd64',
          proof: {
            ok: false,
            ms: 6000,
            reason:
              'the kernel proof booted linux-image-6.1.0-57-cloud-amd64 …; it stopped before the kernel printed its first line',
            stoppedAt: 'firmware',
            cached: { file: '/c/kvm-proofs/x.json', provedAt: '2026-11-30T01:00:00.000Z' },
          },
        },
        {
          scenario: 'fc',
          hypervisor: 'firecracker',
          machine: 'pc',
          kernel: null,
          proof: { skipped: 'firecracker is not installed' },
        },
      ],
      setpriv: null,
      missingPackages: [],
      installCommand: null,
      checkedPackages: ['qemu-system-x86'],
      cache: { dir: '/c', bytes: 0, exists: false },
    });
    expect(text).toContain('✓ /dev/kvm opens for read and write');
    expect(text).toContain('✓ real-mode probe: a 512-byte test guest ran under KVM in 1678 ms');
    expect(text).toContain(
      '✗ kernel proof, debian-cloud-busybox (linux-image-6.1.0-57-cloud-amd64, qemu pc) (remembered from 2026-11-30T01:00:00.000Z):',
    );
    expect(text).toContain('it stopped before the kernel printed its first line');
    expect(text).toContain(
      '· kernel proof, fc (kernel not resolved, firecracker pc): not run, firecracker is not installed',
    );
    expect(text).toContain('boots under qemu fall back to TCG');
    expect(text).toContain('✗ setpriv (util-linux) is missing');
  });

  it('runs the kernel proof for each scenario it is given, with the fake proof standing in for the boot', async () => {
    const kernelDir = mkdtempSync(join(tmpdir(), 'boot-budget-doctor-kernel-'));
    try {
      writeFileSync(join(kernelDir, 'vmlinuz'), 'kernel');
      writeFileSync(
        join(kernelDir, 's.yaml'),
        'name: s\nkernel:\n  path: vmlinuz\nrootfs:\n  busybox: {}\nmachine: q35\n',
      );
      const scenario = await loadScenarioFile(join(kernelDir, 's.yaml'), kernelDir);
      const proved: string[] = [];
      const report = await gatherDoctorReport(kernelDir, async () => ({ usable: true, ms: 1 }), undefined, {
        scenarios: [scenario],
        prove: async (target) => {
          proved.push(`${target.kernel} ${target.machine}`);
          return { ok: true, ms: 250, end: 'kernel panic: VFS' };
        },
      });
      const entry = report.kernelProofs?.[0];
      if (!report.hypervisors[0]!.found || !report.kvmDevice?.ok) {
        // No QEMU or no /dev/kvm on this host: the proof is skipped with the reason.
        expect(entry?.proof).toHaveProperty('skipped');
        return;
      }
      expect(proved).toEqual([`${join(kernelDir, 'vmlinuz')} q35`]);
      expect(formatDoctorReport(report)).toMatch(/✓ kernel proof, s \(.*, qemu q35\): kernel panic: VFS after 250 ms/);
    } finally {
      rmSync(kernelDir, { recursive: true, force: true });
    }
  });
});
