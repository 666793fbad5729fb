import { spawn } from 'node:child_process';
import { ConsoleSplitter, consoleLimitBytes } from './console.js';
import { openFifoChannel, type FifoChannel } from './doorbell.js';
import { advanceLiveStage, PANIC_PATTERN, withoutPrintkTime, type LiveStage } from './live-stage.js';
import { killProcessGroup, trackProcessGroup } from './processes.js';
import type { Accel } from '../scenario/types.js';
import type { BootTrace, ConsoleLine, DoorbellMark, HypervisorCommand, PassOutcome } from './types.js';

export interface PassOptions {
  accel: Accel;
  timeoutMs: number;
  readyRegex?: RegExp;
  onStage?: (stage: LiveStage) => void;
  onLine?: (line: ConsoleLine) => void;
  /** The process.hrtime.bigint() that line times count from; bench/latency.ts compares it with a writer's clock. */
  onSpawn?: (startNs: bigint) => void;
}

const STDERR_TAIL_BYTES = 4096;

/**
 * Once the agent has dumped the log, the guest only has to power off. One that does not (a machine type whose reboot
 * does not end the VM) is killed after this grace period rather than at the full timeout; the boot is still measured,
 * without a shutdown stage.
 */
export const SHUTDOWN_GRACE_MS = 10_000;

function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Boots once and records the console with host timestamps. The hypervisor runs in its own process group so that a
 * timeout, a panic or a signal to boot-budget kills everything it started, and the promise settles only after the
 * process is gone.
 */
export async function runPass(command: HypervisorCommand, options: PassOptions): Promise<BootTrace> {
  // A doorbell on its own channel needs that channel open before the spawn, so the child inherits it.
  const fifo = command.doorbell?.channel === 'fd3' ? await openFifoChannel() : undefined;
  try {
    return await runPassWith(command, options, fifo);
  } finally {
    fifo?.release();
  }
}

function runPassWith(command: HypervisorCommand, options: PassOptions, fifo: FifoChannel | undefined): Promise<BootTrace> {
  return new Promise((resolve) => {
    let stage: LiveStage = 'firmware';
    let outcome: PassOutcome | null = null;
    let stderrTail = '';
    const argv = [command.file, ...command.args];

    const start = process.hrtime.bigint();
    const child = spawn(command.file, command.args, {
      detached: true,
      stdio: fifo ? ['ignore', 'pipe', 'pipe', fifo.writeFd] : ['ignore', 'pipe', 'pipe'],
    });
    const untrack = trackProcessGroup(child);
    options.onSpawn?.(start);
    fifo?.afterSpawn();

    const doorbell = command.doorbell;
    const rings: DoorbellMark[] = [];
    let fifoDone: Promise<void> = Promise.resolve();
    if (fifo && doorbell?.channel === 'fd3') {
      fifo.reader.on('data', (chunk: Buffer) => rings.push(...doorbell.decode(chunk, msSince(start))));
      fifoDone = new Promise((done) => fifo.reader.once('close', () => done()));
    }
    // Hypervisors that log doorbell rings on stderr get those lines stamped like console lines.
    const stderrLines = doorbell?.channel === 'stderr' ? new ConsoleSplitter((line) => rings.push(...doorbell.decode(line))) : undefined;

    const splitter = new ConsoleSplitter((line) => {
      if (doorbell?.channel === 'stdout') rings.push(...doorbell.decode(line));
      options.onLine?.(line);
      if (outcome === null && PANIC_PATTERN.test(line.text)) {
        outcome = { kind: 'panic', line: withoutPrintkTime(line.text) };
        killProcessGroup(child);
        return;
      }
      const next = advanceLiveStage(stage, line.text, options.readyRegex);
      if (next !== stage) {
        stage = next;
        options.onStage?.(stage);
        if (stage === 'shutdown') {
          clearTimeout(timer);
          timer = setTimeout(expire(SHUTDOWN_GRACE_MS), SHUTDOWN_GRACE_MS);
        }
      }
    }, consoleLimitBytes());

    const expire = (afterMs: number) => () => {
      if (outcome === null) outcome = { kind: 'timeout', afterMs };
      killProcessGroup(child);
    };
    let timer = setTimeout(expire(options.timeoutMs), options.timeoutMs);

    // Both are 'pipe' above; the stdio array's type just cannot say so once fd 3 is optional.
    child.stdout!.on('data', (chunk: Buffer) => splitter.push(chunk, msSince(start)));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderrLines?.push(chunk, msSince(start));
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });

    let exitT: number | null = null;
    child.on('exit', () => {
      exitT = msSince(start);
    });
    child.on('error', (error) => {
      outcome ??= { kind: 'spawn-failed', message: error.message };
    });
    // 'close' waits for stdio to drain as well as for the exit, so no console byte is lost.
    child.on('close', async (code, signal) => {
      clearTimeout(timer);
      untrack();
      splitter.end();
      stderrLines?.end();
      outcome ??= { kind: 'exited', code, signal };
      // The FIFO's last bytes may still be in flight; its end-of-file comes once the hypervisor's write end is closed.
      await Promise.race([fifoDone, new Promise((done) => setTimeout(done, 1000))]);
      resolve({
        accel: options.accel,
        argv,
        lines: splitter.lines,
        exitT,
        outcome,
        reached: stage,
        stderrTail: stderrTail.trim(),
        truncatedBytes: splitter.truncatedBytes,
        ...(doorbell ? { doorbell: rings.sort((a, b) => a.t - b.t) } : {}),
      });
    });
  });
}
