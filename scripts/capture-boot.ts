/**
 * Captures a real boot as a test fixture, on the path a `boot-budget run` pass takes: the scenario is loaded and its
 * artifacts resolved by the product (kernel, busybox initramfs with the agent, a systemd image with its ready unit, a
 * whole disk image, firmware), the QEMU command is the one prepareBoot builds, and runPass captures the console through
 * its FIFO with each line stamped at its first byte. Only the accelerator is fixed to TCG, as every boot on this
 * project's machines ends up there. The fixture records the scenario text, the command line, the firmware, the host
 * and its load average before and after, so a test can say what shape of boot it reads and how far to trust its times.
 *
 *   npx tsx scripts/capture-boot.ts SCENARIO.yaml OUT.json "NOTE" [--cache-dir DIR]
 *
 * The scenarios of today's fixtures are in test/fixtures/boots/scenarios/; the NOTE says why the boot is shaped as it
 * is (what a test needs from it); everything else is recorded here.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release } from 'node:os';
import { parseArgs } from 'node:util';
import { defaultCacheDir } from '../src/artifacts/cache-dir.js';
import { runPass } from '../src/boot/pass-runner.js';
import { qemuBackend } from '../src/boot/qemu.js';
import { prepareBoot } from '../src/core/passes.js';
import { passTimeoutMs } from '../src/core/run-scenarios.js';
import { loadScenarioFile } from '../src/scenario/load.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'cache-dir': { type: 'string' } } });
const [scenarioFile, out, note] = positionals;
if (!scenarioFile || !out || !note) {
  process.stderr.write('usage: capture-boot.ts SCENARIO.yaml OUT.json "NOTE" [--cache-dir DIR]\n');
  process.exit(2);
}
const scenario = await loadScenarioFile(scenarioFile, process.cwd(), { allowOutside: true });
const cacheDir = values['cache-dir'] ?? defaultCacheDir();
const { binary, version } = await qemuBackend.detect();
const prepared = await prepareBoot(scenario, qemuBackend, binary, 'tcg', cacheDir, {
  cacheDir,
  log: (message) => process.stderr.write(`${message}\n`),
});
const readyRegex = scenario.ready.kind === 'regex' ? scenario.ready.regex : undefined;
const timeoutMs = passTimeoutMs(scenario, prepared.init);
const loadBefore = loadavg()[0]!;
const trace = await runPass(prepared.command, { accel: 'tcg', timeoutMs, readyRegex });
const loadAfter = loadavg()[0]!;
prepared.command.release?.();

// Paths of this machine's files say nothing to a reader; the file names (with their content hashes) stay. Only paths
// that exist here are shortened: `root=/dev/nvme0n1` names a device in the guest.
const portable = (arg: string) =>
  arg.replace(/(^|[=,])(\/[^,]*\/([^/,]+))/g, (whole, lead: string, path: string, name: string) =>
    existsSync(path) ? `${lead}${name}` : whole,
  );
const fixture = {
  captured: {
    how: note,
    tool: 'scripts/capture-boot.ts: the scenario below through prepareBoot and runPass (console on a FIFO, each line stamped with the host time of its first byte), accelerator TCG',
    scenario: await readFile(scenarioFile, 'utf8'),
    kernel: prepared.kernel,
    rootfs: prepared.rootfs,
    firmware: prepared.firmware,
    ...(prepared.init ? { init: prepared.init } : {}),
    cmdline: prepared.command.cmdline,
    qemu: version,
    host: `${cpus().length} cores, Linux ${release()}`,
    loadAverage: `${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after (1-minute)`,
    date: new Date().toISOString().slice(0, 10),
  },
  trace: { ...trace, argv: trace.argv.map(portable) },
};
await writeFile(out, `${JSON.stringify(fixture, null, 1)}\n`);
process.stderr.write(`${out}: ${trace.lines.length} lines, outcome ${trace.outcome.kind}, reached ${trace.reached}\n`);
