/**
 * The host's own account of a failed KVM guest: a broken KVM often says why in the host kernel log (measured here:
 * `kvm-pvm: INTERNAL_ERROR in batch emul: rip=… cpl=0` while QEMU hung). Reading it needs permission
 * (kernel.dmesg_restrict), so an unreadable log is reported as such rather than as "nothing logged".
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/** Seconds since the host booted: the clock of the kernel log's `[  123.456789]` stamps. */
export async function hostUptimeSeconds(): Promise<number | null> {
  try {
    return Number.parseFloat((await readFile('/proc/uptime', 'utf8')).split(' ')[0] ?? '');
  } catch {
    return null;
  }
}

export type HostKvmLog = { readable: true; lines: string[] } | { readable: false; why: string };

const STAMP = /^\[\s*(\d+\.\d+)\]\s?(.*)$/;
const MAX_LINES = 5;

/** Lines of `dmesg` text that mention kvm and were logged at or after `sinceSeconds` of host uptime (null: any). */
export function kvmLinesSince(dmesgText: string, sinceSeconds: number | null): string[] {
  const picked: string[] = [];
  for (const raw of dmesgText.split('\n')) {
    const match = STAMP.exec(raw);
    if (!match || !/\bkvm/i.test(match[2]!)) continue;
    // A little slack: the stamp is taken when the line is logged, our uptime when the proof started.
    if (sinceSeconds !== null && Number.parseFloat(match[1]!) < sinceSeconds - 0.5) continue;
    picked.push(match[2]!.trim());
  }
  return picked.slice(-MAX_LINES);
}

export async function readHostKvmLog(sinceSeconds: number | null): Promise<HostKvmLog> {
  try {
    const { stdout } = await promisify(execFile)('dmesg', [], { timeout: 2000, maxBuffer: 16 * 1024 * 1024 });
    return { readable: true, lines: kvmLinesSince(stdout, sinceSeconds) };
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    const why = err.code === 'ENOENT' ? 'dmesg is not installed' : (err.stderr?.trim() || err.message).split('\n')[0];
    return { readable: false, why: why ?? 'dmesg failed' };
  }
}

export function describeHostKvmLog(log: HostKvmLog): string {
  if (!log.readable) return `the host kernel log could not be read (${log.why})`;
  if (log.lines.length === 0) return 'the host kernel log has no kvm lines from that time';
  return `the host kernel log says: ${log.lines.map((l) => JSON.stringify(l)).join('; ')}`;
}
