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
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
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
  /** Closes both ends and removes the FIFO's directory. */
  release(): void;
}

/** `purpose` names the FIFO and its temp dir, and what an error says could not be made ("console", "doorbell"). */
export async function openFifoChannel(purpose: string): Promise<FifoChannel> {
  const dir = await mkdtemp(join(tmpdir(), `boot-budget-${purpose}-`));
  const release = trackTempDir(dir);
  const path = join(dir, purpose);
  try {
    // Node has no mkfifo(); coreutils' is everywhere QEMU is.
    await promisify(execFile)('mkfifo', ['-m', '600', path]);
  } catch (error) {
    release();
    throw new InfraError(`could not create the ${purpose} FIFO: ${(error as Error).message}`);
  }
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  // With a reader open, a write-only open does not block.
  const writeFd = openSync(path, constants.O_WRONLY);
  const reader = new Socket({ fd: readFd, readable: true, writable: false });
  const done = new Promise<void>((settle) => reader.once('close', () => settle()));
  let writeOpen = true;
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
      reader.destroy();
      release();
    },
  };
}
