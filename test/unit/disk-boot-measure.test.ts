import { describe, expect, it } from 'vitest';
import { judgeStages, listedStages } from '../../src/judge/budgets.js';
import { unseenBudgetReasons } from '../../src/judge/unseen.js';
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

  it('lists loader on disk boots only, and initrd only where measured, each in its place in the boot', () => {
    expect(stageOrderFor('disk')).toEqual(['firmware', 'loader', 'kernel', 'userspace', 'shutdown', 'total']);
    expect(stageOrderFor('kernel')).toEqual(['firmware', 'kernel', 'userspace', 'shutdown', 'total']);
    // The order measure-pass emits stages in is not the boot's: a custom stage may come first, doorbell after total.
    expect(listedStages(stageOrderFor('disk'), ['probe', 'doorbell', 'initrd', 'kernel', 'apps'])).toEqual([
      'firmware',
      'loader',
      'kernel',
      'initrd',
      'userspace',
      'shutdown',
      'total',
      'doorbell',
      'probe',
      'apps',
    ]);
    // This boot has no root switch: no initrd row, where it used to show "not seen".
    const stages = judgeStages([measure('uefi-systemd-boot')], stageOrderFor('disk'), []);
    expect(stages.map((s) => s.name)).toEqual(['firmware', 'loader', 'kernel', 'userspace', 'shutdown', 'total']);
  });

  it('says why an initrd or loader budget could not be judged', () => {
    const budget = (stage: string) => ({
      stage,
      maxMs: 1000,
      level: 'error' as const,
      statistic: 'median' as const,
      pos: { line: 1, column: 1 },
    });
    const budgets = [budget('initrd'), budget('loader')];
    const stages = judgeStages([measure('uefi-systemd-boot')], stageOrderFor('disk'), budgets);
    expect(unseenBudgetReasons(stages, budgets)).toEqual([
      expect.stringMatching(/^initrd has a budget but was never seen: root switch not seen: .*has no initramfs/),
    ]);
    const noLoader = judgeStages([measure('cloud-quiet-sleep1')], stageOrderFor('disk'), budgets);
    expect(unseenBudgetReasons(noLoader, budgets)[1]).toMatch(
      /^loader has a budget but was never seen: boot loader start not seen: .*OVMF \(BdsDxe: starting\)/,
    );
  });
});
