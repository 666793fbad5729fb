import { rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

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
