// lz4js ships no types. Only the block decoder is used: the kernel's LZ4 payload is the legacy format, which lz4js's
// frame decoder does not read, so vmlinux.ts walks the legacy blocks itself.
declare module 'lz4js' {
  /** Decodes one raw LZ4 block from src[sIndex, sIndex + sLength) into dst at dIndex; returns the new end in dst. */
  export function decompressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    dIndex: number,
  ): number;
}
