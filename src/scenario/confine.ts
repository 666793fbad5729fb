/**
 * Scenarios are untrusted input: a pull request from a fork can add one, and whatever a scenario packs into a guest
 * can end up on the guest's console and so in public CI logs. A scenario may therefore only name files inside the
 * workspace, after following symlinks, unless the person running boot-budget says otherwise (`--allow-outside`,
 * Action input `allow-outside`).
 */
import { existsSync } from 'node:fs';
import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

export interface Confinement {
  /** Absolute, real directories the scenario's local paths must stay inside. */
  roots: string[];
}

/**
 * The workspace of a run started in `cwd`: the nearest enclosing Git checkout (so a run from a subdirectory still
 * reaches the repository's other files), else `cwd` itself.
 */
export function workspaceRoot(cwd: string): string {
  let dir = path.resolve(cwd);
  for (;;) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(cwd);
    dir = parent;
  }
}

/**
 * What one scenario file may reach. A file inside the workspace gets the workspace. A file outside it was named by
 * whoever runs boot-budget (a PR cannot add files there), so its own directory is trusted as well; a symlinked
 * scenario inside the workspace is judged by where it sits, not where it points, so a committed link cannot widen
 * its own reach.
 */
export async function confinementFor(scenarioFile: string, workspace: string): Promise<Confinement> {
  const ws = await realDir(workspace);
  const lexicalWs = path.resolve(workspace);
  const scenario = path.resolve(scenarioFile);
  if (isInside(scenario, lexicalWs) || isInside(scenario, ws)) return { roots: [ws] };
  return { roots: [ws, await realDir(path.dirname(scenario))] };
}

async function realDir(dir: string): Promise<string> {
  return realpath(dir).catch(() => path.resolve(dir));
}

export function isInside(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

const MAX_LINK_HOPS = 40;

/**
 * Where `p` really leads: every symlink on the way followed, even when the final target does not exist (a dangling
 * link to `/etc/shadow` on a runner without one must still count as outside, or existence checks would leak what a
 * host has).
 */
export async function resolveReal(p: string, hops = 0): Promise<string> {
  const absolute = path.resolve(p);
  try {
    return await realpath(absolute);
  } catch {
    // Fall through: follow the path by hand.
  }
  const parent = path.dirname(absolute);
  if (parent === absolute) return absolute;
  const realParent = await resolveReal(parent, hops);
  const here = path.join(realParent, path.basename(absolute));
  try {
    const st = await lstat(here);
    if (st.isSymbolicLink() && hops < MAX_LINK_HOPS) {
      return resolveReal(path.resolve(realParent, await readlink(here)), hops + 1);
    }
  } catch {
    // Missing: the path leads to where it says.
  }
  return here;
}

/** Why `p` is out of bounds, or undefined when it is inside one of the roots. */
export async function outsideProblem(p: string, confinement: Confinement, what: string): Promise<string | undefined> {
  const lexical = path.resolve(p);
  const real = await resolveReal(lexical);
  const inside = (q: string) => confinement.roots.some((root) => isInside(q, root));
  if (inside(lexical) && inside(real)) return undefined;
  const via = inside(lexical) ? ` (a symlink leads to ${real})` : '';
  return (
    `the ${what} ${lexical}${via} is outside the workspace ${confinement.roots[0]}; scenarios may only use files ` +
    'inside it, so that a scenario from a pull request cannot pack host files into a guest whose console ends up in ' +
    'logs. If you trust this scenario, run with --allow-outside (Action input allow-outside: true)'
  );
}
