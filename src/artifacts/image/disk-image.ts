/**
 * `rootfs: { disk-image: … }`: a whole bootable disk that boot-budget builds from a kernel and a rootfs source,
 * without root or loop devices, cached by its inputs. The disk is GPT with an EFI system partition holding the boot
 * loader, the kernel and (for an initramfs rootfs) the initrd; an ext4 rootfs becomes a second partition, found by
 * the kernel as `root=PARTUUID=…`. The image is boot-budget's own build, so it may carry the agent; QEMU still opens
 * it with snapshot=on so that every pass boots the same bytes.
 */
import { access, constants, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraError } from '../../errors.js';
import type { DiskImageSpec, Scenario } from '../../scenario/types.js';
import { storeFor } from '../cache/context.js';
import { hashParts, sha256File } from '../cache/store.js';
import { formatBytes } from '../tree/tree-writer.js';
import type { ArtifactContext, KernelArtifact, RootfsArtifact, RootfsSource } from '../types.js';
import { espSizeMiB, makeEsp, type EspFile } from './esp.js';
import { assembleDisk, layoutDisk, ROOT_PARTUUID, SECTORS_PER_MIB } from './gpt.js';
import { grubEarlyConfig, installGrubBios, makeGrubImage } from './grub.js';
import { LOADERS, REMOVABLE_EFI_PATH } from './loaders.js';

/** Bump when the disk layout changes, so caches built by older versions are not reused. */
const FORMAT_VERSION = 'boot-budget/disk-image/1';

/** A panic must end the VM at once rather than hang until the timeout; with `-kernel`, the qemu backend adds it. */
const IMAGE_SAFETY_PARAMS = ['panic=-1'];

export interface DiskImageDeps {
  /** Builds the `from:` rootfs as if it were the scenario's own. */
  buildFrom(scenario: Scenario, ctx: ArtifactContext, kernel: KernelArtifact): Promise<RootfsArtifact>;
}

/**
 * The command line the boot step would give this scenario with `-kernel`, plus `params`: the boot step owns that rule
 * (initcalls, rootfs parameters), so the core hands it in and the image's loader entry says the same.
 */
export type KernelCmdline = (scenario: Scenario, params: readonly string[]) => string;

/** Replaces `root=` with the root partition's PARTUUID: the `from` rootfs named the whole disk. */
function rootOnPartition(params: readonly string[]): string[] {
  return params.map((p) => (p.startsWith('root=') ? `root=PARTUUID=${ROOT_PARTUUID}` : p));
}

