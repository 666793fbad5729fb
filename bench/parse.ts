/**
 * Parse throughput: the measure step on real captured initcall_debug boots (test/fixtures/boots), with
 * the kernel log replicated to 50, 100 and 200 MB. The replicas model a guest that ran for a long time before its log
 * was dumped: each copy is a real boot's log moved later in guest time, and the dump and exit are moved after them,
 * so the first boot's stages are unchanged and every figure can be checked against the unreplicated boot.
 *
 * Two paths, each size in a fresh process so that peak RSS (getrusage maxrss) belongs to that run alone:
 * - stream: what a pass does: the console bytes in 64 KiB chunks through ConsoleSplitter (keeping no lines) into
 *   StreamingMeasure, then finish();
 * - whole: the first implementation, kept as the tests' oracle (test/helpers/measure-oracle.ts): every line in
 *   memory, every record an event. It shows what streaming saves.
 * MB/s counts console bytes (text + newline) over the time spent measuring (splitting included for stream).
 *
 *   npx tsx bench/parse.ts [--quick]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Marker } from '../src/agent/protocol.js';
import { ConsoleSplitter } from '../src/boot/console.js';
import type { BootTrace, ConsoleLine } from '../src/boot/types.js';
import { measurePass } from '../src/measure/measure-pass.js';
import { StreamingMeasure } from '../src/measure/stream.js';
import { loadBootFixture } from '../test/helpers/fixtures.js';
import { measureWhole } from '../test/helpers/measure-oracle.js';
import { median, note, quick, repo, table, writeResult } from './lib.js';

const MB = 1e6;
const SIZES_MB = process.env.PARSE_SIZES_MB
  ? process.env.PARSE_SIZES_MB.split(',').map(Number)
  : quick
    ? [2, 5]
    : [50, 100, 200];
const FIXTURES = ['cloud-initcalls-pc', 'cloud-initcalls-microvm', 'cloud-initcalls-pc-tuned'];

let baseBoot: BootTrace | undefined;

/** The boot every replica extends (FIXTURES[0]); stream children never need it, so it is read on first use. */
function baseTrace(): BootTrace {
  baseBoot ??= loadBootFixture(FIXTURES[0]!).trace;
  return baseBoot;
}

interface Dump {
  records: Array<{ prefix: string; guestMs: number; text: string }>;
  spanMs: number;
  bytes: number;
}

function dumpOf(trace: BootTrace): Dump {
  const begin = trace.lines.findIndex((l) => l.text.startsWith(Marker.dmesgBegin));
  const end = trace.lines.findIndex((l) => l.text.startsWith(Marker.dmesgEnd));
  const records = trace.lines.slice(begin + 1, end).flatMap((l) => {
    const m = /^(<\d+>)?\[\s*(\d+)\.(\d{6})\]\s?(.*)$/.exec(l.text);
    return m ? [{ prefix: m[1] ?? '', guestMs: Number(m[2]) * 1000 + Number(m[3]) / 1000, text: m[4]! }] : [];
  });
  return {
    records,
    spanMs: Math.ceil(Math.max(...records.map((r) => r.guestMs))) + 1000,
    bytes: trace.lines.slice(begin + 1, end).reduce((n, l) => n + Buffer.byteLength(l.text) + 1, 0),
  };
}

function recordLine(r: Dump['records'][number], offsetMs: number): string {
  const us = Math.round((r.guestMs + offsetMs) * 1000);
  return `${r.prefix}[${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, '0')}] ${r.text}`;
}

/** A replicated pass: the lines before the replicas and after them (with their host times), the replicas on disk. */
interface Replicated {
  head: ConsoleLine[];
  /** Console text of the replicated log records, all arriving at the dump's time. */
  file: string;
  dumpT: number;
  tail: ConsoleLine[];
  end: Pick<BootTrace, 'exitT' | 'outcome' | 'doorbell'>;
}

/**
 * The base boot with copies of real logs appended to its dump until the console holds `targetBytes`. The copies go
 * to a file, so that the measured process reads them as a pass reads its console, without generating them.
 */
