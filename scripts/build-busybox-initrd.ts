/**
 * Builds boot-budget's busybox initramfs for the given `run:` lines and prints its path, so that
 * scripts/capture-trace.ts can boot it to capture a fixture.
 *
 *   npx tsx scripts/build-busybox-initrd.ts CACHE_DIR [RUN_LINE…]
 */
import { busyboxRootfs } from '../src/artifacts/rootfs/busybox.js';
import type { Scenario } from '../src/scenario/types.js';

const [cacheDir, ...run] = process.argv.slice(2);
if (!cacheDir) {
  process.stderr.write('usage: build-busybox-initrd.ts CACHE_DIR [RUN_LINE…]\n');
  process.exit(2);
}
const artifact = await busyboxRootfs.build({ kind: 'busybox' }, { run } as unknown as Scenario, {
  cacheDir,
  log: (message) => process.stderr.write(`${message}\n`),
});
process.stdout.write(`${artifact.initrd}\n`);
