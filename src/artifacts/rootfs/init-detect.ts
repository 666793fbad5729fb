/**
 * What a tree boots when nothing says otherwise: the program the kernel would run as init, found the way the kernel
 * finds it (`/init` in an initramfs; then /sbin/init, /etc/init, /bin/init on a disk root) and resolved through the
 * tree's own symlinks, each read inside the tree and never followed on the host (a tarball's `/sbin/init ->
 * /lib/systemd/systemd` names the guest's file, not the host's). usr-merged trees link whole directories
 * (`/sbin -> usr/sbin`), so every component of the path is resolved, not only the last.
 */
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveLinkInRoot } from '../tree/tree-writer.js';

export type TreeInit =
  /** Nothing the kernel would run: boot-budget's agent boots the tree. */
  | { kind: 'none' }
  /** `path` resolves to systemd. */
  | { kind: 'systemd'; path: string; resolved: string }
  /** Another init: OpenRC, runit, busybox init, a script. */
  | { kind: 'other'; path: string; resolved: string }
  /** `path` exists but leads nowhere: a dangling symlink, a loop, a link out of the tree, a directory. */
  | { kind: 'unresolvable'; path: string; reason: string };

/** Where the kernel looks for init, in its order (init/main.c), for each kind of root. */
export const INIT_CANDIDATES = {
  initramfs: ['init', 'sbin/init', 'etc/init', 'bin/init'],
  disk: ['sbin/init', 'etc/init', 'bin/init'],
} as const;

const MAX_LINKS = 40;

type Resolution = { ok: true; path: string } | { ok: false; reason: string } | { ok: 'missing' };

/** `rel` resolved inside `root`, symlinks in every component included, as the guest's kernel would resolve it. */
export async function resolveInRoot(root: string, rel: string): Promise<Resolution> {
  let pending = rel.split('/').filter((s) => s !== '' && s !== '.');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const segment = pending.shift()!;
    if (segment === '..') {
      done.pop();
      continue;
    }
    const here = [...done, segment].join('/');
    const st = await lstat(join(root, here)).catch(() => null);
    if (!st) return { ok: 'missing' };
    if (!st.isSymbolicLink()) {
      if (pending.length > 0 && !st.isDirectory()) return { ok: false, reason: `/${here} is not a directory` };
      done.push(segment);
      continue;
    }
    if (++links > MAX_LINKS) return { ok: false, reason: `too many levels of symlinks at /${here}` };
    const target = await readlink(join(root, here));
    const next = resolveLinkInRoot(here, target);
    if (next === null) return { ok: false, reason: `/${here} -> ${target} leaves the tree` };
    pending = [...next.split('/').filter((s) => s !== ''), ...pending];
    done.length = 0;
  }
  return { ok: true, path: done.join('/') };
}

/** systemd's manager is installed as …/lib/systemd/systemd on every distribution that ships it. */
function isSystemd(resolved: string): boolean {
  return /(^|\/)lib\/systemd\/systemd$/.test(resolved);
}

export async function findInit(root: string, candidates: readonly string[]): Promise<TreeInit> {
  for (const candidate of candidates) {
    // The parent resolved first: a candidate is absent when its directory or its own entry is, and a link that leads
    // nowhere only when the entry itself is there.
    const slash = candidate.lastIndexOf('/');
    const parent = await resolveInRoot(root, slash < 0 ? '' : candidate.slice(0, slash));
    if (parent.ok !== true) continue;
    const leaf = [parent.path, candidate.slice(slash + 1)].filter((s) => s !== '').join('/');
    if (!(await lstat(join(root, leaf)).catch(() => null))) continue;
    const resolution = await resolveInRoot(root, leaf);
    const path = `/${candidate}`;
    if (resolution.ok === 'missing')
      return { kind: 'unresolvable', path, reason: `${path} is a symlink to something the tree does not have` };
    if (resolution.ok === false) return { kind: 'unresolvable', path, reason: resolution.reason };
    const st = await lstat(join(root, resolution.path));
    if (!st.isFile())
      return { kind: 'unresolvable', path, reason: `${path} resolves to /${resolution.path}, not a file` };
    const resolved = `/${resolution.path}`;
    return isSystemd(resolution.path) ? { kind: 'systemd', path, resolved } : { kind: 'other', path, resolved };
  }
  return { kind: 'none' };
}
