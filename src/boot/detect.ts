import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InfraError } from '../errors.js';

/**
 * Finds a hypervisor binary by asking it for its version: the one way every backend is detected, so a missing
 * binary always reads the same and always says how to get it.
 */
export async function detectBinary(
  binary: string,
  parseVersion: (stdout: string) => string,
  installHint: string,
): Promise<{ binary: string; version: string }> {
  try {
    const { stdout } = await promisify(execFile)(binary, ['--version'], { timeout: 10_000 });
    return { binary, version: parseVersion(stdout) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new InfraError(`${binary} was not found on PATH.`, installHint);
    throw new InfraError(`${binary} --version failed: ${(error as Error).message}`, installHint);
  }
}