function replicate(targetBytes: number, dir: string): Replicated {
  const base = baseTrace();
  const dumps = FIXTURES.map((f, i) => dumpOf(i === 0 ? base : loadBootFixture(f).trace));
  const begin = base.lines.findIndex((l) => l.text.startsWith(Marker.dmesgBegin));
  const end = base.lines.findIndex((l) => l.text.startsWith(Marker.dmesgEnd));
  const file = join(dir, `replicas-${targetBytes}.log`);
  const fd = openSync(file, 'w');
  let bytes = base.lines.reduce((n, l) => n + Buffer.byteLength(l.text) + 1, 0);
  let offset = dumps[0]!.spanMs;
  try {
    for (let k = 0; bytes < targetBytes; k++) {
      const dump = dumps[(k + 1) % dumps.length]!;
      const text = `${dump.records.map((r) => recordLine(r, offset)).join('\n')}\n`;
      writeSync(fd, text);
      bytes += Buffer.byteLength(text);
      offset += dump.spanMs;
    }
  } finally {
    closeSync(fd);
  }
  // The dump and everything after it happen once the (longer) log has been written.
  const shiftMs = offset;
  const moved = (l: ConsoleLine) => ({ t: l.t + shiftMs, text: l.text });
  return {
    head: base.lines.slice(0, end).map((l, i) => (i >= begin ? moved(l) : l)),
    file,
    dumpT: base.lines[begin]!.t + shiftMs,
    tail: base.lines.slice(end).map(moved),
    end: { exitT: (base.exitT ?? 0) + shiftMs, outcome: base.outcome },
  };
}

const context = { machine: 'pc' as const, cmdline: 'console=ttyS0 quiet initcall_debug log_buf_len=4M panic=-1' };

interface ChildResult {
  mode: 'whole' | 'stream';
  bytes: number;
  /** Median wall time over the repeats. */
  measureMs: number;
  allMs: number[];
  fastestMs: number;
  /** Median CPU time (user + system) of the process over the repeats: the GC's helper threads included. */
  cpuMs: number;
  maxRssMiB: number;
  kernelMs: number | undefined;
  totalMs: number | undefined;
  events: number;
  initcalls: number;
}

const CHUNK_BYTES = 65_536;

/** The replicas in console-sized chunks, read into one reused buffer. */
function* chunks(file: string): Generator<Buffer> {
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(CHUNK_BYTES);
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) yield buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Stream passes per size: this machine's wall times swing by a third between runs, so the median is reported. */
const STREAM_REPEATS = quick ? 1 : 3;

function measureOnce(mode: 'whole' | 'stream', replicated: Replicated) {
  const { head, file, dumpT, tail, end } = replicated;
  const lineBuffer = (l: ConsoleLine) => Buffer.from(`${l.text}\n`);
  let bytes = 0;
  let result;
  // Read before the clock starts: loading the fixture is not part of measuring.
  const whole = mode === 'whole' ? baseTrace() : undefined;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  if (whole) {
    // The first implementation's input: every line kept, as the pass runner's splitter keeps them.
    const splitter = new ConsoleSplitter(undefined, Infinity);
    for (const l of head) splitter.push(lineBuffer(l), l.t);
    for (const chunk of chunks(file)) splitter.push(chunk, dumpT);
    for (const l of tail) splitter.push(lineBuffer(l), l.t);
    splitter.end();
    for (const l of splitter.lines) bytes += Buffer.byteLength(l.text) + 1;
    result = measureWhole({ ...whole, ...end, lines: splitter.lines }, [], undefined, context);
  } else {
    const measure = new StreamingMeasure([], undefined, context);
    const splitter = new ConsoleSplitter((line) => measure.push(line), undefined, false);
    const feed = (chunk: Buffer, t: number) => {
      splitter.push(chunk, t);
      bytes += chunk.length;
    };
    for (const l of head) feed(lineBuffer(l), l.t);
    for (const chunk of chunks(file)) feed(chunk, dumpT);
    for (const l of tail) feed(lineBuffer(l), l.t);
    splitter.end();
    result = measure.finish(end);
  }
  const measureMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  return { bytes, measureMs, cpuMs: (cpu.user + cpu.system) / 1000, result };
}

function child(mode: 'whole' | 'stream', replicated: Replicated): ChildResult {
  const runs = Array.from({ length: mode === 'stream' ? STREAM_REPEATS : 1 }, () => measureOnce(mode, replicated));
  const byTime = [...runs].sort((a, b) => a.measureMs - b.measureMs);
  const { bytes, result } = runs[0]!;
  return {
    mode,
    bytes,
    measureMs: median(runs.map((r) => r.measureMs)),
    allMs: runs.map((r) => r.measureMs),
    cpuMs: median(runs.map((r) => r.cpuMs)),
    fastestMs: byTime[0]!.measureMs,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    kernelMs: result.stages.find((s) => s.name === 'kernel')?.ms,
    totalMs: result.stages.find((s) => s.name === 'total')?.ms,
    events: result.events.length,
    initcalls: result.initcalls.length,
  };
}

