/**
 * Named FIFOs as the hypervisor's output channels. Node's `pipe` stdio is a socketpair, and two things make that wrong
 * for a hypervisor's output:
 * - QEMU cannot reopen a socket through /dev/fd/3 (ENXIO) nor take one through -add-fd (it is O_RDWR, QEMU wants
 *   O_WRONLY), which the doorbell's isa-debugcon needs;
 * - QEMU writes the serial console one byte per write(), and a socket accounts every 1-byte send at ~1 KiB of buffer:
 *   a reader that pauses for a millisecond or two fills it, and the guest's UART stalls. A pipe merges small writes
 *   into pages and holds 64 KiB of them, so the console can be read in batches while the log is dumped.
 * A named FIFO is a real pipe: the read end is opened non-blocking before the spawn, the write end is handed to the
 * child and closed here, so the reader sees end-of-file exactly when the hypervisor is gone and no byte is lost.
 *
 * Making a FIFO costs a temp dir and an `mkfifo` process, so the paths live for the whole process in one temp dir and
 * every pass opens its own ends on one of them. A pipe's buffer lives only while some end is open, so a path whose
 * reader saw end-of-file starts the next pass empty. One whose reader did not (the pass gave up waiting) may still be
 * held by a stray writer, which could write into the next pass: it is unlinked and a new one is made.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InfraError } from '../errors.js';
import { trackTempDir } from './processes.js';

export interface FifoChannel {
  /** Pass as one of the child's fds, then call `afterSpawn()`. */
  writeFd: number;
  reader: Socket;
  /** Settles once the reader has seen end-of-file (or was destroyed). */
  done: Promise<void>;
  afterSpawn(): void;
  /** Closes both ends, and keeps the FIFO for the next pass if the reader saw end-of-file, else removes it. */
  release(): void;
}

let fifoDir: Promise<string> | undefined;
/** FIFOs no pass has open, by purpose. */
const idle = new Map<string, string[]>();
let made = 0;

function fifoDirectory(): Promise<string> {
  fifoDir ??= mkdtemp(join(tmpdir(), 'boot-budget-fifos-')).then(
    (dir) => {
      const release = trackTempDir(dir);
      // A signal's cleanupNow() removes it too; this covers a run that simply ends.
      process.once('exit', release);
      return dir;
    },
    (error: unknown) => {
      fifoDir = undefined;
      throw error;
    },
  );
  return fifoDir;
}

async function fifoPath(purpose: string): Promise<string> {
  let dir = await fifoDirectory();
  // cleanupNow() may have removed it while this process went on.
  if (!existsSync(dir)) {
    fifoDir = undefined;
    idle.clear();
    dir = await fifoDirectory();
  }
  const reused = idle.get(purpose)?.pop();
  if (reused) return reused;
  const path = join(dir, `${purpose}-${++made}`);
  try {
    // Node has no mkfifo(); coreutils' is everywhere QEMU is.
    await promisify(execFile)('mkfifo', ['-m', '600', path]);
  } catch (error) {
    throw new InfraError(`could not create the ${purpose} FIFO: ${(error as Error).message}`);
  }
  return path;
}

/** `purpose` names the FIFO, and what an error says could not be made ("console", "doorbell"). */
export async function openFifoChannel(purpose: string): Promise<FifoChannel> {
  const path = await fifoPath(purpose);
  let readFd: number | undefined;
  let writeFd: number;
  try {
    readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    // With a reader open, a write-only open does not block.
    writeFd = openSync(path, constants.O_WRONLY);
  } catch (error) {
    if (readFd !== undefined) closeSync(readFd);
    rmSync(path, { force: true });
    throw error;
  }
  const reader = new Socket({ fd: readFd, readable: true, writable: false });
  let sawEnd = false;
  reader.once('end', () => {
    sawEnd = true;
  });
  const done = new Promise<void>((settle) => reader.once('close', () => settle()));
  let writeOpen = true;
  let released = false;
  return {
    writeFd,
    reader,
    done,
    afterSpawn() {
      if (writeOpen) closeSync(writeFd);
      writeOpen = false;
    },
    release() {
      if (writeOpen) closeSync(writeFd);
      writeOpen = false;
      // Closes the read end at once, so the next pass on this path is its only reader.
      reader.destroy();
      if (released) return;
      released = true;
      if (sawEnd) {
        const paths = idle.get(purpose) ?? [];
        paths.push(path);
        idle.set(purpose, paths);
      } else {
        rmSync(path, { force: true });
      }
    },
  };
}
