/**
 * The host's apt, as the apt kernel source sees it: three questions and nothing else, so that resolution can be tested
 * against recorded `apt-cache` output from Debian and Ubuntu (test/fixtures/apt/) without either distribution.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InfraError } from '../../errors.js';

const run = promisify(execFile);

export interface AptPackage {
  name: string;
  version: string;
  /** The first alternative of each `Depends:` entry, without its version constraint. */
  depends: string[];
}

export interface AptHost {
  /** `apt-cache show --no-all-versions NAME` parsed, or null when apt knows no installable package of that name. */
  show(name: string): Promise<AptPackage | null>;
  /** Unpacks NAME at VERSION into `root` as `dpkg-deb -x` does, without installing it. */
  unpack(name: string, version: string, root: string): Promise<void>;
  /** The host's /etc/os-release text, or null where it has none; used to say which host lacked a package. */
  osRelease(): Promise<string | null>;
}

/** Fields of `apt-cache show --no-all-versions`, which prints the candidate version only. */
export function parseAptShow(text: string): AptPackage | null {
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1]?.trim();
  const name = field('Package');
  const version = field('Version');
  if (!name || !version) return null;
  const depends = (field('Depends') ?? '')
    .split(',')
    .map((d) => d.trim().split(/[\s(|]/)[0] ?? '')
    .filter(Boolean);
  return { name, version, depends };
}

/** `PRETTY_NAME` of an os-release file ("Ubuntu 24.04.1 LTS"), falling back to `ID` and `VERSION_ID`. */
export function describeOsRelease(text: string | null): string {
  if (!text) return 'a host without /etc/os-release';
  const value = (key: string) => {
    const raw = new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1]?.trim();
    return raw?.replace(/^(["'])(.*)\1$/, '$2');
  };
  return value('PRETTY_NAME') ?? ([value('ID'), value('VERSION_ID')].filter(Boolean).join(' ') || 'an unnamed host');
}

// apt-cache's words for "no such package" (Debian 12's apt 2.6 prints "E: No packages found", exit status 100).
const NOT_FOUND = /No packages found|Unable to locate package|has no candidate|purely virtual/;

/** What one `apt-cache show --no-all-versions NAME` run printed and returned. */
export interface AptCacheShowRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** One `apt-cache show` run → the package, null for "no such package", or an error for anything else. */
export function interpretAptCacheShow(name: string, result: AptCacheShowRun): AptPackage | null {
  if (result.status !== 0) {
    if (NOT_FOUND.test(result.stderr)) return null;
    throw new InfraError(`apt-cache show ${name} failed (status ${result.status}): ${result.stderr.trim()}`);
  }
  // A name that other packages only Provide (Debian's linux-image-generic) prints nothing at all and exits 0.
  if (result.stdout.trim() === '') return null;
  const parsed = parseAptShow(result.stdout);
  if (!parsed) throw new InfraError(`apt-cache show ${name} printed no Package/Version fields.`);
  return parsed;
}

/** The host's real apt: `apt-cache show`, `apt-get download` and `dpkg-deb -x`, none of which needs root. */
export const systemApt: AptHost = {
  async show(name) {
    try {
      const { stdout, stderr } = await run('apt-cache', ['show', '--no-all-versions', name], {
        maxBuffer: 16 * 1024 * 1024,
      });
      return interpretAptCacheShow(name, { status: 0, stdout, stderr });
    } catch (error) {
      if (error instanceof InfraError) throw error;
      const err = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: number | string };
      if (err.code === 'ENOENT')
        throw new InfraError('kernel: apt needs apt-cache and apt-get, which this host lacks (Debian or Ubuntu only).');
      const status = typeof err.code === 'number' ? err.code : 1;
      return interpretAptCacheShow(name, { status, stdout: err.stdout ?? '', stderr: err.stderr ?? err.message });
    }
  },

  // The .deb is not kept: beside its unpacked files, the store would hold every byte twice.
  async unpack(name, version, root) {
    const download = `${root}.download`;
    await mkdir(download, { recursive: true });
    try {
      try {
        await run('apt-get', ['download', `${name}=${version}`], { cwd: download, maxBuffer: 16 * 1024 * 1024 });
      } catch (error) {
        const err = error as { stderr?: string; message: string };
        throw new InfraError(
          `apt-get download ${name}=${version} failed: ${(err.stderr ?? err.message).trim()}`,
          'The package lists may be older than the archive: sudo apt-get update',
        );
      }
      const deb = (await readdir(download)).find((f) => f.endsWith('.deb'));
      if (!deb) throw new InfraError(`apt-get download ${name} produced no .deb file.`);
      try {
        await run('dpkg-deb', ['-x', join(download, deb), root]);
      } catch (error) {
        const err = error as { stderr?: string; message: string };
        throw new InfraError(`dpkg-deb -x ${deb} failed: ${(err.stderr ?? err.message).trim()}`);
      }
    } finally {
      await rm(download, { recursive: true, force: true });
    }
  },

  async osRelease() {
    // os-release(5): /etc/os-release, else /usr/lib/os-release.
    for (const file of ['/etc/os-release', '/usr/lib/os-release']) {
      const text = await readFile(file, 'utf8').catch(() => null);
      if (text !== null) return text;
    }
    return null;
  },
};
