/**
 * Tarballs and directories → a TreeWriter. node-tar parses the archive (ustar, pax and GNU long names); the writer
 * decides what may be written. Compression is chosen by file name: gzip through zlib, zstd through fzstd (Node 20's
 * zlib has no zstd), xz through the `xz` tool (no kept pure-JS xz decoder exists; xz-utils is on every Debian).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { Parser, type ReadEntry } from 'tar';
import { InfraError } from '../../errors.js';
import { type TreeWriter, UnsafeArchiveError } from './tree-writer.js';

// The scenario step decides by name whether a path is a tarball; the extraction here reads the same names.
export { isTarball } from '../../scenario/artifact-specs.js';

function zstdStream(input: Readable): Readable {
  const out = new Readable({ read() {} });
  const decoder = new Decompress((chunk, final) => {
    out.push(Buffer.from(chunk));
    if (final) out.push(null);
  });
  (async () => {
    try {
      for await (const chunk of input) decoder.push(chunk as Uint8Array);
      decoder.push(new Uint8Array(0), true);
    } catch (error) {
      out.destroy(error as Error);
    }
  })();
  return out;
}

function xzStream(path: string): { stream: Readable; done: Promise<void> } {
  const child = spawn('xz', ['-dc', '--', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new InfraError(
          error.code === 'ENOENT' ? `${path}: .xz needs the xz tool (apt-get install xz-utils)` : error.message,
        ),
      ),
    );
    child.on('close', (code, signal) => {
      // A consumer that stopped early (a rejected member) kills xz; that is not xz's failure.
      if (code === 0 || signal) resolve();
      else reject(new InfraError(`${path}: xz failed: ${stderr.trim()}`));
    });
  });
  return { stream: child.stdout, done };
}

/** Decompressed tar bytes of `path`, by its extension. */
function tarBytes(path: string): { stream: Readable; done: Promise<void>; stop(): void } {
  if (/\.(tar\.xz|txz)$/.test(path)) {
    const { stream, done } = xzStream(path);
    return { stream, done, stop: () => stream.destroy() };
  }
  const raw = createReadStream(path);
  const stop = () => raw.destroy();
  if (/\.(tar\.gz|tgz)$/.test(path)) return { stream: raw.pipe(createGunzip()), done: Promise.resolve(), stop };
  if (/\.(tar\.zst|tzst)$/.test(path)) return { stream: zstdStream(raw), done: Promise.resolve(), stop };
  if (/\.tar$/.test(path)) return { stream: raw, done: Promise.resolve(), stop };
  throw new InfraError(`${path}: not a tarball this can read; use .tar, .tar.gz, .tgz, .tar.xz or .tar.zst`);
}

/** Extracts `path` into the writer's root. Rejects (naming the member) at the first unsafe member. */
export async function extractTarball(path: string, writer: TreeWriter): Promise<{ members: number }> {
  writer.setSource(path);
  let failure: Error | undefined;
  let members = 0;
  const fail = (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
  };
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      if (failure) return entry.resume();
      try {
        handleEntry(entry, writer, fail);
        members++;
      } catch (error) {
        fail(error);
        entry.resume();
      }
    },
  });
  parser.on('error', fail);
  const input = tarBytes(path);
  const ended = new Promise<void>((resolve) => parser.on('end', () => resolve()));
  try {
    for await (const chunk of input.stream) {
      if (failure) break;
      if (!parser.write(chunk as Buffer)) await new Promise((resolve) => parser.once('drain', resolve));
    }
    if (!failure) {
      parser.end();
      await ended;
    }
  } catch (error) {
    fail(
      error instanceof InfraError
        ? error
        : new InfraError(`${path}: cannot read the tarball: ${(error as Error).message}`),
    );
  } finally {
    input.stop();
  }
  await input.done.catch(fail);
  if (failure) {
    if (failure instanceof InfraError) throw failure;
    throw new InfraError(`${path}: not a valid tarball: ${failure.message}`);
  }
  return { members };
}

function handleEntry(entry: ReadEntry, writer: TreeWriter, fail: (error: unknown) => void): void {
  const name = entry.path;
  const mode = entry.mode ?? 0o644;
  switch (entry.type) {
    case 'Directory':
      writer.dir(name, mode);
      entry.resume();
      return;
    case 'File':
    case 'OldFile':
    case 'ContiguousFile': {
      const out = writer.openFile(name, mode, entry.size ?? 0);
      if (!out) return void entry.resume();
      let broken = false;
      entry.on('data', (chunk: Buffer) => {
        if (broken) return;
        try {
          out.write(chunk);
        } catch (error) {
          broken = true;
          fail(error);
        }
      });
      entry.on('end', () => out.close());
      return;
    }
    case 'SymbolicLink':
      writer.symlink(name, entry.linkpath ?? '');
      entry.resume();
      return;
    case 'Link':
      writer.hardlink(name, entry.linkpath ?? '');
      entry.resume();
      return;
    default:
      // Device nodes and FIFOs cannot be made without root; the builders add the few nodes a guest needs.
      entry.resume();
  }
}

/** Copies a directory into the writer, without following links (a link is copied as a link, checked like a member). */
export async function copyDirectory(dir: string, writer: TreeWriter): Promise<{ members: number }> {
  writer.setSource(dir);
  let members = 0;
  const walk = async (current: string): Promise<void> => {
    for (const name of (await readdir(current)).sort()) {
      const path = join(current, name);
      const rel = relative(dir, path);
      const st = await lstat(path);
      if (st.isDirectory()) {
        writer.dir(rel, st.mode);
        await walk(path);
      } else if (st.isSymbolicLink()) writer.symlink(rel, await readlink(path));
      else if (st.isFile()) writer.file(rel, st.mode, await readFile(path));
      else continue;
      members++;
    }
  };
  try {
    await walk(dir);
  } catch (error) {
    if (error instanceof UnsafeArchiveError || error instanceof InfraError) throw error;
    throw new InfraError(`${dir}: cannot read: ${(error as Error).message}`);
  }
  return { members };
}
