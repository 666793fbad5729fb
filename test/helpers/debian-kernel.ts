import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptKernel } from '../../src/artifacts/kernel/apt.js';
import type { KernelArtifact } from '../../src/artifacts/types.js';
import { TEST_CACHE_DIR } from './cli.js';

/** Streams one member of a .deb's data archive to `out` without unpacking the rest (the -dbg package is 1.7 GB). */
function extractMember(deb: string, member: string, out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const dpkg = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'inherit'] });
    const tar = spawn('tar', ['-xO', '--wildcards', member], { stdio: ['pipe', 'pipe', 'inherit'] });
    dpkg.stdout.pipe(tar.stdin);
    tar.stdout.pipe(createWriteStream(out));
    tar.on('error', reject);
    dpkg.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code} extracting ${member}`))));
  });
}

let cloud: Promise<KernelArtifact> | undefined;

/**
 * Debian's cloud kernel through boot-budget's own apt source, in TEST_CACHE_DIR: downloaded when the cache lacks it,
 * resolved once per test file. Suites call it in beforeAll, so that a cold download is not charged to one test's
 * time limit.
 */
export function cloudKernel(): Promise<KernelArtifact> {
  cloud ??= aptKernel
    .resolve({ kind: 'apt', packages: ['linux-image-cloud-amd64'] }, { cacheDir: TEST_CACHE_DIR, log: () => {} })
    .catch((error: unknown) => {
      // A failed download (a network hiccup) is retried by the next caller rather than failing every later test.
      cloud = undefined;
      throw error;
    });
  return cloud;
}

/**
 * Debian's cloud kernel (a real bzImage) and its System.map. The kernel comes through boot-budget's own apt source.
 * The System.map in linux-image-* is a one-line placeholder ("The real System.map is in the linux-image-<version>-dbg
 * package"), so the real one is streamed out of the -dbg package (283 MB download) once and cached.
 */
export async function debianCloudKernel(): Promise<{ bzImage: string; systemMap: string }> {
  const kernel = await cloudKernel();
  // "linux-image-6.1.0-56-cloud-amd64 6.1.192-2 (apt …)": the versioned package and its version.
  const [pkg, version] = kernel.description.split(' ') as [string, string];
  const mapDir = join(TEST_CACHE_DIR, 'system-map', `${pkg}_${version}`);
  const systemMap = join(mapDir, 'System.map');
  if (!existsSync(systemMap)) {
    const work = mkdtempSync(join(tmpdir(), 'boot-budget-sysmap-'));
    try {
      // Not execFileSync: a 283 MB download can block the test worker for over a minute, and vitest's worker then
      // times out its own progress messages ("Timeout calling onTaskUpdate") and fails the run.
      await new Promise<void>((resolve, reject) => {
        const apt = spawn('apt-get', ['download', `${pkg}-dbg`], { cwd: work, stdio: 'ignore' });
        apt.on('error', reject);
        apt.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`apt-get download exited ${code}`))));
      });
      const deb = readdirSync(work).find((f) => f.endsWith('.deb'))!;
      mkdirSync(mapDir, { recursive: true });
      await extractMember(join(work, deb), './usr/lib/debug/boot/System.map-*', join(work, 'System.map'));
      renameSync(join(work, 'System.map'), systemMap);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return { bzImage: kernel.path, systemMap };
}
