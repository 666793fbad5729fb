/**
 * A GPT disk assembled from partition images without root or loop devices: `sfdisk` writes the table onto a sparse
 * file, and each partition's file system (made in a file of its own) is copied in at its offset. Partition and disk
 * GUIDs are fixed, so the kernel command line can name the root as `root=PARTUUID=…` and the table is the same bytes
 * on every build.
 */
import { stat, truncate, writeFile } from 'node:fs/promises';
import { copyInto, runTool } from './tools.js';

const SECTOR = 512;
export const SECTORS_PER_MIB = (1024 * 1024) / SECTOR;
/** Partitions start 1 MiB in, as sfdisk and every partitioning tool align them; the backup GPT needs the last MiB. */
const ALIGN_MIB = 1;

/** GPT partition type GUIDs from the UEFI specification and the Discoverable Partitions Specification. */
export const PARTITION_TYPES = {
  esp: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  'bios-boot': '21686148-6449-6E6F-744E-656564454649',
  'linux-root-x86-64': '4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709',
} as const;

const DISK_GUID = 'B00DB00D-0000-4000-8000-000000000000';

/** The root partition's PARTUUID, which the loader entry hands to the kernel as `root=PARTUUID=…`. */
export const ROOT_PARTUUID = 'b00db00d-0000-4000-8000-000000000002';

export interface PartitionSpec {
  name: string;
  type: keyof typeof PARTITION_TYPES;
  sizeMiB: number;
  /** The file system image copied into the partition; none leaves it zeroed (a BIOS boot partition before GRUB). */
  image?: string;
  uuid?: string;
}

export interface DiskLayout {
  sizeMiB: number;
  partitions: Array<PartitionSpec & { startMiB: number }>;
}

/** Where each partition goes, and the disk's size: `minSizeMiB` when given and large enough. */
export function layoutDisk(partitions: readonly PartitionSpec[], minSizeMiB?: number): DiskLayout {
  let at = ALIGN_MIB;
  const placed = partitions.map((p) => {
    const startMiB = at;
    at += p.sizeMiB;
    return { ...p, startMiB };
  });
  const needed = at + ALIGN_MIB;
  return { sizeMiB: Math.max(needed, minSizeMiB ?? 0), partitions: placed };
}

/** The sfdisk script for `layout`. */
export function sfdiskScript(layout: DiskLayout): string {
  const perMiB = SECTORS_PER_MIB;
  const lines = ['label: gpt', `label-id: ${DISK_GUID}`, 'unit: sectors', ''];
  layout.partitions.forEach((p, i) => {
    const uuid = p.uuid ?? `B00DB00D-0000-4000-8000-00000000000${i + 1}`;
    lines.push(
      `start=${p.startMiB * perMiB}, size=${p.sizeMiB * perMiB}, type=${PARTITION_TYPES[p.type]}, uuid=${uuid}, name="${p.name}"`,
    );
  });
  return `${lines.join('\n')}\n`;
}

/** Writes the disk: a sparse file of the layout's size, the partition table, then each partition's image. */
export async function assembleDisk(image: string, layout: DiskLayout): Promise<void> {
  await writeFile(image, '');
  await truncate(image, layout.sizeMiB * 1024 ** 2);
  await runTool('sfdisk', ['--quiet', '--no-reread', '--no-tell-kernel', image], sfdiskScript(layout));
  for (const p of layout.partitions) {
    if (!p.image) continue;
    const bytes = (await stat(p.image)).size;
    if (bytes > p.sizeMiB * 1024 ** 2) throw new Error(`partition ${p.name}: its image is larger than the partition`);
    await copyInto(p.image, image, p.startMiB * 1024 ** 2);
  }
}
