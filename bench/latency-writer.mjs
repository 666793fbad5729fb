// Child of bench/latency.ts: writes `bench <i> <hrtime ns>` lines on stdout (runPass's console FIFO, as QEMU's -serial stdio), one
// byte per write as QEMU's serial backend does, stamping CLOCK_MONOTONIC (process.hrtime) just before the first byte.
// Plain JS so that no loader runs in the writer. Args: count, interval in ms.
import { writeSync } from 'node:fs';

const count = Number(process.argv[2] ?? 1000);
const intervalMs = Number(process.argv[3] ?? 2);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < count; i++) {
  // Irregular spacing, so that arrivals do not phase-lock with anything periodic in the reader.
  Atomics.wait(sleeper, 0, 0, intervalMs * (0.5 + Math.random()));
  const t = process.hrtime.bigint();
  const bytes = Buffer.from(`bench ${i} ${t}\n`);
  for (let j = 0; j < bytes.length; j++) writeSync(1, bytes, j, 1);
}
