import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { Marker } from '../agent/protocol.js';
import { ConsoleSplitter, consoleLimitBytes } from './console.js';
import { openFifoChannel, type FifoChannel } from './fifo.js';
import { advanceLiveStage, PANIC_PATTERN, withoutPrintkTime, type LiveStage } from './live-stage.js';
import { killProcessGroup, trackProcessGroup, withParentDeathSignal } from './processes.js';
import type { Accel } from '../scenario/types.js';
import type { BootTrace, ConsoleLine, DoorbellMark, HypervisorCommand, PassOutcome } from './types.js';

export interface PassOptions {
  accel: Accel;
  timeoutMs: number;
  readyRegex?: RegExp;
  onStage?: (stage: LiveStage) => void;
  /** Every console line as it is split off, with its host time; the streaming measure step is fed from here. */
  onLine?: (line: ConsoleLine) => void;
  /**
   * False when `onLine` consumes the console (the core's passes): the trace then carries no lines, and a pass costs
   * memory for what the measure step keeps, not for every line. Captures and probes keep them (the default).
   */
  keepLines?: boolean;
  /** The process.hrtime.bigint() that line times count from; bench/latency.ts compares it with a writer's clock. */
  onSpawn?: (startNs: bigint) => void;
  /**
   * End the pass as `stalled` when the console has shown nothing past the firmware by then: a KVM that hangs every
   * kernel shows no kernel line at all, and waiting for the full timeout only delays the fallback to TCG.
   */
  stallMs?: number;
}

const STDERR_TAIL_BYTES = 4096;

/**
 * Once the agent has dumped the log, the guest only has to power off. One that does not (a machine type whose reboot
 * does not end the VM) is killed after this grace period rather than at the full timeout; the boot is still measured,
 * without a shutdown stage.
 */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * While the agent dumps the kernel log, the console is read at most this often. QEMU writes the serial console one
 * byte per write(), so reading as it comes costs a wakeup per byte: ~24,000 of them for a quiet boot's dump, most of
 * boot-budget's own CPU per pass. The dump's lines carry the guest's timestamps, so their host times do not matter;
 * the one that does, the dump's end (where `shutdown` starts), is stamped at most this late.
 */
export const DUMP_READ_INTERVAL_MS = 2;

/** How long after the hypervisor's exit its output FIFOs may take to reach end-of-file before the pass ends anyway. */
const FIFO_DRAIN_MS = 1000;

interface PipeHandle {
  readStop(): number;
  readStart(): number;
}

/**
 * Stops reading a pipe for `ms`, so that what the writer sends meanwhile arrives as one read. stream.pause() is no use
 * here: libuv goes on reading into the stream's buffer, one wakeup per byte, until the buffer is full. This uses the
 * stream's libuv handle (`_handle`, present on Node 20 and 24); without one, reads simply go on as before.
 */
function holdReads(stream: Readable, ms: number): void {
  const handle = (stream as unknown as { _handle?: Partial<PipeHandle> | null })._handle;
  if (!handle || typeof handle.readStop !== 'function' || typeof handle.readStart !== 'function') return;
  if (handle.readStop() !== 0) return;
  setTimeout(() => {
    // The handle is gone once the stream is destroyed (the pass ended meanwhile); there is nothing left to read.
    if (!stream.destroyed && (stream as unknown as { _handle?: unknown })._handle === handle) handle.readStart!();
  }, ms);
}

function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Boots once and records the console with host timestamps. The hypervisor runs in its own process group so that a
 * timeout, a panic or a signal to boot-budget kills everything it started, and the promise settles only after the
 * process is gone.
 */
export async function runPass(command: HypervisorCommand, options: PassOptions): Promise<BootTrace> {
  // The console and a doorbell on its own channel need their FIFOs open before the spawn, so the child inherits them.
  const consoleFifo = await openFifoChannel('console');
  let doorbellFifo: FifoChannel | undefined;
  try {
    doorbellFifo = command.doorbell?.channel === 'fd3' ? await openFifoChannel('doorbell') : undefined;
    return await runPassWith(command, options, consoleFifo, doorbellFifo);
  } finally {
    doorbellFifo?.release();
    consoleFifo.release();
  }
}

