import { accessSync, constants, rmSync } from 'node:fs';
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Everything a run must not leave behind: hypervisor process groups and temporary directories. The top level calls
 * `cleanupNow()` from its signal handlers; normal paths release what they registered as soon as they are done.
 */
const liveGroups = new Set<ChildProcess>();
const tempDirs = new Set<string>();

export function trackProcessGroup(child: ChildProcess): () => void {
  liveGroups.add(child);
  return () => liveGroups.delete(child);
}

/** Kills the child's whole process group: hypervisors may fork helpers, and none may outlive the pass. */
export function killProcessGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone: nothing left to clean.
    }
  }
}

export function trackTempDir(dir: string): () => void {
  tempDirs.add(dir);
  return () => {
    tempDirs.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Synchronous so that it can run inside a signal handler right before the process exits. */
export function cleanupNow(): void {
  for (const child of liveGroups) killProcessGroup(child);
  liveGroups.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** util-linux's setpriv: Debian and Ubuntu install it with util-linux, which is essential there. */
export const SETPRIV = 'setpriv';

/** The first executable `name` on PATH (or `name` itself when it is a path), or null. */
export function findOnPath(name: string, path = process.env['PATH'] ?? ''): string | null {
  const candidates = name.includes('/')
    ? [name]
    : path
        .split(delimiter)
        .filter(isAbsolute)
        .map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next directory.
    }
  }
  return null;
}

let setprivPath: string | null | undefined;

/**
 * How to spawn a hypervisor so that it dies with boot-budget, even when boot-budget itself is SIGKILLed and no
 * clean-up of ours runs (the process group and signal handlers cover every other ending). `setpriv --pdeathsig KILL`
 * sets PR_SET_PDEATHSIG and then execs the hypervisor, which keeps it: the kernel sends SIGKILL when the *thread*
 * that forked it exits. libuv forks from the thread that calls spawn(), which for boot-budget is Node's main thread,
 * alive until the process ends (inside a worker thread it would be that worker, which is the owner too).
 *
 * A binary that is not on PATH is spawned as it is, so that Node reports ENOENT as before rather than setpriv's
 * exit 127. Without setpriv the hypervisor is spawned directly: every clean-up but the SIGKILL case still holds
 * (`boot-budget doctor` says so).
 */
export function withParentDeathSignal(
  file: string,
  args: readonly string[],
  setpriv: string | null = resolveSetpriv(),
  signal: 'KILL' | 'TERM' = 'KILL',
): { file: string; args: string[] } {
  if (!setpriv) return { file, args: [...args] };
  const binary = findOnPath(file);
  if (!binary) return { file, args: [...args] };
  return { file: setpriv, args: ['--pdeathsig', signal, '--', binary, ...args] };
}

/**
 * A helper process (a bench's direct QEMU, a load generator) with the same guarantees as a pass's hypervisor: its own
 * process group, killed by `cleanupNow()`, and dead with its parent.
 */
export function spawnOwned(file: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const spawned = withParentDeathSignal(file, args);
  const child = spawn(spawned.file, spawned.args, { ...options, detached: true });
  const untrack = trackProcessGroup(child);
  child.on('exit', untrack);
  return child;
}

/** setpriv's path, looked up once per process; null when it is missing. */
export function resolveSetpriv(): string | null {
  if (setprivPath === undefined) setprivPath = findOnPath(SETPRIV);
  return setprivPath;
}
