/**
 * Tiny static x86-64 programs that write one byte to one I/O port: the agent's way to ring an I/O-port doorbell.
 * busybox has no `outb`, and /dev/port (the usual shell route) is absent from Debian's cloud kernel
 * (`# CONFIG_DEVPORT is not set`), so the initramfs carries these instead. Each is a 64-byte ELF header, one program
 * header and 39 bytes of code:
 *
 *   ioperm(port, 1, 1)          ; since Linux 5.5 the I/O bitmap covers all 65536 ports
 *   al = argv[1][0]             ; the byte to ring, passed as the first byte of the first argument
 *   out port, al
 *   exit(0)
 *
 * Running as PID 1's child (root, CAP_SYS_RAWIO) it needs nothing else; if ioperm fails the `out` faults and the
 * agent carries on without the ring, which then simply never arrives.
 */
import { DOORBELLS, type Doorbell } from './protocol.js';

const BASE = 0x400000;
const HEADER_SIZE = 64 + 56;

function code(port: number): Buffer {
  const lo = port & 0xff;
  const hi = (port >> 8) & 0xff;
  return Buffer.from([
    0xb8,
    0xad,
    0x00,
    0x00,
    0x00, // mov eax, 173 (ioperm)
    0xbf,
    lo,
    hi,
    0x00,
    0x00, // mov edi, port
    0xbe,
    0x01,
    0x00,
    0x00,
    0x00, // mov esi, 1
    0xba,
    0x01,
    0x00,
    0x00,
    0x00, // mov edx, 1
    0x0f,
    0x05, // syscall
    0x48,
    0x8b,
    0x74,
    0x24,
    0x10, // mov rsi, [rsp+16]  (argv[1])
    0x8a,
    0x06, // mov al, [rsi]
    0x66,
    0xba,
    lo,
    hi, // mov dx, port
    0xee, // out dx, al
    0xb8,
    0x3c,
    0x00,
    0x00,
    0x00, // mov eax, 60 (exit)
    0x31,
    0xff, // xor edi, edi
    0x0f,
    0x05, // syscall
  ]);
}

/** The ELF for one port. */
export function ringProgram(port: number): Buffer {
  return staticElf(code(port));
}

/** A static x86-64 ELF whose one loadable segment is the headers followed by `text`, entered at `text`'s start. */
export function staticElf(text: Buffer): Buffer {
  const size = HEADER_SIZE + text.length;
  const elf = Buffer.alloc(size);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(elf, 0); // ELF64, little-endian, SysV
  elf.writeUInt16LE(2, 0x10); // ET_EXEC
  elf.writeUInt16LE(62, 0x12); // EM_X86_64
  elf.writeUInt32LE(1, 0x14); // EV_CURRENT
  elf.writeBigUInt64LE(BigInt(BASE + HEADER_SIZE), 0x18); // e_entry
  elf.writeBigUInt64LE(64n, 0x20); // e_phoff
  elf.writeUInt16LE(64, 0x34); // e_ehsize
  elf.writeUInt16LE(56, 0x36); // e_phentsize
  elf.writeUInt16LE(1, 0x38); // e_phnum
  // One PT_LOAD, R+X, mapping the whole file at BASE.
  elf.writeUInt32LE(1, 64);
  elf.writeUInt32LE(5, 68);
  elf.writeBigUInt64LE(0n, 72);
  elf.writeBigUInt64LE(BigInt(BASE), 80);
  elf.writeBigUInt64LE(BigInt(BASE), 88);
  elf.writeBigUInt64LE(BigInt(size), 96);
  elf.writeBigUInt64LE(BigInt(size), 104);
  elf.writeBigUInt64LE(0x1000n, 112);
  text.copy(elf, HEADER_SIZE);
  return elf;
}

/** Where the agent finds the ring program for a port. */
export function ringPath(port: number): string {
  return `/bin/boot-budget-ring-${port.toString(16)}`;
}

/** The I/O ports the agent's doorbells use: QEMU's isa-debugcon and Cloud Hypervisor's debug port. */
export const RING_PORTS: readonly number[] = Object.values(DOORBELLS).flatMap((doorbell: Doorbell) =>
  doorbell.port === undefined ? [] : [doorbell.port],
);

/** The files the initramfs carries for the doorbells, as (path without leading slash, bytes). */
export function ringFiles(): Array<{ path: string; data: Buffer }> {
  return RING_PORTS.map((port) => ({ path: ringPath(port).slice(1), data: ringProgram(port) }));
}
