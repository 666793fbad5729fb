/**
 * `kernel: {build: …}`: a kernel compiled from source, out of tree (`O=`) in the cache, and cached by what its bytes
 * depend on: the source identity, the final .config, the compiler's version, the make args and the target. The final
 * .config is itself cached (keyed by its inputs), so a rerun with unchanged inputs finds both entries and runs no
 * `make` at all; only a miss pays for the ~13 s of config steps and the minutes of compiling.
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { InfraError } from '../../errors.js';
import type { KernelBuildSpec, KernelSourceSpec } from '../../scenario/types.js';
import { storeFor } from '../cache/context.js';
import { hashParts, hashTree, sha256File, withFileLock } from '../cache/store.js';
import { downloadVerified } from '../download.js';
import { extractTarball } from '../tree/extract.js';
import { TreeWriter } from '../tree/tree-writer.js';
import type { ArtifactContext, KernelSource } from '../types.js';
import { aptShow, fetchDeb } from './apt.js';
import { droppedOptions, mergeFragments } from './kconfig.js';

const run = promisify(execFile);

const TOOLCHAIN_HINT =
  'Install the kernel build tools: sudo apt-get install build-essential bc flex bison libelf-dev libssl-dev';
/** The unpacked kernel tree is ~1.4 GB; anything far larger is not a kernel tarball. */
const SOURCE_EXTRACT_LIMIT = 16 * 1024 ** 3;
/** Objects a build compiles per `=y` option in the final .config; measured on linux 6.1 tinyconfig builds here. */
const OBJECTS_PER_OPTION = 2.9;

interface SourceInfo {
  /** What the source's bytes are, for cache keys: a tarball hash, a directory content hash, a package version. */
  identity: string;
  description: string;
  /** The source tree (the directory holding the top-level Makefile); unpacks a tarball into the store on first use. */
  tree(): Promise<string>;
}

async function findTreeRoot(dir: string): Promise<string> {
  if (existsSync(join(dir, 'Makefile')) && existsSync(join(dir, 'Kconfig'))) return dir;
  for (const name of (await readdir(dir)).sort()) {
    const sub = join(dir, name);
    if (existsSync(join(sub, 'Makefile')) && existsSync(join(sub, 'Kconfig'))) return sub;
  }
  throw new InfraError(`${dir} holds no kernel source tree (no top-level Makefile and Kconfig).`);
}

function tarballSource(tarball: string, identity: string, description: string, ctx: ArtifactContext): SourceInfo {
  // Reading a store entry re-hashes it, and the unpacked tree is ~84,000 files: a cold build needs the tree for both
  // the config and the build step, and should pay for that once.
  let tree: Promise<string> | undefined;
  return {
    identity,
    description,
    tree() {
      tree ??= (async () => {
        const entry = await storeFor(ctx).get(
          'kernel-source',
          hashParts(['kernel-source/1', identity]),
          `kernel source ${description}`,
          async (dir) => {
            ctx.log(`unpacking ${tarball} into the cache (once)`);
            const started = Date.now();
            const { members } = await extractTarball(tarball, new TreeWriter(dir, tarball, SOURCE_EXTRACT_LIMIT));
            ctx.log(`unpacked ${members} files in ${Math.round((Date.now() - started) / 1000)} s`);
          },
          { remote: false },
        );
        return findTreeRoot(entry.dir);
      })();
      return tree;
    },
  };
}

async function aptSourceTarball(pkg: string, ctx: ArtifactContext): Promise<{ tarball: string; version: string }> {
  // Debian's linux-source-X package ships /usr/src/linux-source-X.tar.xz; use the installed one when present.
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f', '${Status}\t${Version}', pkg]);
    const [status, version] = stdout.split('\t');
    const tarball = `/usr/src/${pkg}.tar.xz`;
    if (status?.includes('installed') && version && existsSync(tarball)) return { tarball, version };
  } catch {
    // not installed: fetch the package without root, as the apt kernel source does
  }
  const { version } = await aptShow(pkg);
  const entry = await storeFor(ctx).get(
    'apt-source',
    hashParts(['apt-source/1', pkg, version]),
    `${pkg} ${version}`,
    async (dir) => {
      ctx.log(`downloading ${pkg} ${version} with apt-get download`);
      await fetchDeb(pkg, version, join(dir, 'root'));
    },
  );
  const tarball = join(entry.dir, 'root', 'usr', 'src', `${pkg}.tar.xz`);
  if (!existsSync(tarball))
    throw new InfraError(`${pkg} ${version} has no /usr/src/${pkg}.tar.xz; is it a linux-source package?`);
  return { tarball, version };
}

