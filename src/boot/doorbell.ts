/**
 * The host side of the guest-to-host doorbells (the guest side is in src/agent). A doorbell ring reaches the host on
 * a channel of its own, never the serial console: QEMU's isa-debugcon on an extra FIFO, Firecracker's boot-timer log
 * line, Cloud Hypervisor's port-0x80 log line. The pass runner stamps what arrives with host time; the decoders here
 * turn it into marks.
 */
import { DOORBELL_ENV, DOORBELLS, type DoorbellKind } from '../agent/protocol.js';
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
export const DEBUGCON_IOBASE = DOORBELLS.debugcon.port;

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
