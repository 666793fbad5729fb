import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeEsp } from '../../src/artifacts/image/esp.js';
import { assembleDisk, layoutDisk, ROOT_PARTUUID } from '../../src/artifacts/image/gpt.js';
import { checkScenarioFile } from '../../src/scenario/load.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'boot-budget-disk-image-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function check(text: string) {
  await writeFile(path.join(dir, 'scenario.yaml'), text);
  return checkScenarioFile('scenario.yaml', dir);
}

async function problems(text: string) {
  const result = await check(text);
  if (result.ok) throw new Error('expected the scenario to be rejected');
  return result.errors.map(({ line, keyPath, detail }) => ({ line, keyPath, detail }));
}

const IMAGE = `rootfs:
  disk-image:
    from: { busybox: {} }
    kernel: { apt: linux-image-cloud-amd64 }
`;

describe('boot: disk scenarios', () => {
  it('loads a disk-image scenario with no kernel, defaulting to UEFI and systemd-boot', async () => {
    const result = await check(`name: d\nboot: disk\n${IMAGE}    menu-timeout: 2\nmachine: q35\n`);
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
    const { scenario } = result;
    expect(scenario.boot).toBe('disk');
    expect(scenario.kernel).toBeUndefined();
    expect(scenario.firmware).toBe('uefi');
    expect(scenario.rootfs).toEqual({
      kind: 'disk-image',
      from: { kind: 'busybox' },
      kernel: { kind: 'apt', packages: ['linux-image-cloud-amd64'] },
      loader: 'systemd-boot',
      firmware: 'uefi',
      menuTimeoutS: 2,
    });
  });

  it('keeps qboot as the default firmware of a -kernel boot', async () => {
    const result = await check('name: k\nkernel: {apt: linux-image-cloud-amd64}\nrootfs: {busybox: {}}\n');
    expect(result.ok && result.scenario.firmware).toBe('qboot');
    expect(result.ok && result.scenario.boot).toBe('kernel');
  });

  it('names the key that breaks a whole-disk rule', async () => {
    expect(await problems(`name: d\nboot: disk\nkernel: {apt: linux-image-cloud-amd64}\n${IMAGE}`)).toEqual([
      { line: 3, keyPath: 'kernel', detail: expect.stringMatching(/carries its own kernel; drop `kernel:`/) },
    ]);
    expect(await problems(`name: d\n${IMAGE}`)).toEqual([
      { line: 3, keyPath: 'rootfs.disk-image', detail: expect.stringMatching(/add `boot: disk`/) },
    ]);
    expect(await problems('name: d\nrootfs: {busybox: {}}\n')).toEqual([
      { line: 1, keyPath: 'kernel', detail: expect.stringMatching(/missing `kernel:`/) },
    ]);
    expect(await problems(`name: d\nboot: disk\nfirmware: qboot\nmachine: microvm\n${IMAGE}`)).toEqual([
      { line: 3, keyPath: 'firmware', detail: expect.stringMatching(/`uefi` \(OVMF\) or `bios`/) },
      { line: 4, keyPath: 'machine', detail: expect.stringMatching(/microvm has no firmware/) },
    ]);
    expect(await problems('name: d\nboot: disk\nrootfs: {busybox: {}}\n')).toEqual([
      { line: 3, keyPath: 'rootfs', detail: expect.stringMatching(/needs a disk/) },
    ]);
  });

  it("refuses kvm: required on a user's disk, whose kernel cannot be proved, and takes kvm: auto", async () => {
    await writeFile(path.join(dir, 'disk.img'), Buffer.alloc(512));
    const userDisk = 'rootfs: {disk: {image: ./disk.img}}\n';
    expect(await problems(`name: d\nboot: disk\nkvm: required\n${userDisk}`)).toEqual([
      { line: 3, keyPath: 'kvm', detail: expect.stringMatching(/KVM cannot be proved on a user's disk image/) },
    ]);
    const auto = await check(`name: d\nboot: disk\nkvm: auto\n${userDisk}`);
    if (!auto.ok) throw new Error(auto.errors.map((e) => e.message).join('\n'));
    // A disk-image: carries a kernel boot-budget knows, so it can be proved and `required` stands.
    expect((await check(`name: d\nboot: disk\nkvm: required\n${IMAGE}`)).ok).toBe(true);
  });
});

describe('a GPT disk without root', () => {
  it('lays out partitions 1 MiB apart and writes a table sfdisk reads back, with the fixed root PARTUUID', async () => {
    const esp = path.join(dir, 'esp.part');
    await makeEsp(esp, 64, [{ at: '/loader/loader.conf', text: 'timeout 0\n' }], dir);
    const root = path.join(dir, 'root.part');
    await writeFile(root, Buffer.alloc(1024 * 1024, 0xab));
    const layout = layoutDisk([
      { name: 'ESP', type: 'esp', sizeMiB: 64, image: esp },
      { name: 'root', type: 'linux-root-x86-64', sizeMiB: 1, image: root, uuid: ROOT_PARTUUID },
    ]);
    expect(layout.sizeMiB).toBe(67);
    const disk = path.join(dir, 'disk.img');
    await assembleDisk(disk, layout);
    const table = JSON.parse(execFileSync('sfdisk', ['--json', disk], { encoding: 'utf8' })).partitiontable;
    expect(table.label).toBe('gpt');
    expect(table.partitions.map((p: { start: number; size: number }) => [p.start, p.size])).toEqual([
      [2048, 64 * 2048],
      [65 * 2048, 2048],
    ]);
    expect(table.partitions[1].uuid.toLowerCase()).toBe(ROOT_PARTUUID);
    // The partitions' bytes are where the table says: the root's at 65 MiB, the ESP's FAT at 1 MiB.
    const bytes = await readFile(disk);
    expect(bytes.subarray(65 * 1024 * 1024, 66 * 1024 * 1024).every((b) => b === 0xab)).toBe(true);
    expect(bytes.subarray(1024 * 1024 + 82, 1024 * 1024 + 87).toString('latin1')).toBe('FAT32');
    // mtools reads the file back out of the ESP at its offset in the disk.
    const listed = execFileSync('mtype', ['-i', `${disk}@@1M`, '::/loader/loader.conf'], { encoding: 'utf8' });
    expect(listed).toBe('timeout 0\n');
  });
});