function runPassWith(
  command: HypervisorCommand,
  options: PassOptions,
  consoleFifo: FifoChannel,
  doorbellFifo: FifoChannel | undefined,
): Promise<BootTrace> {
  return new Promise((resolve) => {
    let stage: LiveStage = 'firmware';
    let outcome: PassOutcome | null = null;
    let stderrTail = '';
    const argv = [command.file, ...command.args];

    const start = process.hrtime.bigint();
    const spawned = withParentDeathSignal(command.file, command.args);
    const child = spawn(spawned.file, spawned.args, {
      detached: true,
      stdio: doorbellFifo
        ? ['ignore', consoleFifo.writeFd, 'pipe', doorbellFifo.writeFd]
        : ['ignore', consoleFifo.writeFd, 'pipe'],
    });
    const untrack = trackProcessGroup(child);
    options.onSpawn?.(start);
    consoleFifo.afterSpawn();
    doorbellFifo?.afterSpawn();

    const doorbell = command.doorbell;
    const rings: DoorbellMark[] = [];
    let doorbellDone: Promise<void> = Promise.resolve();
    if (doorbellFifo && doorbell?.channel === 'fd3') {
      doorbellFifo.reader.on('data', (chunk: Buffer) => rings.push(...doorbell.decode(chunk, msSince(start))));
      doorbellDone = doorbellFifo.done;
    }
    // Hypervisors that log doorbell rings on stderr get those lines stamped like console lines.
    const stderrLines =
      doorbell?.channel === 'stderr' ? new ConsoleSplitter((line) => rings.push(...doorbell.decode(line))) : undefined;

    let inDump = false;
    const splitter = new ConsoleSplitter(
      (line) => {
        if (doorbell?.channel === 'stdout') rings.push(...doorbell.decode(line));
        if (line.text.startsWith(Marker.dmesgBegin)) inDump = true;
        else if (line.text.startsWith(Marker.dmesgEnd)) inDump = false;
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
          if (stage === 'ready') {
            // What a guest prints after ready (a systemd image's unit times, read one unit at a time from the manager:
            // 20 s under TCG on a loaded host) is not part of the boot; it gets a timeout of its own.
            clearTimeout(timer);
            timer = setTimeout(expire(options.timeoutMs), options.timeoutMs);
          }
          if (stage === 'shutdown') {
            clearTimeout(timer);
            timer = setTimeout(expire(SHUTDOWN_GRACE_MS), SHUTDOWN_GRACE_MS);
          }
        }
      },
      consoleLimitBytes(),
      options.keepLines ?? true,
    );

    const expire = (afterMs: number) => () => {
      if (outcome === null) outcome = { kind: 'timeout', afterMs };
      killProcessGroup(child);
    };
    let timer = setTimeout(expire(options.timeoutMs), options.timeoutMs);
    const stallMs = options.stallMs;
    const stallTimer =
      stallMs !== undefined && stallMs < options.timeoutMs
        ? setTimeout(() => {
            if (stage !== 'firmware' || outcome !== null) return;
            outcome = { kind: 'stalled', afterMs: stallMs };
            killProcessGroup(child);
          }, stallMs)
        : undefined;

    const stdout = consoleFifo.reader;
    stdout.on('data', (chunk: Buffer) => {
      splitter.push(chunk, msSince(start));
      if (inDump) holdReads(stdout, DUMP_READ_INTERVAL_MS);
    });
    // stderr is 'pipe' above; the stdio array's type just cannot say so once fd 3 is optional.
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
    // 'close' waits for stderr to drain as well as for the exit.
    child.on('close', async (code, signal) => {
      clearTimeout(timer);
      clearTimeout(stallTimer);
      untrack();
      // The FIFOs' last bytes may still be in flight; their end-of-file comes once the hypervisor's write ends are
      // closed. Only then is the outcome an exit: a panic line may be among those last bytes.
      await Promise.race([
        Promise.all([consoleFifo.done, doorbellDone]),
        new Promise((done) => setTimeout(done, FIFO_DRAIN_MS)),
      ]);
      splitter.end();
      stderrLines?.end();
      outcome ??= { kind: 'exited', code, signal };
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
