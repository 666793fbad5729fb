import { downloadVerified } from '../download.js';
import type { KernelSource } from '../types.js';

/** `kernel: {url, sha256}`: a kernel image downloaded once, verified, and reused from the store. */
export const urlKernel: KernelSource<{ kind: 'url'; url: string; sha256: string }> = {
  kind: 'url',
  async resolve(spec, ctx) {
    const path = await downloadVerified(spec.url, spec.sha256, ctx);
    return { path, description: `${spec.url} (sha256 ${spec.sha256.slice(0, 12)}…)` };
  },
};