async function resolveSource(spec: KernelSourceSpec, ctx: ArtifactContext): Promise<SourceInfo> {
  switch (spec.kind) {
    case 'dir': {
      const identity = `dir:${await hashTree(spec.path)}`;
      return { identity, description: spec.path, tree: async () => findTreeRoot(spec.path) };
    }
    case 'tarball':
      return tarballSource(spec.path, `tarball:${await sha256File(spec.path)}`, basename(spec.path), ctx);
    case 'url': {
      const path = await downloadVerified(spec.url, spec.sha256, ctx);
      return tarballSource(path, `tarball:${spec.sha256.toLowerCase()}`, spec.url, ctx);
    }
    case 'apt': {
      const { tarball, version } = await aptSourceTarball(spec.package, ctx);
      // A package version names its bytes; hashing 140 MB on every run would buy nothing.
      return tarballSource(tarball, `apt:${spec.package}=${version}`, `${spec.package} ${version}`, ctx);
    }
  }
}

/** The compiler the build will use (CC=… or LLVM=1 in make args, else gcc), by its version banner. */
export async function compilerVersion(makeArgs: string[]): Promise<string> {
  const cc =
    makeArgs.find((a) => a.startsWith('CC='))?.slice(3) ?? (makeArgs.some((a) => /^LLVM=/.test(a)) ? 'clang' : 'gcc');
  try {
    const { stdout } = await run(cc, ['--version']);
    return stdout.split('\n')[0]?.trim() ?? cc;
  } catch {
    throw new InfraError(`the compiler ${cc} cannot be run.`, TOOLCHAIN_HINT);
  }
}

interface MakeOptions {
  tree: string;
  obj: string;
  args: string[];
  log: string;
  ctx: ArtifactContext;
  /** Counts quiet-build lines ("  CC      kernel/fork.o") against this estimate. */
  estimate?: number;
  what: string;
}

