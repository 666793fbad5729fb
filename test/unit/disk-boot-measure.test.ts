import { describe, expect, it } from 'vitest';
import { measurePass } from '../../src/measure/measure-pass.js';
import { stageOrderFor } from '../../src/measure/stages.js';
import { loadBootFixture } from '../helpers/fixtures.js';

// Real whole-disk boots (OVMF → systemd-boot → cloud kernel → busybox agent), captured with
// scripts/capture-boot.ts; each fixture says how in `captured.how`.
const measure = (name: string) =>
  measurePass(loadBootFixture(name).trace, [], undefined, { machine: 'q35', firmware: 'uefi' });

describe('stages of a whole-disk UEFI boot', () => {
  it('splits firmware at OVMF starting the loader, and loader at kernel clock zero; they add up to total', () => {
    const m = measure('uefi-systemd-boot');
    const byName = Object.fromEntries(m.stages.map((s) => [s.name, s]));
    const { firmware, loader, kernel, userspace, total } = byName;
    expect(firmware!.endT).toBe(loader!.startT);
    expect(loader!.endT).toBe(kernel!.startT);
    expect(firmware!.ms + loader!.ms + kernel!.ms + userspace!.ms).toBeCloseTo(total!.ms, 6);
    expect(firmware!.edges).toEqual({ from: '(hypervisor spawned)', to: 'OVMF (BdsDxe: starting)' });
    expect(loader!.edges).toEqual({
      from: 'OVMF (BdsDxe: starting)',
      to: 'kernel log (clock aligned to the console)',
    });
    // The agent's initramfs is the root: no switch, so no initrd stage.
    expect(byName['initrd']).toBeUndefined();
  });

  it('puts the menu countdown inside loader, and prices it at its timeout', () => {
    const plain = measure('uefi-systemd-boot');
    const menu = measure('uefi-systemd-boot-menu2');
    const loaderOf = (m: typeof plain) => m.stages.find((s) => s.name === 'loader')!;
    const hint = menu.hints.find((h) => h.id === 'loader-menu-timeout')!;
    expect(hint.ms).toBe(2000);
    expect(hint.evidence).toContain('Boot in 2 s.');
    expect(loaderOf(menu).ms).toBeGreaterThan(2000);
    expect(plain.hints.map((h) => h.id)).not.toContain('loader-menu-timeout');
  });

  it('lists loader and initrd in boot-chart order for disk boots only', () => {
    expect(stageOrderFor('disk')).toEqual(['firmware', 'loader', 'kernel', 'initrd', 'userspace', 'shutdown', 'total']);
    expect(stageOrderFor('kernel')).toEqual(['firmware', 'kernel', 'userspace', 'shutdown', 'total']);
  });
});
