import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dirSize, formatDoctorReport, gatherDoctorReport } from '../../src/boot/doctor.js';

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
    if (report.hypervisors[0]!.found) expect(text).toContain('✗ unusable: stub: no KVM here');
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
    expect(text).toContain('✓ usable: a test guest ran under KVM in 130 ms');
    expect(text).toContain('sudo apt-get install -y busybox-static');
    expect(text).toContain('/c: not created yet');
  });
});