async function make(options: MakeOptions): Promise<void> {
  const { tree, obj, args, log, ctx } = options;
  const argv = [`O=${obj}`, ...args];
  const out = createWriteStream(log, { flags: 'a' });
  out.write(`$ make ${argv.join(' ')}\n`);
  const child = spawn('make', argv, {
    cwd: tree,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // Fixed build stamps keep the image's bytes a function of the inputs only.
      KBUILD_BUILD_TIMESTAMP: '1970-01-01',
      KBUILD_BUILD_USER: 'boot-budget',
      KBUILD_BUILD_HOST: 'boot-budget',
    },
  });
  let built = 0;
  const started = Date.now();
  let last = started;
  const report = (final = false) => {
    if (options.estimate === undefined) return;
    const secs = Math.round((Date.now() - started) / 1000);
    const pct = Math.min(99, Math.floor((built / options.estimate) * 100));
    const line = `${options.what}: ${built}/~${options.estimate} objects${final ? '' : ` (${pct}%)`}, ${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, '0')}s`;
    if (ctx.live && !final) ctx.live(line);
    else ctx.log(line);
  };
  let partial = '';
  const onData = (chunk: Buffer) => {
    out.write(chunk);
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (/^ {2}[A-Z][A-Z0-9_]*\s+\S/.test(line)) built++;
    if (Date.now() - last > (ctx.live ? 500 : 30_000)) {
      last = Date.now();
      report();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const [code, error] = await new Promise<[number | null, NodeJS.ErrnoException | undefined]>((resolve) => {
    child.on('error', (e) => resolve([null, e]));
    child.on('close', (c) => resolve([c, undefined]));
  });
  await new Promise<void>((resolve) => out.end(resolve));
  if (error) {
    throw new InfraError(
      error.code === 'ENOENT' ? 'make was not found on PATH.' : `make failed to start: ${error.message}`,
      TOOLCHAIN_HINT,
    );
  }
  if (code !== 0) {
    const tail = (await readFile(log, 'utf8')).split('\n').slice(-25).join('\n');
    throw new InfraError(
      `${options.what} failed (make ${args.join(' ')} exited with status ${code}).`,
      `Last lines of the build log:\n${tail}\nFull log: ${log}`,
    );
  }
  if (options.estimate !== undefined) report(true);
}

/** Where make puts a target's image: arch/<arch>/boot/<target> for bzImage and friends, else the top of O=. */
async function findTargetImage(obj: string, target: string): Promise<string> {
  const arches = await readdir(join(obj, 'arch')).catch(() => [] as string[]);
  for (const arch of arches) {
    const candidate = join(obj, 'arch', arch, 'boot', target);
    if (existsSync(candidate)) return candidate;
  }
  if (existsSync(join(obj, target))) return join(obj, target);
  throw new InfraError(`make ${target} succeeded but left no ${target} under ${obj}.`);
}

function kernelVersionOf(config: string): string {
  return /^# Linux\/\S+ (\S+) Kernel Configuration/m.exec(config)?.[1] ?? 'unknown';
}

export const buildKernel: KernelSource<{ kind: 'build'; build: KernelBuildSpec }> = {
  kind: 'build',
  async resolve({ build: spec }, ctx) {
    const store = storeFor(ctx);
    const source = await resolveSource(spec.source, ctx);
    const cc = await compilerVersion(spec.makeArgs);
    const configInput =
      spec.config.kind === 'target' ? `target:${spec.config.name}` : `file:${await readFile(spec.config.path, 'utf8')}`;
    const fragments = await Promise.all(
      spec.fragments.map(async (f, i) =>
        f.kind === 'file'
          ? { name: f.path, text: await readFile(f.path, 'utf8') }
          : { name: `inline fragment ${i + 1}`, text: f.text },
      ),
    );
    const configName = spec.config.kind === 'target' ? spec.config.name : basename(spec.config.path);
    const obj = join(
      ctx.cacheDir,
      'work',
      `kbuild-${hashParts(['kbuild/1', source.identity, ...spec.makeArgs]).slice(0, 16)}`,
    );
    const logs = join(ctx.cacheDir, 'logs');

    // The final .config: tinyconfig/defconfig (or the given file), the fragments merged in, then olddefconfig.
    const configKey = hashParts([
      'kernel-config/1',
      source.identity,
      configInput,
      cc,
      ...spec.makeArgs,
      '\0',
      ...fragments.map((f) => f.text),
    ]);
    const configEntry = await store.get(
      'kernel-config',
      configKey,
      `.config ${configName} for ${source.description}`,
      async (dir) => {
        const tree = await source.tree();
        await mkdir(logs, { recursive: true });
        const log = join(logs, `kernel-config-${configKey.slice(0, 16)}.log`);
        await writeFile(log, '');
        await withFileLock(obj, async () => {
          await mkdir(obj, { recursive: true });
          ctx.log(
            `configuring ${source.description}: ${configName}${fragments.length ? ` + ${fragments.length} fragment(s)` : ''}`,
          );
          if (spec.config.kind === 'target') {
            await make({
              tree,
              obj,
              args: [...spec.makeArgs, spec.config.name],
              log,
              ctx,
              what: `make ${spec.config.name}`,
            });
          } else {
            await copyFile(spec.config.path, join(obj, '.config'));
          }
          const merged = mergeFragments(await readFile(join(obj, '.config'), 'utf8'), fragments);
          await writeFile(join(obj, '.config'), merged.config);
          await make({ tree, obj, args: [...spec.makeArgs, 'olddefconfig'], log, ctx, what: 'make olddefconfig' });
          const final = await readFile(join(obj, '.config'), 'utf8');
          await writeFile(join(dir, 'config'), final);
          await writeFile(
            join(dir, 'warnings.json'),
            JSON.stringify([...merged.notes, ...droppedOptions(merged.requested, final)]),
          );
        });
      },
    );
    const finalConfig = await readFile(join(configEntry.dir, 'config'), 'utf8');
    for (const warning of JSON.parse(await readFile(join(configEntry.dir, 'warnings.json'), 'utf8')) as string[]) {
      ctx.log(`warning: kconfig: ${warning}`);
    }

    const buildKey = hashParts([
      'kernel-build/1',
      source.identity,
      finalConfig,
      cc,
      ...spec.makeArgs,
      '\0',
      spec.target,
    ]);
    const imageName = basename(spec.target);
    let builtMs: number | undefined;
    const buildEntry = await store.get(
      'kernel-build',
      buildKey,
      `linux ${kernelVersionOf(finalConfig)} ${configName} ${spec.target} from ${source.description}`,
      async (dir) => {
        const tree = await source.tree();
        await mkdir(logs, { recursive: true });
        const log = join(logs, `kernel-build-${buildKey.slice(0, 16)}.log`);
        await writeFile(log, '');
        await withFileLock(obj, async () => {
          await mkdir(obj, { recursive: true });
          const current = await readFile(join(obj, '.config'), 'utf8').catch(() => '');
          if (current !== finalConfig) {
            await writeFile(join(obj, '.config'), finalConfig);
            await make({ tree, obj, args: [...spec.makeArgs, 'olddefconfig'], log, ctx, what: 'make olddefconfig' });
          }
          const options = finalConfig.split('\n').filter((l) => /^CONFIG_\w+=y$/.test(l)).length;
          const started = Date.now();
          ctx.log(`building ${spec.target} (${configName}) with ${availableParallelism()} jobs; log: ${log}`);
          await make({
            tree,
            obj,
            args: ['-j', String(availableParallelism()), ...spec.makeArgs, spec.target],
            log,
            ctx,
            estimate: Math.round(options * OBJECTS_PER_OPTION),
            what: `building ${spec.target}`,
          });
          builtMs = Date.now() - started;
          await copyFile(await findTargetImage(obj, spec.target), join(dir, imageName));
          await writeFile(join(dir, 'config'), finalConfig);
          await copyFile(log, join(dir, 'build.log'));
        });
      },
    );
    const image = join(buildEntry.dir, imageName);
    const size = (await stat(image)).size;
    const how = buildEntry.hit
      ? 'cached'
      : builtMs !== undefined
        ? `built in ${Math.round(builtMs / 1000)} s`
        : 'restored';
    if (buildEntry.hit) ctx.log(`kernel build cache hit (${buildKey.slice(0, 12)}); make not run`);
    return {
      path: image,
      configPath: join(buildEntry.dir, 'config'),
      description: `linux ${kernelVersionOf(finalConfig)} ${configName}${fragments.length ? `+${fragments.length} fragment(s)` : ''} ${imageName} (${Math.round(size / 1024)} KiB) from ${source.description}, ${how}`,
    };
  },
};
