/**
 * Captures one real boot of a scenario as a test fixture: the artifacts boot-budget builds for it (a systemd image
 * with its ready unit, say), the QEMU command line and the console capture of a measured pass, written as JSON with a
 * note on how it was made. Parser tests run on these, never on invented logs.
 *
 *   npx tsx scripts/capture-scenario.ts SCENARIO.yaml OUT.json "NOTE" [--cache-dir DIR]
 */
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { prepareBoot } from '../src/core/passes.js';
import { SYSTEMD_TIMEOUT_MS } from '../src/core/run-scenarios.js';
import { runPass } from '../src/boot/pass-runner.js';
import { qemuBackend } from '../src/boot/qemu.js';
import { loadScenarioFile } from '../src/scenario/load.js';

const args = process.argv.slice(2);
const cacheAt = args.indexOf('--cache-dir');
const cacheDir = cacheAt >= 0 ? args.splice(cacheAt, 2)[1]! : join(homedir(), '.cache', 'boot-budget');
const [file, out, note] = args;
if (!file || !out || !note) {
  process.stderr.write('usage: capture-scenario.ts SCENARIO.yaml OUT.json "NOTE" [--cache-dir DIR]\n');
  process.exit(2);
}
const scenario = await loadScenarioFile(file, process.cwd(), { allowOutside: true });
const { binary, version } = await qemuBackend.detect();
const ctx = { cacheDir, log: (m: string) => process.stderr.write(`${m}\n`) };
const prepared = await prepareBoot(scenario, qemuBackend, binary, 'tcg', cacheDir, ctx);
const readyRegex = scenario.ready.kind === 'regex' ? scenario.ready.regex : undefined;
// As the core does: a systemd image without a timeout of its own gets the longer default.
const timeoutMs =
  prepared.init?.kind === 'systemd' && scenario.keyPos['timeout'] === undefined
    ? SYSTEMD_TIMEOUT_MS
    : scenario.timeoutMs;
const trace = await runPass(prepared.command, { accel: 'tcg', timeoutMs, readyRegex });
prepared.command.release?.();
const fixture = {
  captured: {
    how: note,
    tool: "scripts/capture-scenario.ts (boot-budget's artifacts and pass runner: stdio pipe, host time of each line's first byte)",
    kernel: prepared.kernel,
    rootfs: prepared.rootfs,
    qemu: version,
    date: new Date().toISOString().slice(0, 10),
  },
  trace: { ...trace, argv: trace.argv.map((a) => a.replace(/^\/.*\/(vmlinuz[^/]*|rootfs\.ext4)$/, '$1')) },
};
await writeFile(out, `${JSON.stringify(fixture, null, 1)}\n`);
process.stderr.write(`${out}: ${trace.lines.length} lines, outcome ${trace.outcome.kind}, reached ${trace.reached}\n`);
