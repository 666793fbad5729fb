import type { Scenario } from '../scenario/types.js';
import { aptKernel } from './kernel/apt.js';
import { pathKernel } from './kernel/path.js';
import { busyboxRootfs } from './rootfs/busybox.js';
import type { ArtifactContext, KernelArtifact, RootfsArtifact } from './types.js';

export async function resolveKernel(scenario: Scenario, ctx: ArtifactContext): Promise<KernelArtifact> {
  const spec = scenario.kernel;
  switch (spec.kind) {
    case 'path':
      return pathKernel.resolve(spec, ctx);
    case 'apt':
      return aptKernel.resolve(spec, ctx);
  }
}

export async function buildRootfs(scenario: Scenario, ctx: ArtifactContext): Promise<RootfsArtifact> {
  const spec = scenario.rootfs;
  switch (spec.kind) {
    case 'busybox':
      return busyboxRootfs.build(spec, scenario, ctx);
  }
}
