/**
 * Writes archive members into a target directory without ever writing outside it. node-tar parses; this decides what
 * may be written, because a tarball is untrusted input: a member named `../x` or `/etc/x`, a member that passes
 * through a symlink an earlier member planted, a hardlink to a file outside, or a decompression bomb must each stop
 * the extraction with an error naming the member, before anything is written for it.
 *
 * Symlink targets are read the way the guest will read them: an absolute target is relative to the tree's root (a
 * rootfs is full of links such as `/etc/mtab -> /proc/self/mounts`), and a relative target may not climb above it.
 * Later members replace earlier ones, which is what `layers:` relies on.
 */
import {
  closeSync,
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { posix } from 'node:path';
import { InfraError } from '../../errors.js';

export const DEFAULT_EXTRACT_LIMIT = 8 * 1024 * 1024 * 1024;

export class UnsafeArchiveError extends InfraError {}

/** A member path as given, normalised to `a/b/c`; throws for absolute paths, `..`, NUL. */
export function memberPath(name: string, source: string): string {
  const shown = JSON.stringify(name);
  if (name.includes('\0'))
    throw new UnsafeArchiveError(`${source}: member ${shown} has a NUL in its name; refusing to extract`);
  if (name.startsWith('/')) {
    throw new UnsafeArchiveError(
      `${source}: member ${shown} has an absolute path; refusing to extract it outside the target`,
    );
  }
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw new UnsafeArchiveError(
      `${source}: member ${shown} contains "..", which would escape the target; refusing to extract`,
    );
  }
  return segments.join('/');
}

/** Where a symlink at `linkPath` points, resolved inside the root the way the guest resolves it; null if it climbs out. */
export function resolveLinkInRoot(linkPath: string, target: string): string | null {
  const base = target.startsWith('/') ? '' : posix.dirname(linkPath);
  const parts: string[] = base === '.' || base === '' ? [] : base.split('/');
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(segment);
  }
  return parts.join('/');
}

export class TreeWriter {
  private written = 0;

  constructor(
    readonly root: string,
    /** Shown in messages: the tarball or directory being extracted. */
    private source: string,
    private readonly limitBytes: number = DEFAULT_EXTRACT_LIMIT,
  ) {
    mkdirSync(root, { recursive: true });
  }

  /** Layers share one writer (and one size limit); messages name the layer being written. */
  setSource(source: string): void {
    this.source = source;
  }

  /** Throws unless every parent of `rel` inside the root is a real directory (creating missing ones). */
  private prepareParents(rel: string, member: string, create = true): void {
    const segments = rel.split('/');
    let current = this.root;
    for (let i = 0; i < segments.length - 1; i++) {
      current = `${current}/${segments[i]}`;
      let st;
      try {
        st = lstatSync(current);
      } catch {
        if (!create) return;
        mkdirSync(current, { mode: 0o755 });
        continue;
      }
      if (st.isSymbolicLink()) {
        throw new UnsafeArchiveError(
          `${this.source}: member ${JSON.stringify(member)} passes through the symlink ${JSON.stringify(segments.slice(0, i + 1).join('/'))}; refusing to follow links while extracting`,
        );
      }
      if (!st.isDirectory()) {
        if (!create) return;
        // A later layer may turn a file into a directory.
        rmSync(current, { force: true });
        mkdirSync(current, { mode: 0o755 });
      }
    }
  }

  /** Makes room for a non-directory at `path`: whatever was there (an earlier layer's file or tree) goes. */
  private clear(path: string): void {
    try {
      lstatSync(path);
    } catch {
      return;
    }
    rmSync(path, { recursive: true, force: true });
  }

  private target(member: string): { rel: string; path: string } | null {
    const rel = memberPath(member, this.source);
    if (rel === '') return null; // the root itself, "./"
    return { rel, path: `${this.root}/${rel}` };
  }

  dir(member: string, mode: number): void {
    const t = this.target(member);
    if (!t) return;
    this.prepareParents(t.rel, member);
    let st;
    try {
      st = lstatSync(t.path);
    } catch {
      // absent
    }
    if (st && !st.isDirectory()) this.clear(t.path);
    if (!st?.isDirectory()) mkdirSync(t.path, { mode: (mode & 0o7777) | 0o700 });
    else chmodSync(t.path, (mode & 0o7777) | 0o700);
  }

  /** Reserves `size` bytes against the limit; call before writing any of them. */
  reserve(member: string, size: number): void {
    this.written += size;
    if (this.written > this.limitBytes) {
      throw new UnsafeArchiveError(
        `${this.source}: member ${JSON.stringify(member)} takes the extracted size past the limit of ${formatBytes(this.limitBytes)}; refusing to extract (a decompression bomb?)`,
      );
    }
  }

  /** Opens a regular file for writing; the caller writes chunks with `write` and then `close`s it. */
  openFile(member: string, mode: number, size: number): { write(chunk: Buffer): void; close(): void } | null {
    const t = this.target(member);
    if (!t) return null;
    this.reserve(member, size);
    this.prepareParents(t.rel, member);
    this.clear(t.path);
    // O_EXCL with the path cleared above: if something raced a link in, open fails instead of following it.
    const fd = openSync(t.path, 'wx', 0o600);
    let seen = 0;
    return {
      write: (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > size) this.reserve(member, chunk.length);
        writeSync(fd, chunk);
      },
      close: () => {
        closeSync(fd);
        chmodSync(t.path, mode & 0o7777);
      },
    };
  }

  file(member: string, mode: number, data: Buffer): void {
    const out = this.openFile(member, mode, data.length);
    if (!out) return;
    out.write(data);
    out.close();
  }

  symlink(member: string, target: string): void {
    const t = this.target(member);
    if (!t) return;
    if (target === '' || target.includes('\0'))
      throw new UnsafeArchiveError(`${this.source}: symlink ${JSON.stringify(member)} has an empty or invalid target`);
    if (resolveLinkInRoot(t.rel, target) === null) {
      throw new UnsafeArchiveError(
        `${this.source}: symlink ${JSON.stringify(member)} -> ${JSON.stringify(target)} resolves outside the target directory; refusing to extract`,
      );
    }
    this.prepareParents(t.rel, member);
    this.clear(t.path);
    symlinkSync(target, t.path);
  }

  /** A hardlink names another member of the same archive; it must be a regular file already inside the tree. */
  hardlink(member: string, linkpath: string): void {
    const t = this.target(member);
    if (!t) return;
    const shown = `${this.source}: hardlink ${JSON.stringify(member)} -> ${JSON.stringify(linkpath)}`;
    let targetRel: string;
    try {
      targetRel = memberPath(linkpath, this.source);
    } catch {
      throw new UnsafeArchiveError(`${shown} points outside the target directory; refusing to extract`);
    }
    this.prepareParents(targetRel, member, false);
    const targetPath = `${this.root}/${targetRel}`;
    let st;
    try {
      st = lstatSync(targetPath);
    } catch {
      throw new UnsafeArchiveError(`${shown} names a file that is not (yet) in the archive; refusing to extract`);
    }
    if (!st.isFile()) throw new UnsafeArchiveError(`${shown} does not name a regular file; refusing to extract`);
    this.prepareParents(t.rel, member);
    this.clear(t.path);
    linkSync(targetPath, t.path);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}
