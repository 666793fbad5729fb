import { access, constants } from 'node:fs/promises';
import { InfraError } from '../../errors.js';
import type { KernelSource } from '../types.js';

export const pathKernel: KernelSource<{ kind: 'path'; path: string }> = {
  kind: 'path',
  async resolve(spec) {
    try {
      await access(spec.path, constants.R_OK);
    } catch {
      throw new InfraError(`Kernel image ${spec.path} cannot be read.`);
    }
    return { path: spec.path, description: spec.path };
  },
};
