/**
 * `rootfs: { mmdebstrap: … }`: a Debian tree built by Debian's mmdebstrap, which writes a tarball directly and runs
 * without root (it picks unshare or fakechroot by itself). This replaces what people script by hand around
 * debootstrap and tar. The tarball is cached by its inputs (suite, variant, packages, and the mirror or the content
 * of the sources file); a bookworm minbase tree with systemd-sysv and udev took 45 s and is 219 MB here.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InfraError } from '../../errors.js';
import type { MmdebstrapSpec } from '../../scenario/types.js';
import { storeFor } from '../cache/context.js';
import { hashParts } from '../cache/store.js';
import { formatBytes } from '../tree/tree-writer.js';
import type { ArtifactContext } from '../types.js';

const run = promisify(execFile);
const FORMAT_VERSION = 'boot-budget/mmdebstrap/1';
const INSTALL_HINT = 'Install it with: sudo apt-get install mmdebstrap';

/** apt's words for sources it could not read or reach (apt-pkg's acquire and sourcelist errors). */
const SOURCES_TROUBLE =
  /Failed to fetch|Could not resolve|Unable to connect|does not have a Release file|Malformed (entry|line)|Type '.*' is not known|The repository .* is not signed|Temporary failure resolving|apt-get update failed/i;

export function describeMmdebstrap(spec: MmdebstrapSpec): string {
  const include = spec.include.length ? ` + ${spec.include.join(', ')}` : '';
  return `${spec.suite} ${spec.variant}${include} (mmdebstrap)`;
}

async function mirrorArgs(spec: MmdebstrapSpec): Promise<{ args: string[]; identity: string }> {
  if (!spec.mirror) return { args: [], identity: 'default' };
  if (spec.mirror.kind === 'url') return { args: [spec.mirror.url], identity: `url:${spec.mirror.url}` };
  const file = spec.mirror.path;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InfraError(
      `the apt sources file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}), so mmdebstrap has nowhere to get packages from.`,
      'Point `mirror:` at a readable sources file (one-line or deb822), or give a mirror URL.',
    );
  }
  // mmdebstrap pastes a file it is given into the tree's sources.list; its content, not its path, decides the tree.
  return { args: [file], identity: `file:${text}` };
}

/** The cached tarball for `spec`, building it on a miss. */
export async function mmdebstrapTarball(spec: MmdebstrapSpec, ctx: ArtifactContext): Promise<string> {
  const mirror = await mirrorArgs(spec);
  const include = [...spec.include].sort();
  const key = hashParts([FORMAT_VERSION, spec.suite, spec.variant, include.join(','), mirror.identity]);
  const description = describeMmdebstrap(spec);
  const entry = await storeFor(ctx).get('mmdebstrap', key, description, async (dir) => {
    ctx.log(`building ${description}; about a minute`);
    const out = join(dir, 'rootfs.tar');
    const args = [
      '--quiet',
      `--variant=${spec.variant}`,
      ...(include.length ? [`--include=${include.join(',')}`] : []),
      spec.suite,
      out,
      ...mirror.args,
    ];
    try {
      await run('mmdebstrap', args, { maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const err = error as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === 'ENOENT') throw new InfraError('mmdebstrap not found.', INSTALL_HINT);
      const said = (err.stderr ?? err.message).trim().split('\n');
      const trouble = said.filter((line) => SOURCES_TROUBLE.test(line));
      if (trouble.length > 0) {
        throw new InfraError(
          `mmdebstrap could not read its apt sources (${spec.mirror ? (spec.mirror.kind === 'url' ? spec.mirror.url : spec.mirror.path) : "Debian's archive"}): ${trouble.slice(0, 3).join(' | ')}`,
          'Check `mirror:` and the network; apt has to reach the archive to build the tree.',
        );
      }
      throw new InfraError(`mmdebstrap failed: ${said.slice(-5).join(' | ')}`);
    }
  });
  const tarball = join(entry.dir, 'rootfs.tar');
  if (entry.hit) ctx.log(`${description}: cached (${formatBytes((await stat(tarball)).size)})`);
  return tarball;
}
