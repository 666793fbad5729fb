/**
 * An EFI system partition as a file of its own: `mkfs.vfat -F 32` on a sparse file, then `mmd`/`mcopy` (mtools) to
 * put files in, so neither a mount nor root is needed. The file is later copied into the disk at its partition offset.
 */
import { stat, truncate, writeFile } from 'node:fs/promises';
import { runTool } from './tools.js';

/** FAT32 needs at least 65,525 clusters; mkfs.vfat's 512-byte clusters at 64 MiB clear that with room to spare. */
const MIN_ESP_MIB = 64;
/** Room beyond the files for FAT tables, directories and the loader's own writes (systemd-boot writes nothing). */
const ESP_HEADROOM_MIB = 16;

/** One file on the ESP: its path there (`/EFI/BOOT/BOOTX64.EFI`) and where its bytes come from. */
export type EspFile = { at: string } & ({ from: string } | { text: string });

export async function espSizeMiB(files: readonly EspFile[]): Promise<number> {
  let bytes = 0;
  for (const file of files) bytes += 'from' in file ? (await stat(file.from)).size : Buffer.byteLength(file.text);
  return Math.max(MIN_ESP_MIB, Math.ceil(bytes / 1024 ** 2) + ESP_HEADROOM_MIB);
}

/** Writes a FAT32 file system of `sizeMiB` holding `files` to `image`; `scratch` holds the text files meanwhile. */
export async function makeEsp(
  image: string,
  sizeMiB: number,
  files: readonly EspFile[],
  scratch: string,
): Promise<void> {
  await writeFile(image, '');
  await truncate(image, sizeMiB * 1024 ** 2);
  // A fixed volume id keeps the bytes a function of the inputs (mkfs.vfat takes it from the clock otherwise).
  await runTool('mkfs.vfat', ['-F', '32', '-n', 'ESP', '-i', '0b00b00b', image]);
  const dirs = new Set<string>();
  for (const file of files) {
    const parts = file.at.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) dirs.add(`/${parts.slice(0, i).join('/')}`);
  }
  const sorted = [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  if (sorted.length) await runTool('mmd', ['-i', image, ...sorted.map((d) => `::${d}`)]);
  let n = 0;
  for (const file of files) {
    let from: string;
    if ('from' in file) from = file.from;
    else {
      from = `${scratch}/esp-file-${n++}`;
      await writeFile(from, file.text);
    }
    await runTool('mcopy', ['-i', image, from, `::${file.at}`]);
  }
}
