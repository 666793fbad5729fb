/**
 * Root filesystems built from the user's trees: `initramfs:` (a gzipped cpio "newc" archive) and `tarball:` (an ext4
 * image made without root by `mke2fs -d`), each from one directory or tarball or from `layers:` merged in order, later
 * layers winning. Unless `agent: false`, boot-budget's agent is added (as /init in an initramfs, as
 * /boot-budget/init with `init=` on a disk) together with a static busybox when the tree has none. Both are cached
 * in the store by the content of every input.
 */
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { agentScript } from '../../agent/script.js';
import { tscFile } from '../../agent/tsc.js';
import { InfraError } from '../../errors.js';
import type { MmdebstrapSpec, Scenario, TreeSourceSpec } from '../../scenario/types.js';
import { storeFor } from '../cache/context.js';
import { hashParts, hashTree, sha256File } from '../cache/store.js';
import { copyDirectory, extractTarball } from '../tree/extract.js';
import { DEFAULT_EXTRACT_LIMIT, formatBytes, resolveLinkInRoot, TreeWriter } from '../tree/tree-writer.js';
import type { ArtifactContext, InitInfo, RootfsSource } from '../types.js';
import { busyboxVersion, DEVICE_NODES, findStaticBusybox, inspectElf, listApplets } from './busybox.js';
import { type CpioEntry, gzipCpio, writeCpio } from './cpio.js';
import { chooseRootDevice } from './root-device.js';
import { addSystemdReadyUnit, checkReadiness, initInfo, readyIdentity } from './tree-init.js';
import { findInit, INIT_CANDIDATES } from './init-detect.js';
import { describeMmdebstrap, mmdebstrapTarball } from './mmdebstrap.js';

const run = promisify(execFile);

const FORMAT_VERSION = 'boot-budget/tree-rootfs/1';
export const DISK_AGENT_PATH = '/boot-budget/init';

interface TreeSpec {
  /** A tree mmdebstrap builds first; `layers` go on top of it. */
  base?: MmdebstrapSpec;
  layers: TreeSourceSpec[];
  agent: boolean;
  extractLimitBytes?: number;
}

interface BuildInfo {
  /** What was added to the user's tree, for the description. */
  notes: string[];
  bytes: number;
  /** What boots the tree; absent in entries built before it was recorded. */
  init?: InitInfo;
}

async function layerIdentity(layer: TreeSourceSpec): Promise<string> {
  return layer.kind === 'tarball' ? `tarball:${await sha256File(layer.path)}` : `dir:${await hashTree(layer.path)}`;
}

/** The spec with its mmdebstrap base built (or taken from the cache) and put first, as a tarball layer. */
async function withBase<S extends TreeSpec>(spec: S, ctx: ArtifactContext): Promise<S> {
  if (!spec.base) return spec;
  const tarball = await mmdebstrapTarball(spec.base, ctx);
  return { ...spec, layers: [{ kind: 'tarball', path: tarball }, ...spec.layers] };
}

/**
 * What the tree boots decides what boot-budget adds: its agent to a tree with no init, its ready unit to a systemd
 * tree, nothing to a tree with another init (which shows ready by the scenario's regex).
 */
async function prepareInit(
  root: string,
  scenario: Scenario,
  spec: TreeSpec,
  candidates: readonly string[],
  agentPath: string,
  info: BuildInfo,
): Promise<void> {
  const init = await findInit(root, candidates);
  checkReadiness(init, spec.agent, scenario);
  if (init.kind === 'none') {
    if (spec.agent) await addAgent(root, scenario, agentPath, info);
  } else if (init.kind === 'systemd' && spec.agent) {
    const added = await addSystemdReadyUnit(root, scenario, (await findStaticBusybox()).bytes);
    info.notes.push(added);
  }
  info.init = initInfo(init, spec.agent, scenario, agentPath);
}

