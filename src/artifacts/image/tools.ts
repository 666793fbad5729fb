/**
 * The host tools a whole-disk image is made with, each run on a plain file: no root, no loop devices. A missing tool
 * is an InfraError naming the Debian package that ships it.
 */
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { InfraError } from '../../errors.js';

const execFileAsync = promisify(execFile);

/** Which Debian package ships each tool; `.ci/run` installs them all. */
export const IMAGE_TOOL_PACKAGES: Readonly<Record<string, string>> = {
  sfdisk: 'fdisk',
  'mkfs.vfat': 'dosfstools',
  mmd: 'mtools',
  mcopy: 'mtools',
  mke2fs: 'e2fsprogs',
  'grub-mkimage': 'grub-pc-bin',
};

/** Runs `tool args…` with `input` on stdin; its stderr becomes the error message. */
export async function runTool(tool: string, args: readonly string[], input?: string): Promise<string> {
  try {
    const child = execFileAsync(tool, [...args], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    if (input !== undefined) child.child.stdin?.end(input);
    return (await child).stdout;
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      const pkg = IMAGE_TOOL_PACKAGES[tool];
      throw new InfraError(
        `${tool} not found; building a disk image needs it.`,
        pkg ? `Install it with: sudo apt-get install ${pkg}` : undefined,
      );
    }
    throw new InfraError(`${tool} ${args.join(' ')} failed: ${(err.stderr || err.message).trim()}`);
  }
}

/** Copies all of `source` into `target` at byte `offset`, in place, as `dd conv=notrunc seek=` would. */
export async function copyInto(source: string, target: string, offset: number): Promise<void> {
  const from = await open(source, 'r');
  const to = await open(target, 'r+');
  try {
    const buffer = Buffer.alloc(4 * 1024 * 1024);
    let position = 0;
    for (;;) {
      const { bytesRead } = await from.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      await to.write(buffer, 0, bytesRead, offset + position);
      position += bytesRead;
    }
  } finally {
    await from.close();
    await to.close();
  }
}
