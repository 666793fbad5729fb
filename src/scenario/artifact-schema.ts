/**
 * The `kernel:` and `rootfs:` variants that boot-budget builds or fetches: kernels from a URL or built
 * from source, root filesystems from directories, tarballs, layers and disk images. Kept apart from schema.ts so that
 * the artifact sources grow here; schema.ts only lists them in its unions.
 */
import { z } from 'zod';
import { aptPackageSchema, sizeSchema } from './value-schemas.js';

const SHA256 = /^[0-9a-fA-F]{64}$/;
export const KERNEL_CONFIG_TARGETS = ['defconfig', 'tinyconfig', 'allnoconfig'] as const;

const sha256Schema = z
  .string()
  .regex(SHA256, { error: (issue) => `${JSON.stringify(issue.input)} is not a sha256 (64 hex digits)` })
  .describe('The sha256 of the file, 64 hex digits; the download is rejected when it differs.');

const urlSchema = z
  .string()
  .regex(/^https?:\/\/\S+$/, { error: (issue) => `${JSON.stringify(issue.input)} is not an http(s) URL` })
  .describe('An http:// or https:// URL.');

const imageSizeSchema = sizeSchema((input) => `${input} has no unit; write a size such as 64M or 2G`);

/**
 * `kernel: {apt: …}`: one package, or candidates tried in order against the host's apt. A list rather than a
 * per-distribution alias: apt itself says what exists, so derivatives (Mint, Pop!_OS) and new releases need no table
 * here, and the scenario shows every name it may boot.
 */
export const aptKernelSchema = z
  .strictObject({
    apt: z
      .union([
        aptPackageSchema,
        z
          .array(aptPackageSchema)
          .min(1, { error: 'list at least one kernel package' })
          .refine((names) => new Set(names).size === names.length, { error: 'a package is listed twice' }),
      ])
      .describe(
        "A package that ships a kernel image, or candidates tried in order: the first that the host's apt has is used, e.g. [linux-image-cloud-amd64, linux-image-kvm, linux-image-virtual] for Debian and Ubuntu.",
      ),
  })
  .describe('Download the kernel from a Debian or Ubuntu package, without installing it.');

export const urlKernelSchema = z
  .strictObject({ url: urlSchema, sha256: sha256Schema })
  .describe('Download a kernel image, verify its sha256 and cache it.');

export const buildKernelSchema = z
  .strictObject({
    build: z
      .strictObject({
        source: z
          .union([
            z
              .string()
              .min(1)
              .describe(
                'A kernel source directory, or a tarball (.tar, .tar.gz, .tar.xz, .tar.zst), relative to this file.',
              ),
            z.strictObject({ url: urlSchema, sha256: sha256Schema }).describe('A source tarball to download.'),
            z
              .strictObject({
                apt: aptPackageSchema.describe('A Debian linux-source package, e.g. linux-source-6.1.'),
              })
              .describe('The source tarball a Debian linux-source package ships in /usr/src.'),
          ])
          .describe('Where the kernel source comes from.'),
        config: z
          .string()
          .min(1)
          .default('defconfig')
          .describe('defconfig, tinyconfig, allnoconfig, or a path to a .config file (relative to this file).'),
        fragments: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'Kconfig fragments merged in order as merge_config.sh does: paths to files, or inline lines such as `CONFIG_EXT4_FS=y`.',
          ),
        'make-args': z.array(z.string()).default([]).describe('Extra make arguments, e.g. `LLVM=1`.'),
        target: z
          .string()
          .regex(/^[A-Za-z0-9._/-]+$/)
          .default('bzImage')
          .describe('The make target whose image boots (default bzImage).'),
      })
      .describe('Build a kernel from source, out of tree, cached by its inputs and final .config.'),
  })
  .describe('Build the kernel from source.');

const treeOptions = {
  agent: z
    .boolean()
    .default(true)
    .describe(
      "Add boot-budget's agent (and a static busybox when the tree has none). `false` boots the tree as it is.",
    ),
  'extract-limit': imageSizeSchema
    .optional()
    .describe(
      'The most a tarball may unpack to, e.g. 2G (default 8G); larger archives are rejected as decompression bombs.',
    ),
};

export const rootfsVariantSchemas = [
  z
    .strictObject({
      initramfs: z.string().min(1).describe('A directory or tarball (relative to this file) packed as the initramfs.'),
      ...treeOptions,
    })
    .describe('An initramfs (cpio "newc", gzip) from a directory or tarball; the agent is /init.'),
  z
    .strictObject({
      tarball: z.string().min(1).describe('A tarball (relative to this file) written into an ext4 disk image.'),
      size: imageSizeSchema.optional().describe('Image size such as 256M; default: content plus headroom.'),
      ...treeOptions,
    })
    .describe('An ext4 disk image built from a tarball without root (mke2fs -d), attached as the root disk.'),
  z
    .strictObject({
      layers: z
        .array(z.string().min(1))
        .min(1)
        .describe('Directories and tarballs merged in order, later layers winning.'),
      into: z.enum(['initramfs', 'ext4']).default('initramfs').describe('What the merged tree becomes.'),
      size: imageSizeSchema.optional().describe('Image size for `into: ext4`.'),
      ...treeOptions,
    })
    .describe('Layers merged into one initramfs or ext4 image.'),
  z
    .strictObject({
      mmdebstrap: z
        .strictObject({
          suite: z
            .string()
            .regex(/^[a-z][a-z0-9.-]*$/, {
              error: (issue) => `${JSON.stringify(issue.input)} is not a Debian suite such as bookworm`,
            })
            .describe('The Debian (or derivative) suite, e.g. bookworm.'),
          variant: z
            .enum(['extract', 'custom', 'essential', 'apt', 'required', 'minbase', 'buildd', 'important', 'standard'])
            .default('minbase')
            .describe("mmdebstrap's --variant (default minbase)."),
          include: z
            .array(aptPackageSchema)
            .default([])
            .describe('Packages to add, e.g. [systemd-sysv, udev] for a systemd image.'),
          mirror: z
            .string()
            .min(1)
            .optional()
            .describe(
              "Where packages come from: a mirror URL, or an apt sources file (one-line or deb822) relative to this file. Default: Debian's archive.",
            ),
        })
        .describe("Build the tree with Debian's mmdebstrap (no root needed), cached by these inputs."),
      layers: z
        .array(z.string().min(1))
        .default([])
        .describe('Directories and tarballs merged over the built tree in order, later layers winning.'),
      into: z.enum(['initramfs', 'ext4']).default('ext4').describe('What the tree becomes (default ext4).'),
      size: imageSizeSchema.optional().describe('Image size for `into: ext4`.'),
      ...treeOptions,
    })
    .describe("A Debian tree built by mmdebstrap, with optional layers on top; its own init boots (systemd's, say)."),
  z
    .strictObject({
      disk: z
        .strictObject({
          image: z
            .string()
            .min(1)
            .describe('The disk image, relative to this file. Never modified: QEMU gets it with snapshot=on.'),
          format: z.enum(['raw', 'qcow2']).default('raw').describe('The image format.'),
        })
        .describe('A disk image to boot from.'),
    })
    .describe('Boot from an existing disk image, which is never written to.'),
] as const;
