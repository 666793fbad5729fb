/** `boot-budget cache list | prune [--older-than 30d] | clear`: the store as people see it. */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes } from '../tree/tree-writer.js';
import { ArtifactStore, dirBytes } from './store.js';

export { dirBytes };

const AGE = /^(\d+)(d|h|m)$/;

/** "30d", "12h", "45m" → ms; undefined when it is not one of those. */
export function parseAge(text: string): number | undefined {
  const match = AGE.exec(text.trim());
  if (!match) return undefined;
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  return Number(match[1]) * unit;
}

function age(ms: number): string {
  if (ms >= 86_400_000) return `${Math.floor(ms / 86_400_000)}d ago`;
  if (ms >= 3_600_000) return `${Math.floor(ms / 3_600_000)}h ago`;
  return `${Math.max(0, Math.floor(ms / 60_000))}m ago`;
}

/** Directories beside the store that boot-budget also owns: kernel build trees, logs, pre-store caches, vmlinux extracts, KVM proofs. */
const OWNED = ['work', 'logs', 'kernels', 'rootfs', 'vmlinux', 'kvm-proofs'];

export async function cacheCommand(
  action: 'list' | 'prune' | 'clear',
  cacheDir: string,
  options: { olderThanMs?: number; now?: number } = {},
): Promise<string> {
  const lines: string[] = [];
  const store = new ArtifactStore({ cacheDir, warn: (m) => lines.push(`warning: ${m}`) });
  const entries = await store.list();
  const now = options.now ?? Date.now();
  if (action === 'list') {
    if (entries.length === 0) lines.push(`${cacheDir}: no cache entries`);
    for (const e of entries) {
      lines.push(
        `${e.kind.padEnd(18)} ${e.key.slice(0, 12)}  ${formatBytes(e.bytes).padStart(10)}  used ${age(now - e.lastUsed.getTime()).padEnd(8)}  ${e.description}`,
      );
    }
    const work = await dirBytes(join(cacheDir, 'work'));
    const total = entries.reduce((sum, e) => sum + e.bytes, 0);
    lines.push(
      `${entries.length} entries, ${formatBytes(total)} in ${store.root}${work ? `; kernel build trees ${formatBytes(work)} in ${join(cacheDir, 'work')}` : ''}`,
    );
    return `${lines.join('\n')}\n`;
  }
  if (action === 'prune') {
    const limit = options.olderThanMs ?? 30 * 86_400_000;
    let freed = 0;
    let removed = 0;
    for (const e of entries.filter((entry) => now - entry.lastUsed.getTime() > limit)) {
      await store.remove(e.kind, e.key);
      freed += e.bytes;
      removed++;
      lines.push(`removed ${e.kind}/${e.key.slice(0, 12)} (${e.description}, used ${age(now - e.lastUsed.getTime())})`);
    }
    // Build trees only speed up rebuilds; one unused for as long goes too.
    for (const name of await readdir(join(cacheDir, 'work')).catch(() => [] as string[])) {
      const path = join(cacheDir, 'work', name);
      const st = await stat(path).catch(() => undefined);
      if (st && now - st.mtimeMs > limit) {
        freed += await dirBytes(path);
        await rm(path, { recursive: true, force: true });
        lines.push(`removed work/${name}`);
      }
    }
    // Half-built entries of processes that were killed; a live build refreshes its lock, never its temp dir's mtime,
    // so only ones older than a day are taken.
    for (const kind of await readdir(store.root).catch(() => [] as string[])) {
      for (const name of await readdir(join(store.root, kind)).catch(() => [] as string[])) {
        if (!/\.(tmp|corrupt|removed)-/.test(name)) continue;
        const path = join(store.root, kind, name);
        const st = await stat(path).catch(() => undefined);
        if (st && now - st.mtimeMs > 86_400_000) {
          await rm(path, { recursive: true, force: true });
          lines.push(`removed the leftover ${kind}/${name}`);
        }
      }
    }
    lines.push(`pruned ${removed} of ${entries.length} entries, freed ${formatBytes(freed)}`);
    return `${lines.join('\n')}\n`;
  }
  for (const e of entries) await store.remove(e.kind, e.key);
  for (const name of [...OWNED, 'store']) await rm(join(cacheDir, name), { recursive: true, force: true });
  lines.push(`cleared ${entries.length} entries and the build trees in ${cacheDir}`);
  return `${lines.join('\n')}\n`;
}
