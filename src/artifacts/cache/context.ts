import type { ArtifactContext } from '../types.js';
import { ArtifactStore } from './store.js';

/** The store every builder uses, with warnings going to the same progress lines as everything else. */
export function storeFor(ctx: ArtifactContext): ArtifactStore {
  return new ArtifactStore({
    cacheDir: ctx.cacheDir,
    warn: (message) => ctx.log(`warning: ${message}`),
    ...(ctx.remoteCache ? { remote: ctx.remoteCache } : {}),
  });
}
