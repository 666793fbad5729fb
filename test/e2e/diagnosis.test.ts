import { beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../../src/artifacts/rootfs/busybox.js';
import { runPass } from '../../src/boot/pass-runner.js';
import { qemuBackend } from '../../src/boot/qemu.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import type { Scenario } from '../../src/scenario/types.js';
import { hypervisorsMentioning, TEST_CACHE_DIR } from '../helpers/cli.js';
import { cloudKernel } from '../helpers/debian-kernel.js';
import { measureWhole } from '../helpers/measure-oracle.js';

// The same kernel booted with and without `quiet`, one pass each, under whatever accelerator works here (TCG on
// this project's machines). With `quiet` the kernel's breakdown comes from the log dumped after ready; without it,
// from the console too. Either way the kernel stage's own events must land at the same times, apart from what the
// console itself cost, which the verbose report names.

/** The same kernel, initramfs and QEMU for every boot: only the command line differs. */
let artifacts: { kernel: string; initrd: string | undefined; binary: string };

beforeAll(async () => {
  const kernel = await cloudKernel();
  const rootfs = await busyboxRootfs.build({ kind: 'busybox' }, { run: [] } as unknown as Scenario, {
    cacheDir: TEST_CACHE_DIR,
    log: () => {},
  });
  const { binary } = await qemuBackend.detect();
  artifacts = { kernel: kernel.path, initrd: rootfs.initrd, binary };
}, 600_000);

async function boot(cmdline: string) {
  const { kernel, initrd, binary } = artifacts;
  const command = qemuBackend.command(binary, {
    kernel,
    initrd,
    cmdline,
    cpus: 1,
    memoryMiB: 256,
    machine: 'pc',
    accel: 'tcg',
  });
  const trace = await runPass(command, { accel: 'tcg', timeoutMs: 60_000 });
  expect(trace.reached).toBe('shutdown');
  const context = { machine: 'pc' as const, cmdline: command.cmdline };
  // The measure step keeps only the records it needs as events; the whole-trace oracle places every one of them.
  return { trace, m: measurePass(trace, [], undefined, context), all: measureWhole(trace, [], undefined, context) };
}

/** Kernel records that occur once in both boots, keyed by text, as ms after kernel clock zero. */
function kernelEventOffsets(b: Awaited<ReturnType<typeof boot>>): Map<string, number> {
  const kernel = b.m.stages.find((s) => s.name === 'kernel')!;
  const { events } = b.all;
  const counts = new Map<string, number>();
  for (const e of events) counts.set(e.text, (counts.get(e.text) ?? 0) + 1);
  const offsets = new Map<string, number>();
  for (const e of events) {
    if (e.origin === 'kernel' && counts.get(e.text) === 1 && e.t >= kernel.startT && e.t <= kernel.endT)
      offsets.set(e.text, e.t - kernel.startT);
  }
  return offsets;
}

describe('zero-perturbation kernel breakdown, quiet against verbose (real QEMU)', () => {
  it("places the kernel stage's events alike with and without quiet, apart from the console's own cost", async () => {
    // Interleaved, three of each: single boots under TCG differ by ±15%, which would swamp the comparison.
    const quietBoots: Array<Awaited<ReturnType<typeof boot>>> = [];
    const verboseBoots: Array<Awaited<ReturnType<typeof boot>>> = [];
    for (let i = 0; i < 3; i++) {
      quietBoots.push(await boot('console=ttyS0 quiet'));
      verboseBoots.push(await boot('console=ttyS0'));
    }
    expect(hypervisorsMentioning(TEST_CACHE_DIR)).toEqual([]);
    const quiet = quietBoots[0]!;
    const verbose = verboseBoots[0]!;

    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const medianOffsets = (boots: typeof quietBoots) => {
      const maps = boots.map((b) => kernelEventOffsets(b));
      const texts = [...maps[0]!.keys()].filter((text) => maps.every((m) => m.has(text)));
      return new Map(texts.map((text) => [text, median(maps.map((m) => m.get(text)!))]));
    };
    const q = medianOffsets(quietBoots);
    const v = medianOffsets(verboseBoots);
    const common = [...q.keys()].filter((text) => v.has(text));
    expect(common.length).toBeGreaterThan(150);

    // What the console had cost by each record: kernel bytes printed before it, at the measured cost per byte.
    // The measure step's own figure: it counts console lines before the log dump only, since the dump is read in 2 ms
    // batches and its lines share arrival times.
    const usPerByte = verbose.m.console['kernel']!.usPerByte!;
    expect(usPerByte).toBeGreaterThan(0);
    const kernelStart = verbose.m.stages.find((s) => s.name === 'kernel')!.startT;
    const printk = verbose.trace.lines.filter((l) => /^\[\s*\d+\.\d+\]/.test(l.text));
    const costBefore = (offset: number) =>
      (printk.filter((l) => l.t - kernelStart < offset).reduce((sum, l) => sum + Buffer.byteLength(l.text) + 2, 0) *
        usPerByte) /
      1000;

    const residual = median(common.map((text) => v.get(text)! - q.get(text)! - costBefore(v.get(text)!)));
    const quietKernel = median(quietBoots.map((b) => b.m.stages.find((s) => s.name === 'kernel')!.ms));

    // The margin is the noise of this machine at this moment, measured on the same boots: how far apart two boots of
    // the SAME command line place the same records (median shift over the common records, the largest of the six
    // same-command pairs). An idle machine gives a few percent of the kernel stage; a loaded one (other QEMUs on both
    // cores) several times that, and a fixed margin would then fail a correct product. The residual compares medians
    // of three, so it is held to 1.5x the largest single-pair shift: for boots that differ only by chance, the residual
    // passes that about once in a thousand runs or less.
    const sameCommandShift = (boots: typeof quietBoots) => {
      const maps = boots.map((b) => kernelEventOffsets(b));
      const shifts: number[] = [];
      for (let i = 0; i < maps.length; i++)
        for (let j = i + 1; j < maps.length; j++) {
          const both = common.filter((text) => maps[i]!.has(text) && maps[j]!.has(text));
          shifts.push(Math.abs(median(both.map((text) => maps[i]!.get(text)! - maps[j]!.get(text)!))));
        }
      return Math.max(...shifts);
    };
    const noise = Math.max(sameCommandShift(quietBoots), sameCommandShift(verboseBoots));
    // What the console cost by the middle record: left in, the residual would be about this large.
    const consoleCost = median(common.map((text) => costBefore(v.get(text)!)));
    process.stderr.write(
      `quiet vs verbose: ${common.length} common kernel records, median residual ${residual.toFixed(1)} ms, same-command noise ${noise.toFixed(1)} ms, console cost by the median record ${consoleCost.toFixed(1)} ms (${consoleCost > 3 * noise ? 'stands out of the noise: checked' : 'within the noise: not checked'}), quiet kernel ${quietKernel.toFixed(0)} ms\n`,
    );
    expect(Math.abs(residual)).toBeLessThanOrEqual(1.5 * noise);
    // Subtracting the console's cost must bring verbose closer to quiet than leaving it in. Machine-dependent: this
    // can only be told when the cost stands out of the noise (on an idle machine it does, several times over); the
    // line above says which case ran.
    const raw = median(common.map((text) => v.get(text)! - q.get(text)!));
    if (consoleCost > 3 * noise) expect(Math.abs(residual)).toBeLessThan(Math.abs(raw));
    // The console's cost is named in the verbose boot's hints and only there.
    const consoleHint = verbose.m.hints.find((h) => h.id === 'serial-console');
    expect(consoleHint?.evidence).toMatch(/kernel lines \(\d+ bytes\) on the serial console/);
    expect(quiet.m.hints.map((h) => h.id)).not.toContain('serial-console');
  }, 300_000);
});