/** Layers merged into `dir`, later ones replacing what earlier ones wrote. */
async function stageLayers(spec: TreeSpec, dir: string): Promise<void> {
  const writer = new TreeWriter(dir, spec.layers[0]?.path ?? dir, spec.extractLimitBytes ?? DEFAULT_EXTRACT_LIMIT);
  for (const layer of spec.layers) {
    if (layer.kind === 'tarball') await extractTarball(layer.path, writer);
    else await copyDirectory(layer.path, writer);
  }
}

async function lstatOrNull(path: string) {
  return lstat(path).catch(() => null);
}

/** The directory `rel` refers to inside root, following symlinks the way the guest would (usr-merged /bin). */
async function resolveDirInRoot(root: string, rel: string): Promise<string> {
  let current = rel;
  for (let hops = 0; hops < 8; hops++) {
    const st = await lstatOrNull(join(root, current));
    if (!st) {
      await mkdir(join(root, current), { recursive: true });
      return current;
    }
    if (st.isDirectory()) return current;
    if (!st.isSymbolicLink()) throw new InfraError(`the rootfs has a file at /${current} where a directory is needed`);
    const next = resolveLinkInRoot(current, await readlink(join(root, current)));
    if (next === null || next === '')
      throw new InfraError(`the rootfs's /${current} is a symlink that leaves the tree`);
    current = next;
  }
  throw new InfraError(`the rootfs's /${rel} is a chain of symlinks too long to follow`);
}

/** Adds the agent and, when the tree has no static busybox at /bin/busybox, the host's busybox and its applets. */
async function addAgent(root: string, scenario: Scenario, agentPath: string, info: BuildInfo): Promise<void> {
  for (const d of ['dev', 'proc', 'sys', 'tmp']) await resolveDirInRoot(root, d);
  const bin = await resolveDirInRoot(root, 'bin');
  const theirs = await readFile(join(root, bin, 'busybox')).catch(() => undefined);
  const elf = theirs ? inspectElf(theirs) : undefined;
  if (!theirs || !elf || elf.dynamic) {
    const busybox = await findStaticBusybox();
    const writer = new TreeWriter(root, 'boot-budget agent');
    writer.file(`${bin}/busybox`, 0o755, busybox.bytes);
    const present = new Set(await readdir(join(root, bin)));
    for (const applet of await listApplets(busybox.path)) {
      if (/^[^/\0]+$/.test(applet) && !present.has(applet)) writer.symlink(`${bin}/${applet}`, 'busybox');
    }
    info.notes.push(
      `${theirs ? 'its busybox is not static, so' : 'the tree has no /bin/busybox, so'} the host's static busybox ${busyboxVersion(busybox.bytes)} was added`,
    );
  }
  const rel = agentPath.replace(/^\//, '');
  const parent = rel.includes('/') ? await resolveDirInRoot(root, rel.slice(0, rel.lastIndexOf('/'))) : '';
  const target = parent ? `${parent}/${rel.slice(rel.lastIndexOf('/') + 1)}` : rel;
  await rm(join(root, target), { force: true, recursive: true });
  new TreeWriter(root, 'boot-budget agent').file(target, 0o755, Buffer.from(agentScript(scenario.run), 'utf8'));
  // The virtual clock's TSC reader (src/agent/tsc.ts), beside busybox.
  const tsc = tscFile();
  new TreeWriter(root, 'boot-budget agent').file(`${bin}/${tsc.path.split('/').pop()}`, 0o755, tsc.data);
}

/** Every node of the tree as cpio entries, plus the device nodes the agent needs before devtmpfs. */
async function cpioEntries(root: string): Promise<CpioEntry[]> {
  const entries: CpioEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const rel = relative(root, path);
      const st = await lstat(path);
      if (st.isDirectory()) {
        entries.push({ path: rel, type: 'dir', mode: st.mode & 0o7777 });
        await walk(path);
      } else if (st.isSymbolicLink()) entries.push({ path: rel, type: 'symlink', target: await readlink(path) });
      else if (st.isFile())
        entries.push({ path: rel, type: 'file', mode: st.mode & 0o7777, data: await readFile(path) });
    }
  };
  await walk(root);
  const have = new Set(entries.map((e) => e.path));
  if (have.has('dev')) entries.push(...DEVICE_NODES.filter((n) => !have.has(n.path)));
  return entries;
}

