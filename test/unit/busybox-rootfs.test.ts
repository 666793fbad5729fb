import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { agentScript } from '../../src/agent/script.js';
import {
  buildBusyboxInitramfs,
  busyboxRootfs,
  busyboxVersion,
  findStaticBusybox,
  inspectElf,
} from '../../src/artifacts/rootfs/busybox.js';
import type { Scenario } from '../../src/scenario/types.js';
import { InfraError } from '../../src/errors.js';

function listVerbose(gz: Buffer): string[] {
  const result = spawnSync('cpio', ['-tv', '--quiet'], { input: gunzipSync(gz), encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim().split('\n');
}

function extract(gz: Buffer, name: string): string {
  const result = spawnSync('cpio', ['-i', '--quiet', '--to-stdout', name], { input: gunzipSync(gz), encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

/** The `cpio -tv` line for `name`; symlinks show as `name -> target`. */
const entry = (listing: string[], name: string) =>
  listing.find((line) => line.endsWith(` ${name}`) || line.includes(` ${name} -> `));

describe('buildBusyboxInitramfs', () => {
  const fake = Buffer.from('not really busybox');
  const gz = buildBusyboxInitramfs(fake, ['sh', 'sleep', '[', 'busybox', 'bad/name'], ['sleep 0.3']);
  const listing = listVerbose(gz);

  it('lays out the directories, device nodes, binary and applet links', () => {
    for (const dir of ['bin', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp']) expect(entry(listing, dir)).toMatch(/^d/);
    expect(entry(listing, 'dev/console')).toMatch(/^crw-------.*\s5,\s+1\s/);
    expect(entry(listing, 'dev/null')).toMatch(/^crw-rw-rw-.*\s1,\s+3\s/);
    expect(entry(listing, 'bin/busybox')).toMatch(/^-rwxr-xr-x/);
    expect(entry(listing, 'bin/sh')).toMatch(/^lrwxrwxrwx.* bin\/sh -> busybox$/);
    expect(entry(listing, 'bin/[')).toMatch(/ bin\/\[ -> busybox$/);
    expect(entry(listing, 'init')).toMatch(/^-rwxr-xr-x/);
    // busybox itself must stay the binary, and a name with a slash is no applet.
    expect(listing.filter((line) => line.includes('bin/busybox'))).toHaveLength(1);
    expect(listing.some((line) => line.includes('bad/name'))).toBe(false);
  });

  it('installs the agent as /init and the given bytes as busybox', () => {
    expect(extract(gz, 'init')).toBe(agentScript(['sleep 0.3']));
    expect(extract(gz, 'bin/busybox')).toBe(fake.toString());
  });

  it('is byte-identical for the same input', () => {
    const again = buildBusyboxInitramfs(fake, ['busybox', 'bad/name', '[', 'sleep', 'sh'], ['sleep 0.3']);
    expect(again.equals(gz)).toBe(true);
  });
});

describe('findStaticBusybox', () => {
  it('accepts the host busybox-static binary', async () => {
    const found = await findStaticBusybox();
    expect(inspectElf(found.bytes)).toEqual({ machine: 62, dynamic: false });
    expect(busyboxVersion(found.bytes)).toMatch(/^\d+\.\d+/);
  });

  it('refuses a dynamic binary or a missing one, saying what to install', async () => {
    // /bin/sh stands in for a dynamically linked busybox.
    expect(inspectElf(readFileSync('/bin/sh'))?.dynamic).toBe(true);
    const error = await findStaticBusybox(['/nonexistent/busybox', '/bin/sh']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfraError);
    expect((error as Error).message).toMatch(/\/nonexistent\/busybox: not found; \/bin\/sh: dynamically linked/);
    expect((error as Error).message).toContain('install busybox-static (apt-get install busybox-static)');
  });
});

describe('busyboxRootfs.build', () => {
  let cacheDir: string | undefined;
  afterEach(() => {
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    cacheDir = undefined;
  });

  it('builds a cached initramfs once and reuses it', async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'boot-budget-rootfs-'));
    const logs: string[] = [];
    const ctx = { cacheDir, log: (m: string) => logs.push(m) };
    const scenario = { run: ['sleep 0.3', 'false'] } as Scenario;

    const first = await busyboxRootfs.build({ kind: 'busybox' }, scenario, ctx);
    expect(first.agent).toBe(true);
    // A store entry: store/<kind>/<sha256 of busybox + agent>/initramfs.cpio.gz.
    expect(first.initrd?.startsWith(`${cacheDir}/store/initramfs-busybox/`)).toBe(true);
    expect(first.initrd).toMatch(/\/[0-9a-f]{64}\/initramfs\.cpio\.gz$/);
    expect(first.description).toMatch(/^busybox \d+\.\d+\S* initramfs \(\d+ KiB\)$/);
    expect(logs).toHaveLength(1);

    const path = first.initrd!;
    const bytes = readFileSync(path);
    const listing = listVerbose(bytes);
    expect(entry(listing, 'init')).toMatch(/^-rwxr-xr-x/);
    expect(entry(listing, 'bin/busybox')).toMatch(/^-rwxr-xr-x/);
    expect(entry(listing, 'bin/sh')).toMatch(/ bin\/sh -> busybox$/);
    expect(entry(listing, 'bin/sleep')).toMatch(/ bin\/sleep -> busybox$/);
    expect(entry(listing, 'dev/console')).toMatch(/^crw-------.*\s5,\s+1\s/);
    expect(extract(bytes, 'init')).toBe(agentScript(scenario.run));

    const mtime = statSync(path).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    const second = await busyboxRootfs.build({ kind: 'busybox' }, scenario, ctx);
    expect(second).toEqual(first);
    expect(statSync(path).mtimeMs).toBe(mtime);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(logs).toHaveLength(1);
    // No temporary files left beside the archive.
    expect(readdirSync(join(cacheDir, 'store', 'initramfs-busybox'))).toEqual([path.split('/').at(-2)]);

    // Different run lines are a different /init, so a different archive.
    const other = await busyboxRootfs.build({ kind: 'busybox' }, { run: ['true'] } as Scenario, ctx);
    expect(other.initrd).not.toBe(path);
  });
});
