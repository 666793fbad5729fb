/**
 * An AptHost that answers from a recorded fixture (test/fixtures/apt/*.json) instead of the host's apt. Each fixture
 * says where its records came from: Debian's were captured on this machine, Ubuntu's were reconstructed from Ubuntu's
 * package index pages. `show` goes through the same interpretation as the real apt-cache output; `unpack` writes the
 * recorded file list (with its modes) as empty files, which is what the kernel source moves into its store entry.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type AptCacheShowRun, type AptHost, interpretAptCacheShow } from '../../src/artifacts/kernel/apt-host.js';

interface AptFixture {
  provenance: string;
  osRelease: string;
  aptCacheShow: Record<string, AptCacheShowRun>;
  contents: Record<string, string[]>;
}

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'apt');

/** `-rw------- root/root 0 ./boot/vmlinuz-…` (dpkg-deb -c's columns) → mode and path. */
function parseListing(line: string): { mode: number; path: string } {
  const fields = line.trim().split(/\s+/);
  const perms = fields[0]!;
  const path = fields[fields.length - 1]!;
  let mode = 0;
  for (const [i, c] of [...perms.slice(1, 10)].entries()) if (c !== '-') mode |= 1 << (8 - i);
  return { mode, path };
}

export interface RecordedApt extends AptHost {
  shown: string[];
  unpacked: string[];
}

export function recordedApt(name: 'debian-12' | 'ubuntu-24.04'): RecordedApt {
  const fixture = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as AptFixture;
  const host: RecordedApt = {
    shown: [],
    unpacked: [],
    async show(pkg) {
      host.shown.push(pkg);
      const run = fixture.aptCacheShow[pkg];
      if (!run) throw new Error(`the ${name} fixture has no record of apt-cache show ${pkg}`);
      return interpretAptCacheShow(pkg, run);
    },
    async unpack(pkg, version, root) {
      host.unpacked.push(`${pkg}=${version}`);
      const listing = fixture.contents[pkg];
      if (!listing) throw new Error(`the ${name} fixture has no file list for ${pkg}`);
      for (const line of listing) {
        const { mode, path } = parseListing(line);
        const file = join(root, path);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, `${pkg} ${path}\n`);
        await chmod(file, mode);
      }
    },
    async osRelease() {
      return fixture.osRelease;
    },
  };
  return host;
}