export function diskImageSource(
  deps: DiskImageDeps,
  kernelCmdline: KernelCmdline,
): Pick<RootfsSource<DiskImageSpec>, 'kind' | 'build'> {
  return {
    kind: 'disk-image',
    async build(spec, scenario, ctx, kernel) {
      if (!kernel) throw new Error('disk-image: the kernel must be resolved before the image is built');
      const loader = LOADERS[spec.loader];
      if (!loader) throw new InfraError(`disk-image: loader ${spec.loader} is not supported.`);
      const what = `${spec.firmware} disk image (${spec.loader})`;
      if (!loader.firmware.includes(spec.firmware))
        throw new InfraError(`disk-image: ${spec.loader} cannot boot with firmware ${spec.firmware}.`);
      if (spec.firmware === 'bios' && spec.loader !== 'grub')
        throw new InfraError('disk-image: a BIOS disk needs loader: grub.');
      const binary = 'file' in loader.binary ? loader.binary.file : undefined;
      if (binary) {
        try {
          await access(binary, constants.R_OK);
        } catch {
          throw new InfraError(
            `${binary} is missing; the ${spec.loader} loader comes from it.`,
            `Install it with: sudo apt-get install ${loader.package}`,
          );
        }
      }
      const from = await deps.buildFrom({ ...scenario, rootfs: spec.from }, ctx, kernel);
      const rootImage = from.drives?.[0]?.path;
      const options = kernelCmdline(scenario, [...rootOnPartition(from.cmdline ?? []), ...IMAGE_SAFETY_PARAMS]);
      // A BIOS disk starts with the partition GRUB's core.img lives in; the ESP (GRUB's files, the kernel) follows.
      const espPartition = spec.firmware === 'bios' ? 2 : 1;
      const scratch = await mkdtemp(join(tmpdir(), 'boot-budget-disk-image-'));
      try {
        let loaderBinary = binary;
        if ('build' in loader.binary) {
          const early = join(scratch, 'early.cfg');
          await writeFile(early, grubEarlyConfig(spec.firmware, espPartition));
          loaderBinary = join(scratch, spec.firmware === 'bios' ? 'core.img' : 'grubx64.efi');
          await makeGrubImage(spec.firmware, loaderBinary, early);
        }
        const espFiles: EspFile[] = [
          ...(spec.firmware === 'uefi' ? [{ at: REMOVABLE_EFI_PATH, from: loaderBinary! }] : []),
          { at: '/vmlinuz', from: kernel.path },
          ...(from.initrd ? [{ at: '/initrd.img', from: from.initrd }] : []),
          ...loader.files({
            kernel: '/vmlinuz',
            ...(from.initrd ? { initrd: '/initrd.img' } : {}),
            options,
            menuTimeoutS: spec.menuTimeoutS,
          }),
        ];
        const contentHashes = await Promise.all(
          espFiles.map(async (f) => `${f.at}=${'from' in f ? await sha256File(f.from) : f.text}`),
        );
        const coreImg = spec.firmware === 'bios' ? loaderBinary! : undefined;
        const key = hashParts([
          FORMAT_VERSION,
          spec.loader,
          spec.firmware,
          String(spec.sizeMiB ?? 'auto'),
          ...contentHashes,
          coreImg ? `core.img=${await sha256File(coreImg)}` : 'no core.img',
          rootImage ? await sha256File(rootImage) : 'no root partition',
        ]);
        const espMiB = await espSizeMiB(espFiles);
        const rootMiB = rootImage ? Math.ceil((await stat(rootImage)).size / 1024 ** 2) : 0;
        const biosBootMiB = coreImg ? Math.ceil((await stat(coreImg)).size / 1024 ** 2) : 0;
        const layout = layoutDisk(
          [
            ...(coreImg ? [{ name: 'BIOS boot', type: 'bios-boot' as const, sizeMiB: biosBootMiB }] : []),
            { name: 'ESP', type: 'esp', sizeMiB: espMiB },
            ...(rootImage
              ? [{ name: 'root', type: 'linux-root-x86-64' as const, sizeMiB: rootMiB, uuid: ROOT_PARTUUID }]
              : []),
          ],
          spec.sizeMiB,
        );
        if (spec.sizeMiB !== undefined && spec.sizeMiB < layout.sizeMiB)
          throw new InfraError(
            `disk-image: size ${spec.sizeMiB}M is too small; its partitions need ${layout.sizeMiB}M.`,
          );
        const entry = await storeFor(ctx).get('disk-image', key, what, async (dir) => {
          ctx.log(`building a ${what}`);
          const esp = join(scratch, 'esp.part');
          await makeEsp(esp, espMiB, espFiles, scratch);
          layout.partitions[espPartition - 1]!.image = esp;
          if (rootImage) layout.partitions[espPartition]!.image = rootImage;
          const disk = join(dir, 'disk.img');
          await assembleDisk(disk, layout);
          if (coreImg) await installGrubBios(disk, coreImg, layout.partitions[0]!.startMiB * SECTORS_PER_MIB);
        });
        const image = join(entry.dir, 'disk.img');
        return {
          drives: [{ path: image, format: 'raw', interface: from.drives?.[0]?.interface ?? 'nvme' }],
          agent: from.agent,
          // What the tree inside boots (systemd with the ready unit, say): the results and the timeout follow it.
          ...(from.init ? { init: from.init } : {}),
          wholeDisk: { firmware: spec.firmware, loader: spec.loader, cmdline: options },
          description: `${what}, GPT ${formatBytes(layout.sizeMiB * 1024 ** 2)}: ${coreImg ? 'GRUB core.img in a BIOS boot partition, ' : ''}ESP with ${spec.loader}, ${kernel.description}${from.initrd ? ', initrd' : ''}; ${from.description}`,
        };
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    },
  };
}
