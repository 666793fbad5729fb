/**
 * Captures a real boot as a test fixture: the same QEMU command line and console capture that boot-budget uses,
 * written as JSON with a note on how it was made. Parser tests run on these, never on invented logs.
 *
 *   npx tsx scripts/capture-trace.ts OUT.json KERNEL INITRD "CMDLINE" "NOTE" [machine] [timeout-ms]
 */
import { writeFile } from 'node:fs/promises';
import { runPass } from '../src/boot/pass-runner.js';
import { qemuBackend } from '../src/boot/qemu.js';
import type { Machine } from '../src/scenario/types.js';

const [out, kernel, initrd, cmdline, note, machine = 'pc', timeout = '60000'] = process.argv.slice(2);
if (!out || !kernel || !initrd || cmdline === undefined || !note) {
  process.stderr.write('usage: capture-trace.ts OUT.json KERNEL INITRD "CMDLINE" "NOTE" [machine] [timeout-ms]\n');
  process.exit(2);
}
const { binary, version } = await qemuBackend.detect();
const command = qemuBackend.command(binary, {
  kernel,
  initrd,
  cmdline,
  cpus: 1,
  memoryMiB: 256,
  machine: machine as Machine,
  accel: 'tcg',
});
const trace = await runPass(command, { accel: 'tcg', timeoutMs: Number(timeout) });
const fixture = {
  captured: {
    how: note,
    tool: "scripts/capture-trace.ts (boot-budget pass runner: stdio pipe, host time of each line's first byte)",
    qemu: version,
    date: new Date().toISOString().slice(0, 10),
  },
  trace: { ...trace, argv: trace.argv.map((a) => a.replace(/^\/.*\/(vmlinuz|busybox-)/, '$1')) },
};
await writeFile(out, `${JSON.stringify(fixture, null, 1)}\n`);
process.stderr.write(`${out}: ${trace.lines.length} lines, outcome ${trace.outcome.kind}, reached ${trace.reached}\n`);
