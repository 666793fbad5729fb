/**
 * The host side of the guest-to-host doorbells (the guest side is in src/agent). A doorbell ring reaches the host on
 * a channel of its own, never the serial console: QEMU's isa-debugcon on an extra FIFO, Firecracker's boot-timer log
 * line, Cloud Hypervisor's port-0x80 log line. The pass runner stamps what arrives with host time; the decoders here
 * turn it into marks.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DOORBELL_ENV, DOORBELLS, type DoorbellKind } from '../agent/protocol.js';
import { InfraError } from '../errors.js';
import { trackTempDir } from './processes.js';
import type { DoorbellMark } from './types.js';

/** The kernel command line word that tells the agent which doorbell to ring. */
export function doorbellParam(kind: DoorbellKind): string {
  return `${DOORBELL_ENV}=${kind}`;
}

/** The agent mark that `code` stands for on a doorbell of this kind, if any. */
export function markForCode(kind: DoorbellKind, code: number): 'init' | 'ready' | undefined {
  const codes = DOORBELLS[kind].codes;
  return codes.init === code ? 'init' : codes.ready === code ? 'ready' : undefined;
}

/** QEMU isa-debugcon port that the doorbell uses: the one SeaBIOS and OVMF already print to, so no new device address. */
export const DEBUGCON_IOBASE = 0x402;

/**
 * Decodes one chunk of the debugcon channel. Only the agent's codes become marks: the same port carries SeaBIOS's
 * debug log, which is text and never contains them. QEMU writes each byte the guest outputs as it happens, so the
 * chunk's arrival time is the ring's.
 */
export function decodeDebugcon(chunk: Buffer, t: number): DoorbellMark[] {
  const marks: DoorbellMark[] = [];
  for (const byte of chunk) {
    const mark = markForCode('debugcon', byte);
    if (mark) marks.push({ t, mark, text: `doorbell: ${mark} (debugcon 0x${byte.toString(16).padStart(2, '0')})` });
  }
  return marks;
}

/**
 * A FIFO for a channel the hypervisor writes as its fd 3. Node's `pipe` stdio is a socketpair, which QEMU cannot
 * reopen through /dev/fd/3 (ENXIO) nor take through -add-fd (it is O_RDWR, QEMU wants O_WRONLY). A named FIFO is a
 * real pipe: the read end is opened non-blocking before the spawn, the write end is handed to the child and closed
 * here, so the reader sees end-of-file exactly when the hypervisor is gone and no byte is lost.
 */
export interface FifoChannel {
  /** Pass as the child's fd 3, then call `afterSpawn()`. */
  writeFd: number;
  reader: Socket;
  afterSpawn(): void;
  /** Removes the FIFO's directory. */
  release(): void;
}

export async function openFifoChannel(): Promise<FifoChannel> {
  const dir = await mkdtemp(join(tmpdir(), 'boot-budget-doorbell-'));
  const release = trackTempDir(dir);
  const path = join(dir, 'doorbell');
  try {
    // Node has no mkfifo(); coreutils' is everywhere QEMU is.
    await promisify(execFile)('mkfifo', ['-m', '600', path]);
  } catch (error) {
    release();
    throw new InfraError(`could not create the doorbell FIFO: ${(error as Error).message}`);
  }
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  // With a reader open, a write-only open does not block.
  const writeFd = openSync(path, constants.O_WRONLY);
  const reader = new Socket({ fd: readFd, readable: true, writable: false });
  let writeOpen = true;
  return {
    writeFd,
    reader,
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