async function treeBytes(dir: string): Promise<{ bytes: number; nodes: number }> {
  let bytes = 0;
  let nodes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    nodes++;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = await treeBytes(path);
      bytes += sub.bytes;
      nodes += sub.nodes;
    } else if (entry.isFile()) bytes += Math.ceil((await stat(path)).size / 4096) * 4096;
  }
  return { bytes, nodes };
}

async function withStaging<T>(ctx: ArtifactContext, fn: (dir: string) => Promise<T>): Promise<T> {
  await mkdir(join(ctx.cacheDir, 'work'), { recursive: true });
  const dir = await mkdtemp(join(ctx.cacheDir, 'work', 'stage-'));
  try {
    return await fn(join(dir, 'root'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function describeLayers(spec: TreeSpec): string {
  const names = [
    ...(spec.base ? [describeMmdebstrap(spec.base)] : []),
    ...spec.layers.map((l) => l.path.split('/').pop()),
  ];
  return names.length === 1 ? names[0]! : `${names.length} layers (${names.join(', ')})`;
}

async function treeKey(kind: string, spec: TreeSpec, scenario: Scenario, extra: string[]): Promise<string> {
  const parts = [FORMAT_VERSION, kind, ...(await Promise.all(spec.layers.map(layerIdentity))), '\0', ...extra];
  if (spec.agent) {
    parts.push(agentScript(scenario.run), (await findStaticBusybox()).bytes.toString('base64'));
    parts.push(readyIdentity(scenario));
  }
  return hashParts(parts);
}

export const initramfsRootfs: RootfsSource<{ kind: 'initramfs' } & TreeSpec> = {
  kind: 'initramfs',
  async build(given, scenario, ctx) {
    const spec = await withBase(given, ctx);
    const key = await treeKey('initramfs', spec, scenario, []);
    const entry = await storeFor(ctx).get('initramfs', key, `initramfs from ${describeLayers(given)}`, (dir) =>
      withStaging(ctx, async (root) => {
        ctx.log(`building an initramfs from ${describeLayers(given)}`);
        await stageLayers(spec, root);
        const info: BuildInfo = { notes: [], bytes: 0 };
        await prepareInit(root, scenario, spec, INIT_CANDIDATES.initramfs, '/init', info);
        const archive = gzipCpio(writeCpio(await cpioEntries(root)));
        info.bytes = archive.length;
        await writeFile(join(dir, 'initramfs.cpio.gz'), archive);
        await writeFile(join(dir, 'info.json'), JSON.stringify(info));
      }),
    );
    const info = JSON.parse(await readFile(join(entry.dir, 'info.json'), 'utf8')) as BuildInfo;
    const agent = info.init ? info.init.kind === 'agent' : spec.agent;
    // The kernel runs /init from an initramfs; a tree whose init is elsewhere needs it named.
    const initPath = info.init?.path.split(' ')[0];
    const cmdline = info.init && info.init.kind !== 'agent' && initPath !== '/init' ? [`rdinit=${initPath}`] : [];
    return {
      initrd: join(entry.dir, 'initramfs.cpio.gz'),
      agent,
      ...(info.init ? { init: info.init } : {}),
      ...(cmdline.length ? { cmdline } : {}),
      description: `initramfs from ${describeLayers(given)} (${formatBytes(info.bytes)}${agent ? ', agent as /init' : ''}${info.notes.length ? `; ${info.notes.join('; ')}` : ''})`,
    };
  },
};

export const ext4Rootfs: RootfsSource<{ kind: 'ext4'; sizeMiB?: number } & TreeSpec> = {
  kind: 'ext4',
  async build(given, scenario, ctx, kernel) {
    const spec = await withBase(given, ctx);
    const key = await treeKey('ext4', spec, scenario, [String(spec.sizeMiB ?? 'auto')]);
    const entry = await storeFor(ctx).get('ext4', key, `ext4 image from ${describeLayers(given)}`, (dir) =>
      withStaging(ctx, async (root) => {
        ctx.log(`building an ext4 image from ${describeLayers(given)}`);
        await stageLayers(spec, root);
        const info: BuildInfo = { notes: [], bytes: 0 };
        await prepareInit(root, scenario, spec, INIT_CANDIDATES.disk, DISK_AGENT_PATH, info);
        await mkdir(join(root, 'dev'), { recursive: true }).catch(() => undefined);
        const content = await treeBytes(root);
        // Content plus a quarter, 256 bytes of inode per node, and 16 MiB for the journal and metadata.
        const autoMiB = Math.ceil((content.bytes * 1.25 + content.nodes * 256) / 1024 ** 2) + 16;
        const sizeMiB = spec.sizeMiB ?? autoMiB;
        if (spec.sizeMiB !== undefined && spec.sizeMiB < Math.ceil(content.bytes / 1024 ** 2)) {
          throw new InfraError(
            `rootfs size ${spec.sizeMiB}M is smaller than its content (${formatBytes(content.bytes)}).`,
          );
        }
        const image = join(dir, 'rootfs.ext4');
        try {
          await run('mke2fs', [
            '-q',
            '-t',
            'ext4',
            '-d',
            root,
            '-E',
            'root_owner=0:0',
            '-L',
            'boot-budget',
            image,
            `${sizeMiB}M`,
          ]);
          // Kernels without DEVTMPFS_MOUNT open /dev/console before init runs; it must exist on the disk.
          if (!(await lstatOrNull(join(root, 'dev', 'console')))) {
            const commands = join(dir, '..', `${key.slice(0, 8)}.debugfs`);
            const mknods = DEVICE_NODES.map((n) => `mknod ${n.path.slice('dev/'.length)} c ${n.major} ${n.minor}\n`);
            await writeFile(commands, `cd /dev\n${mknods.join('')}`);
            try {
              await run('debugfs', ['-w', '-f', commands, image]);
            } finally {
              await rm(commands, { force: true });
            }
          }
        } catch (error) {
          const err = error as NodeJS.ErrnoException & { stderr?: string };
          if (err.code === 'ENOENT')
            throw new InfraError('mke2fs/debugfs not found.', 'Install them with: sudo apt-get install e2fsprogs');
          throw new InfraError(`mke2fs failed: ${(err.stderr ?? err.message).trim()}`);
        }
        info.bytes = sizeMiB * 1024 ** 2;
        await writeFile(join(dir, 'info.json'), JSON.stringify(info));
      }),
    );
    const info = JSON.parse(await readFile(join(entry.dir, 'info.json'), 'utf8')) as BuildInfo;
    const root = await chooseRootDevice(kernel, scenario.machine);
    const params = [`root=${root.device}`, 'rootfstype=ext4', 'rootwait', 'rw'];
    const agent = info.init ? info.init.kind === 'agent' : spec.agent;
    if (agent) params.push(`init=${DISK_AGENT_PATH}`);
    return {
      drives: [{ path: join(entry.dir, 'rootfs.ext4'), format: 'raw', interface: root.interface }],
      cmdline: params,
      agent,
      ...(info.init ? { init: info.init } : {}),
      rootDevice: `${root.device} via ${root.reason}`,
      description: `ext4 from ${describeLayers(given)} (${formatBytes(info.bytes)}${agent ? `, agent at ${DISK_AGENT_PATH}` : ''}${info.notes.length ? `; ${info.notes.join('; ')}` : ''}) · root ${root.device} via ${root.reason}`,
    };
  },
};
