import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findInit, INIT_CANDIDATES } from '../../src/artifacts/rootfs/init-detect.js';
import { addSystemdReadyUnit } from '../../src/artifacts/rootfs/tree-init.js';
import type { Scenario } from '../../src/scenario/types.js';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A tree from `path: content` (a file) or `path: '-> target'` (a symlink). */
function tree(nodes: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'bb-init-'));
  roots.push(root);
  for (const [path, value] of Object.entries(nodes)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    if (value.startsWith('-> ')) symlinkSync(value.slice(3), join(root, path));
    else writeFileSync(join(root, path), value);
  }
  return root;
}

describe('findInit', () => {
  it("resolves a usr-merged Debian tree's /sbin/init to systemd through links in every component", async () => {
    const root = tree({
      sbin: '-> usr/sbin',
      lib: '-> usr/lib',
      'usr/sbin/init': '-> /lib/systemd/systemd',
      'usr/lib/systemd/systemd': 'ELF',
    });
    expect(await findInit(root, INIT_CANDIDATES.disk)).toEqual({
      kind: 'systemd',
      path: '/sbin/init',
      resolved: '/usr/lib/systemd/systemd',
    });
  });

  it('reads an absolute link inside the tree, never on the host (whose /lib/systemd/systemd exists)', async () => {
    const root = tree({ 'sbin/init': '-> /lib/systemd/systemd' });
    expect(await findInit(root, INIT_CANDIDATES.disk)).toMatchObject({ kind: 'unresolvable', path: '/sbin/init' });
  });

  it('refuses a link that climbs out of the tree, and a loop', async () => {
    expect(await findInit(tree({ 'sbin/init': '-> ../../../../bin/sh' }), INIT_CANDIDATES.disk)).toMatchObject({
      kind: 'unresolvable',
      reason: expect.stringMatching(/leaves the tree/),
    });
    expect(
      await findInit(tree({ 'sbin/init': '-> init2', 'sbin/init2': '-> init' }), INIT_CANDIDATES.disk),
    ).toMatchObject({
      kind: 'unresolvable',
      reason: expect.stringMatching(/too many levels/),
    });
  });

  it('calls busybox init or a script another init, finds /init first in an initramfs, and nothing in an empty tree', async () => {
    expect(
      await findInit(tree({ 'sbin/init': '-> ../bin/busybox', 'bin/busybox': 'ELF' }), INIT_CANDIDATES.disk),
    ).toEqual({
      kind: 'other',
      path: '/sbin/init',
      resolved: '/bin/busybox',
    });
    expect(await findInit(tree({ init: '#!/bin/sh', 'sbin/init': 'x' }), INIT_CANDIDATES.initramfs)).toMatchObject({
      path: '/init',
    });
    expect(await findInit(tree({ 'etc/hostname': 'x' }), INIT_CANDIDATES.disk)).toEqual({ kind: 'none' });
  });
});

describe('addSystemdReadyUnit', () => {
  it("adds the unit after default.target, wanted by the target default.target stands for, and changes no file of the tree's", async () => {
    const root = tree({
      'lib/systemd/system/default.target': '-> graphical.target',
      'lib/systemd/system/graphical.target': '[Unit]\n',
      'etc/hostname': 'mine\n',
    });
    const scenario = { ready: { kind: 'agent' } } as unknown as Scenario;
    const note = await addSystemdReadyUnit(root, scenario, Buffer.from('busybox'));
    expect(note).toMatch(/after default\.target \(graphical\.target\)/);
    const unit = readFileSync(join(root, 'etc/systemd/system/boot-budget-ready.service'), 'utf8');
    expect(unit).toMatch(/^After=default\.target$/m);
    expect(unit).toMatch(/^DefaultDependencies=no$/m);
    expect(readlinkSync(join(root, 'etc/systemd/system/graphical.target.wants/boot-budget-ready.service'))).toBe(
      '/etc/systemd/system/boot-budget-ready.service',
    );
    expect(existsSync(join(root, 'boot-budget/systemd-ready'))).toBe(true);
    expect(readFileSync(join(root, 'etc/hostname'), 'utf8')).toBe('mine\n');
  });
});