const childArg = process.argv.indexOf('--child');
if (childArg > 0) {
  const mode = process.argv[childArg + 1] as 'whole' | 'stream';
  const replicated = JSON.parse(readFileSync(process.argv[childArg + 2]!, 'utf8')) as Replicated;
  process.stdout.write(JSON.stringify(child(mode, replicated)));
} else {
  const base = measurePass(baseTrace(), [], undefined, context);
  const runs: ChildResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'boot-budget-bench-parse-'));
  try {
    for (const mb of SIZES_MB) {
      const described = join(dir, `replicated-${mb}.json`);
      writeFileSync(described, JSON.stringify(replicate(mb * MB, dir)));
      for (const mode of (process.env.PARSE_MODES ?? 'stream,whole').split(',') as Array<'stream' | 'whole'>) {
        note(`parse: ${mode} ${mb} MB`);
        // The stream path runs with a small heap: V8 grows a large one lazily with garbage, which would measure the
        // collector's laziness rather than what the path keeps. The whole path needs the room.
        const heap = mode === 'stream' ? '--max-old-space-size=128' : '--max-old-space-size=12000';
        const out = spawnSync(
          process.execPath,
          [
            heap,
            ...(process.env.PARSE_NODE_ARGS?.split(' ') ?? []),
            '--import',
            'tsx',
            join(repo, 'bench', 'parse.ts'),
            '--child',
            mode,
            described,
          ],
          {
            cwd: repo,
            encoding: 'utf8',
            maxBuffer: 1 << 20,
          },
        );
        if (out.status !== 0) throw new Error(`${mode} ${mb} MB failed: ${out.stderr.slice(-2000)}`);
        runs.push(JSON.parse(out.stdout) as ChildResult);
      }
      if (!process.env.PARSE_KEEP) rmSync(join(dir, `replicas-${mb * MB}.log`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const baseKernel = base.stages.find((s) => s.name === 'kernel')?.ms;
  console.log(
    `\nParse throughput: measure step on replicated initcall_debug boots (first boot's kernel stage ${baseKernel?.toFixed(1)} ms)`,
  );
  console.log(
    table(
      [
        'path',
        'console',
        'time (median)',
        'runs',
        'MB/s (median)',
        'MB/s per CPU s',
        'peak RSS',
        'events kept',
        'kernel stage',
      ],
      runs.map((r) => [
        r.mode,
        `${(r.bytes / MB).toFixed(0)} MB`,
        `${(r.measureMs / 1000).toFixed(2)} s`,
        r.allMs.map((ms) => (ms / 1000).toFixed(2)).join(' '),
        (r.bytes / MB / (r.measureMs / 1000)).toFixed(0),
        (r.bytes / MB / (r.cpuMs / 1000)).toFixed(0),
        `${r.maxRssMiB.toFixed(0)} MiB`,
        String(r.events),
        r.kernelMs === baseKernel ? 'same' : `${r.kernelMs?.toFixed(1)} ms (≠)`,
      ]),
    ),
  );
  const stream = runs.filter((r) => r.mode === 'stream');
  const rssGrowth = stream.at(-1)!.maxRssMiB - stream[0]!.maxRssMiB;
  const minStreamMbps = Math.min(...stream.map((r) => r.bytes / MB / (r.measureMs / 1000)));
  console.log(
    `stream: ≥ ${minStreamMbps.toFixed(0)} MB/s (target ≥ 100), peak RSS grows ${rssGrowth.toFixed(0)} MiB from the smallest to the largest log`,
  );
  const figures = {
    sizesMb: SIZES_MB,
    runs: runs.map((r) => ({ ...r, mbPerS: r.bytes / MB / (r.measureMs / 1000) })),
    stream: { minMbPerS: minStreamMbps, rssGrowthMiB: rssGrowth },
    target: { mbPerS: 100 },
    met: minStreamMbps >= 100,
    kernelStageUnchanged: runs.every((r) => r.kernelMs === baseKernel),
  };
  console.log(`written ${writeResult('parse', figures)}`);
}
