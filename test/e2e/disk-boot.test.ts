import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CACHE_ARGS, runCli, TEST_CACHE_DIR } from '../helpers/cli.js';
import { cloudKernel } from '../helpers/debian-kernel.js';
import { expectNoHypervisorsAfterEach, testDir } from '../helpers/vitest-dirs.js';

// Whole-disk boots under real QEMU: OVMF → systemd-boot → Debian's cloud kernel → boot-budget's busybox agent, from
// a GPT image that the disk-image source builds without root. Each UEFI boot takes ~8 s under TCG on an idle machine
// (several times that on a loaded one), so every scenario runs one pass.

expectNoHypervisorsAfterEach();

const imageScenario = (name: string, menuTimeout: number, passes = 1) => `name: ${name}
boot: disk
rootfs:
  disk-image:
    from: { busybox: {} }
    kernel: { apt: linux-image-cloud-amd64 }
    loader: systemd-boot
    menu-timeout: ${menuTimeout}
machine: q35
passes: ${passes}
warmup: 0
timeout: 180s
`;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

interface StageJson {
  samples: number[];
  hints?: Array<{ id: string }>;
}

describe('whole-disk boots, real QEMU with OVMF', () => {
  beforeAll(async () => {
    await cloudKernel();
  }, 600_000);

  it('boots a built UEFI image through firmware, loader, kernel and userspace; a menu timeout shows in loader', async () => {
    const dir = testDir({
      'a-no-menu.yaml': imageScenario('uefi-no-menu', 0, 2),
      'b-menu.yaml': imageScenario('uefi-menu-2s', 2, 2),
    });
    const json = join(dir, 'results.json');
    const run = await runCli([dir, '--json', json, ...CACHE_ARGS]);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(0);
    const results = JSON.parse(readFileSync(json, 'utf8'));
    const [plain, menu] = results.scenarios;
    for (const scenario of [plain, menu]) {
      expect(scenario.firmware).toBe('ovmf');
      expect(scenario.verdict).toBe('pass');
      const stages = scenario.stages as Record<string, StageJson>;
      for (let i = 0; i < 2; i++) {
        const [fw, loader, kernel, userspace, total] = ['firmware', 'loader', 'kernel', 'userspace', 'total'].map(
          (n) => stages[n]!.samples[i]!,
        );
        for (const ms of [fw, loader, kernel, userspace]) expect(ms).toBeGreaterThan(0);
        expect(Math.abs(fw! + loader! + kernel! + userspace! - total!)).toBeLessThan(1);
      }
      // The busybox agent is the initramfs itself: there is no switch to another root, so no initrd row.
      expect(stages['initrd']).toBeUndefined();
      // Results say what placed the edges: OVMF's BdsDxe line ends firmware, the aligned kernel log ends loader.
      const timeline = scenario.timeline[0].stages as Array<{ name: string; edges?: { from: string; to: string } }>;
      expect(timeline.find((s) => s.name === 'firmware')?.edges?.to).toBe('OVMF (BdsDxe: starting)');
      expect(timeline.find((s) => s.name === 'loader')?.edges).toEqual({
        from: 'OVMF (BdsDxe: starting)',
        to: 'kernel log (clock aligned to the console)',
      });
    }
    // The menu waits on the firmware's timer (wall time), while the rest of loader (reading 9 MB through OVMF's NVMe
    // driver, the EFI stub's decompression) is emulated work that a loaded host stretches by seconds: on this shared
    // machine two boots' loader stages differed by 1.8, -0.4 and 0.9 s with and without `timeout 2`, so the menu is
    // checked inside each boot instead. systemd-boot draws it (one console line, `Boot in 2 s.`) when loader starts,
    // and the kernel's clock starts at least the countdown later.
    const menuLine = (s: { timeline: Array<{ events: Array<{ t: number; text: string }> }> }) =>
      s.timeline.map((pass) => pass.events.find((e) => /Boot in 2 s\./.test(e.text)));
    const loaderEnds = (s: { timeline: Array<{ stages: Array<{ name: string; endT: number }> }> }) =>
      s.timeline.map((pass) => pass.stages.find((st) => st.name === 'loader')!.endT);
    const menuEnds = loaderEnds(menu);
    menuLine(menu).forEach((line, i) => {
      expect(line).toBeDefined();
      expect(menuEnds[i]! - line!.t).toBeGreaterThanOrEqual(1900);
    });
    expect(menuLine(plain)).toEqual([undefined, undefined]);
    // The menu's line ends without a newline; the agent ends it, so its init marker is a line of its own and both
    // markers (init and ready) pin the kernel's clock, with or without the menu.
    for (const scenario of [plain, menu]) {
      expect(scenario.alignment.pairs).toBe(2);
      for (const pass of scenario.timeline as Array<{ events: Array<{ text: string }> }>)
        expect(pass.events.map((e) => e.text)).toContain('boot-budget:init');
    }
    const hintIds = (s: { stages: Record<string, StageJson> }) => (s.stages['loader']!.hints ?? []).map((h) => h.id);
    expect(hintIds(menu)).toContain('loader-menu-timeout');
    const hint = menu.stages['loader'].hints.find((h: { id: string }) => h.id === 'loader-menu-timeout');
    expect(hint.ms).toBe(2000);
    expect(hintIds(plain)).not.toContain('loader-menu-timeout');
  }, 900_000);

  it('boots a BIOS image: SeaBIOS runs GRUB from the MBR gap, which starts the kernel', async () => {
    const dir = testDir({
      'bios.yaml': `name: grub-bios
boot: disk
rootfs:
  disk-image:
    from: { busybox: {} }
    kernel: { apt: linux-image-cloud-amd64 }
    loader: grub
    firmware: bios
machine: q35
passes: 1
warmup: 0
timeout: 180s
`,
    });
    const json = join(dir, 'results.json');
    const run = await runCli([dir, '--json', json, ...CACHE_ARGS]);
    expect(run.code).toBe(0);
    const scenario = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
    expect(scenario.firmware).toBe('seabios');
    const stages = scenario.stages as Record<string, StageJson>;
    const [fw, loader, kernel, userspace, total] = ['firmware', 'loader', 'kernel', 'userspace', 'total'].map(
      (n) => stages[n]!.samples[0]!,
    );
    for (const ms of [fw, loader, kernel, userspace]) expect(ms).toBeGreaterThan(0);
    expect(Math.abs(fw! + loader! + kernel! + userspace! - total!)).toBeLessThan(1);
    const timeline = scenario.timeline[0].stages as Array<{ name: string; edges?: { from: string; to: string } }>;
    expect(timeline.find((s) => s.name === 'loader')?.edges?.from).toBe('GRUB console (its first line)');
  }, 900_000);

  it("leaves a user's disk image byte-identical after a passing run and a failing one, though the guest writes it", async () => {
    // A user's image: one the disk-image source builds, whose agent writes a fresh random UUID over the disk's first
    // bytes on every boot, copied out of the cache. Without snapshot=on that write would land in the file.
    const writer = testDir({
      'writer.yaml': `${imageScenario('uefi-disk-writer', 0)}run:
  - test -b /dev/nvme0n1 && cat /proc/sys/kernel/random/uuid | dd of=/dev/nvme0n1 bs=1 seek=0 conv=notrunc && sync && echo wrote-the-disk
`,
    });
    const built = await runCli([writer, ...CACHE_ARGS]);
    expect(built.code).toBe(0);
    const store = join(TEST_CACHE_DIR, 'store', 'disk-image');
    // The writer's image is the entry used last: the cache touches an entry's directory on every use (its file keeps
    // the time it was built, which on a reused cache can be older than another image's).
    const newest = readdirSync(store)
      .filter((key) => statSync(join(store, key, 'disk.img'), { throwIfNoEntry: false })?.isFile())
      .sort((a, b) => statSync(join(store, b)).mtimeMs - statSync(join(store, a)).mtimeMs)
      .map((key) => join(store, key, 'disk.img'))[0]!;
    const userScenario = (name: string, extra: string) => `name: ${name}
boot: disk
firmware: uefi
rootfs:
  disk: { image: user.img, format: raw }
machine: q35
passes: 1
warmup: 0
timeout: 180s
${extra}`;
    const passing = testDir({ 'user.yaml': userScenario('user-disk-pass', '') });
    copyFileSync(newest, join(passing, 'user.img'));
    const before = sha256(join(passing, 'user.img'));
    const failing = testDir({ 'user.yaml': userScenario('user-disk-fail', 'budgets:\n  total: 1ms\n') });
    copyFileSync(newest, join(failing, 'user.img'));

    const json = join(passing, 'results.json');
    const ok = await runCli([passing, '--json', json, ...CACHE_ARGS]);
    expect(ok.code).toBe(0);
    // The guest did write to its disk; the write went to QEMU's throw-away overlay.
    const events = JSON.parse(readFileSync(json, 'utf8')).scenarios[0].timeline[0].events as Array<{ text: string }>;
    expect(events.some((e) => e.text === 'wrote-the-disk')).toBe(true);
    expect(sha256(join(passing, 'user.img'))).toBe(before);
    const bad = await runCli([failing, ...CACHE_ARGS]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL user-disk-fail/);
    expect(sha256(join(failing, 'user.img'))).toBe(before);
  }, 900_000);
});
