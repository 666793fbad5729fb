/**
 * `rootfs: busybox`: an initramfs holding the host's static busybox and the agent as /init. Built in-process from
 * archive entries, so it needs neither root nor a cpio binary, and cached by content so passes and reruns reuse it.
 */
import { execFile } from 'node:child_process';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ringFiles } from '../../agent/ring.js';
import { agentScript } from '../../agent/script.js';
import { tscFile } from '../../agent/tsc.js';
import { InfraError } from '../../errors.js';
import { storeFor } from '../cache/context.js';
import { hashParts } from '../cache/store.js';
import type { RootfsSource } from '../types.js';
import { type CpioEntry, gzipCpio, writeCpio } from './cpio.js';

/** Bump when the archive layout changes, so caches built by older versions are not reused. */
const FORMAT_VERSION = 'boot-budget/busybox-initramfs/1';

export const BUSYBOX_CANDIDATES: readonly string[] = ['/bin/busybox', '/usr/bin/busybox'];

const INSTALL_HINT = 'install busybox-static (apt-get install busybox-static)';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const PT_INTERP = 3;
const EM_X86_64 = 62;

export interface ElfInfo {
  machine: number;
  /** True when the binary names a dynamic loader; it would not start in a guest that has none. */
  dynamic: boolean;
}

/** Reads just enough of an ELF file to tell its architecture and whether it needs a dynamic loader. */
export function inspectElf(bytes: Buffer): ElfInfo | undefined {
  if (bytes.length < 64 || !bytes.subarray(0, 4).equals(ELF_MAGIC)) return undefined;
  const is64 = bytes[4] === 2;
  const le = bytes[5] === 1;
  const u16 = (at: number) => (le ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u32 = (at: number) => (le ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const phoff = is64 ? Number(le ? bytes.readBigUInt64LE(0x20) : bytes.readBigUInt64BE(0x20)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  if (phentsize < 4 || phoff + phnum * phentsize > bytes.length) return undefined;
  let dynamic = false;
  for (let i = 0; i < phnum; i++) if (u32(phoff + i * phentsize) === PT_INTERP) dynamic = true;
  return { machine: u16(0x12), dynamic };
}

/**
 * The first candidate that is a static x86-64 busybox, with its bytes. The guest is x86-64 and has no libc, so a
 * dynamic or foreign binary would only show up later as a kernel panic about a missing init.
 */
export async function findStaticBusybox(
  candidates: readonly string[] = BUSYBOX_CANDIDATES,
): Promise<{ path: string; bytes: Buffer }> {
  const problems: string[] = [];
  for (const path of candidates) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      problems.push(`${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : String(error)}`);
      continue;
    }
    const elf = inspectElf(bytes);
    if (!elf) problems.push(`${path}: not an ELF binary`);
    else if (elf.dynamic) problems.push(`${path}: dynamically linked`);
    else if (elf.machine !== EM_X86_64) problems.push(`${path}: not an x86-64 binary`);
    else return { path, bytes };
  }
  throw new InfraError(`no static busybox found (${problems.join('; ')}): ${INSTALL_HINT}`);
}

/** The applet names the binary was built with, as `busybox --list` prints them. */
export async function listApplets(busyboxPath: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(busyboxPath, ['--list'], { encoding: 'utf8' });
  return stdout.split('\n').filter((name) => name !== '');
}

/** "1.35.0" from the banner compiled into the binary; reading it avoids running busybox once more. */
export function busyboxVersion(busyboxBytes: Buffer): string {
  return /BusyBox v(\d[\w.+~-]*)/.exec(busyboxBytes.toString('latin1'))?.[1] ?? 'unknown';
}

/**
 * The device nodes the agent needs before (or without) devtmpfs. A build without root cannot mknod them in a tree, so
 * every rootfs builder writes them into its archive or image itself.
 */
export const DEVICE_NODES: ReadonlyArray<Extract<CpioEntry, { major: number }>> = [
  { path: 'dev/console', type: 'chardev', mode: 0o600, major: 5, minor: 1 },
  { path: 'dev/null', type: 'chardev', mode: 0o666, major: 1, minor: 3 },
  { path: 'dev/kmsg', type: 'chardev', mode: 0o644, major: 1, minor: 11 },
];

/**
 * The gzipped initramfs: the usual top-level directories, the device nodes the agent needs before (or without)
 * devtmpfs, busybox with a symlink per applet so `run:` lines see an ordinary busybox system, and the agent as /init.
 */
export function buildBusyboxInitramfs(busyboxBytes: Buffer, applets: string[], run: string[]): Buffer {
  const entries: CpioEntry[] = [
    ...['bin', 'dev', 'etc', 'proc', 'sys'].map((path): CpioEntry => ({ path, type: 'dir', mode: 0o755 })),
    { path: 'root', type: 'dir', mode: 0o700 },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
    ...DEVICE_NODES,
    { path: 'bin/busybox', type: 'file', mode: 0o755, data: busyboxBytes },
    { path: 'init', type: 'file', mode: 0o755, data: Buffer.from(agentScript(run), 'utf8') },
    // The doorbells' one-byte I/O-port writers (src/agent/ring.ts) and the virtual clock's TSC reader (tsc.ts).
    ...[...ringFiles(), tscFile()].map((f): CpioEntry => ({ path: f.path, type: 'file', mode: 0o755, data: f.data })),
  ];
  const names = new Set(applets.filter((name) => /^[^/\0]+$/.test(name) && !['.', '..', 'busybox'].includes(name)));
  for (const name of names) entries.push({ path: `bin/${name}`, type: 'symlink', target: 'busybox' });
  return gzipCpio(writeCpio(entries));
}

/** Everything the archive's bytes depend on; the applet list is a function of the binary, so it is covered. */
function cacheKey(busyboxBytes: Buffer, script: string): string {
  return hashParts([FORMAT_VERSION, busyboxBytes, script]);
}

async function sizeIfPresent(path: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

export const busyboxRootfs: RootfsSource<{ kind: 'busybox' }> = {
  kind: 'busybox',
  async build(_spec, scenario, ctx) {
    const busybox = await findStaticBusybox();
    const key = cacheKey(busybox.bytes, agentScript(scenario.run));
    const entry = await storeFor(ctx).get(
      'initramfs-busybox',
      key,
      `busybox ${busyboxVersion(busybox.bytes)} initramfs`,
      async (dir) => {
        // Caches from before the store kept the archive under rootfs/; reuse it instead of rebuilding.
        const legacy = resolve(join(ctx.cacheDir, 'rootfs', `busybox-${key.slice(0, 16)}.cpio.gz`));
        if ((await sizeIfPresent(legacy)) !== undefined) {
          await rename(legacy, join(dir, 'initramfs.cpio.gz'));
          return;
        }
        ctx.log(`building busybox initramfs from ${busybox.path}`);
        const initramfs = buildBusyboxInitramfs(busybox.bytes, await listApplets(busybox.path), scenario.run);
        await writeFile(join(dir, 'initramfs.cpio.gz'), initramfs);
      },
    );
    const path = join(entry.dir, 'initramfs.cpio.gz');
    const size = (await sizeIfPresent(path)) ?? 0;
    return {
      initrd: path,
      agent: true,
      description: `busybox ${busyboxVersion(busybox.bytes)} initramfs (${Math.round(size / 1024)} KiB)`,
    };
  },
};
