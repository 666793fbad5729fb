/**
 * A tiny static x86-64 program that reads the time stamp counter and writes `<argv[1]><TSC in decimal>\n` to its
 * stdout in one write(2): the agent's clock for `clock: virtual`. busybox cannot read the TSC, and a shell's
 * `$(…)` would fork between the read and the write, so the initramfs carries this instead (like the ring programs in
 * ring.ts). With stdout redirected to /dev/kmsg, the log record's printk time is taken in that same write, a few
 * hundred instructions after the read, which pins the kernel's clock to QEMU's virtual clock (see
 * src/measure/virtual-clock.ts for why that pairing is needed).
 *
 * Under `-icount shift=0` the TSC counts QEMU's virtual clock in ns from machine reset (measured here: the kernel
 * detects a 999.993 MHz TSC, refined to 1000.000 MHz).
 */
import { staticElf } from './ring.js';

/** Assembled from this source (GNU as, Intel syntax); each line's bytes follow it. */
const CODE: ReadonlyArray<readonly [string, string]> = [
  ['rdtsc', '0f31'],
  ['shl rdx, 32', '48c1e220'],
  ['or rax, rdx', '4809d0'],
  ['mov r8, rax', '4989c0'],
  ['mov rsi, [rsp+16]        ; argv[1], the prefix', '488b742410'],
  ['sub rsp, 256', '4881ec00010000'],
  ['mov rdi, rsp', '4889e7'],
  ['test rsi, rsi', '4885f6'],
  ['jz digits_start', '7410'],
  ['copy: mov al, [rsi]', '8a06'],
  ['test al, al', '84c0'],
  ['jz digits_start', '740a'],
  ['mov [rdi], al', '8807'],
  ['inc rsi', '48ffc6'],
  ['inc rdi', '48ffc7'],
  ['jmp copy', 'ebf0'],
  ['digits_start: lea r9, [rsp+224]', '4c8d8c24e0000000'],
  ['mov r10, r9', '4d89ca'],
  ['mov rax, r8', '4c89c0'],
  ['mov ecx, 10', 'b90a000000'],
  ['digits: xor edx, edx', '31d2'],
  ['div rcx', '48f7f1'],
  ["add dl, '0'", '80c230'],
  ['dec r9', '49ffc9'],
  ['mov [r9], dl', '418811'],
  ['test rax, rax', '4885c0'],
  ['jnz digits', '75ed'],
  ['append: mov al, [r9]', '418a01'],
  ['mov [rdi], al', '8807'],
  ['inc rdi', '48ffc7'],
  ['inc r9', '49ffc1'],
  ['cmp r9, r10', '4d39d1'],
  ['jne append', '75f0'],
  ["mov byte [rdi], '\\n'", 'c6070a'],
  ['inc rdi', '48ffc7'],
  ['mov rdx, rdi', '4889fa'],
  ['sub rdx, rsp', '4829e2'],
  ['mov rsi, rsp', '4889e6'],
  ['mov edi, 1', 'bf01000000'],
  ['mov eax, 1                ; write(1, buffer, length)', 'b801000000'],
  ['syscall', '0f05'],
  ['mov eax, 60               ; exit(0)', 'b83c000000'],
  ['xor edi, edi', '31ff'],
  ['syscall', '0f05'],
];

/** The prefix must leave the digits room in the 256-byte buffer: 224 bytes less 20 digits and a newline. */
export const TSC_PREFIX_MAX = 200;

export function tscProgram(): Buffer {
  return staticElf(Buffer.from(CODE.map(([, hex]) => hex).join(''), 'hex'));
}

/** Where the agent finds the program. */
export const TSC_PATH = '/bin/boot-budget-tsc';

/** The initramfs file for the program, as (path without leading slash, bytes). */
export function tscFile(): { path: string; data: Buffer } {
  return { path: TSC_PATH.slice(1), data: tscProgram() };
}
