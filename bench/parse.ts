/**
 * Parse throughput (issue #9, 3): the measure step on real captured initcall_debug boots (test/fixtures/boots), with
 * the kernel log replicated to 50, 100 and 200 MB. The replicas model a guest that ran for a long time before its log
 * was dumped: each copy is a real boot's log moved later in guest time, and the dump and exit are moved after them,
 * so the first boot's stages are unchanged and every figure can be checked against the unreplicated boot.
 *
 * Two paths, each size in a fresh process so that peak RSS (getrusage maxrss) belongs to that run alone:
 * - slurp: the trace as runPass keeps it (every line in memory), then measurePass;
 * - stream: the console bytes in 64 KiB chunks into StreamingMeasure.pushChunk (which splits them into lines as
 *   ConsoleSplitter does, a chunk at a time), nothing kept.
 * MB/s counts console bytes (text + newline) over the time spent measuring (splitting included for stream).
 *
 *   npx tsx bench/parse.ts [--quick]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Marker } from '../src/agent/protocol.js';
import type { BootTrace, ConsoleLine } from '../src/boot/types.js';
import { measurePass } from '../src/measure/measure-pass.js';
import { StreamingMeasure } from '../src/measure/stream.js';
import { note, quick, repo, table, writeResult } from './lib.js';

const MB = 1e6;
const SIZES_MB = quick ? [2, 5] : [50, 100, 200];
const FIXTURES = ['cloud-initcalls-pc', 'cloud-initcalls-microvm', 'cloud-initcalls-pc-tuned'];

function load(name: string): BootTrace {
  return (JSON.parse(readFileSync(join(repo, 'test', 'fixtures', 'boots', `${name}.json`), 'utf8')) as { trace: BootTrace }).trace;
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
  return { records, spanMs: Math.ceil(Math.max(...records.map((r) => r.guestMs))) + 1000, bytes: trace.lines.slice(begin + 1, end).reduce((n, l) => n + Buffer.byteLength(l.text) + 1, 0) };
}

function recordLine(r: Dump['records'][number], offsetMs: number): string {
  const us = Math.round((r.guestMs + offsetMs) * 1000);
  return `${r.prefix}[${String(Math.floor(us / 1e6)).padStart(5)}.${String(us % 1e6).padStart(6, '0')}] ${r.text}`;
}

/** The base boot with copies of real logs appended to its dump until the console holds `targetBytes`. */
function* synthetic(targetBytes: number): Generator<{ lines: ConsoleLine[] } | { chunk: string; t: number }, BootTrace, void> {
  const base = load(FIXTURES[0]!);
  const dumps = FIXTURES.map((f) => dumpOf(load(f)));
  const begin = base.lines.findIndex((l) => l.text.startsWith(Marker.dmesgBegin));
  const end = base.lines.findIndex((l) => l.text.startsWith(Marker.dmesgEnd));
  const baseBytes = base.lines.reduce((n, l) => n + Buffer.byteLength(l.text) + 1, 0);
  const copies: number[] = [];
  let bytes = baseBytes;
  let shiftMs = dumps[0]!.spanMs;
  for (let k = 0; bytes < targetBytes; k++) {
    const d = (k + 1) % dumps.length;
    copies.push(d);
    bytes += dumps[d]!.bytes;
    shiftMs += dumps[d]!.spanMs;
  }
  // The dump and everything after it happen once the (longer) log has been written.
  const moved = (l: ConsoleLine) => ({ t: l.t + shiftMs, text: l.text });
  yield { lines: base.lines.slice(0, end).map((l, i) => (i >= begin ? moved(l) : l)) };
  let offset = dumps[0]!.spanMs;
  const dumpT = base.lines[begin]!.t + shiftMs;
  for (const d of copies) {
    const dump = dumps[d]!;
    yield { chunk: `${dump.records.map((r) => recordLine(r, offset)).join('\n')}\n`, t: dumpT };
    offset += dump.spanMs;
  }
  yield { lines: base.lines.slice(end).map(moved) };
  return { ...base, lines: [], exitT: (base.exitT ?? 0) + shiftMs };
}

const context = { machine: 'pc' as const, cmdline: 'console=ttyS0 quiet initcall_debug log_buf_len=4M panic=-1' };

interface ChildResult {
  mode: 'slurp' | 'stream';
  bytes: number;
  measureMs: number;
  maxRssMiB: number;
  kernelMs: number | undefined;
  totalMs: number | undefined;
  events: number;
  initcalls: number;
}

function child(mode: 'slurp' | 'stream', targetMb: number): ChildResult {
  const gen = synthetic(targetMb * MB);
  let bytes = 0;
  let measureNs = 0n;
  let trace: BootTrace;
  let result;
  if (mode === 'slurp') {
    const lines: ConsoleLine[] = [];
    let step = gen.next();
    while (!step.done) {
      const part = step.value;
      if ('lines' in part) lines.push(...part.lines);
      else for (const text of part.chunk.slice(0, -1).split('\n')) lines.push({ t: part.t, text });
      step = gen.next();
    }
    trace = { ...step.value, lines };
    for (const l of lines) bytes += Buffer.byteLength(l.text) + 1;
    const t0 = process.hrtime.bigint();
    result = measurePass(trace, [], undefined, context);
    measureNs = process.hrtime.bigint() - t0;
  } else {
    const measure = new StreamingMeasure([], undefined, context);
    let step = gen.next();
    while (!step.done) {
      const part = step.value;
      const t0 = process.hrtime.bigint();
      if ('lines' in part) for (const l of part.lines) measure.pushChunk(Buffer.from(`${l.text}\n`), l.t);
      else {
        const buffer = Buffer.from(part.chunk);
        for (let i = 0; i < buffer.length; i += 65536) measure.pushChunk(buffer.subarray(i, i + 65536), part.t);
      }
      measureNs += process.hrtime.bigint() - t0;
      step = gen.next();
    }
    const t0 = process.hrtime.bigint();
    measure.endChunks();
    result = measure.finish(step.value);
    measureNs += process.hrtime.bigint() - t0;
    bytes = measure.bytes;
  }
  return {
    mode,
    bytes,
    measureMs: Number(measureNs) / 1e6,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    kernelMs: result.stages.find((s) => s.name === 'kernel')?.ms,
    totalMs: result.stages.find((s) => s.name === 'total')?.ms,
    events: result.events.length,
    initcalls: result.initcalls.length,
  };
}

const childArg = process.argv.indexOf('--child');
if (childArg > 0) {
  const mode = process.argv[childArg + 1] as 'slurp' | 'stream';
  const mb = Number(process.argv[childArg + 2]);
  process.stdout.write(JSON.stringify(child(mode, mb)));
} else {
  const base = measurePass(load(FIXTURES[0]!), [], undefined, context);
  const runs: ChildResult[] = [];
  for (const mb of SIZES_MB) {
    for (const mode of ['stream', 'slurp'] as const) {
      note(`parse: ${mode} ${mb} MB`);
      // The stream path runs with a small heap: V8 grows a large one lazily with garbage, which would measure the
      // collector's laziness rather than what the path keeps. The slurp path needs the room.
      const heap = mode === 'stream' ? '--max-old-space-size=128' : '--max-old-space-size=12000';
      const out = spawnSync(process.execPath, [heap, '--import', 'tsx', join(repo, 'bench', 'parse.ts'), '--child', mode, String(mb)], {
        cwd: repo,
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      if (out.status !== 0) throw new Error(`${mode} ${mb} MB failed: ${out.stderr.slice(-2000)}`);
      runs.push(JSON.parse(out.stdout) as ChildResult);
    }
  }
  const baseKernel = base.stages.find((s) => s.name === 'kernel')?.ms;
  console.log(`\nParse throughput: measure step on replicated initcall_debug boots (first boot's kernel stage ${baseKernel?.toFixed(1)} ms)`);
  console.log(
    table(
      ['path', 'console', 'time', 'MB/s', 'peak RSS', 'events kept', 'kernel stage'],
      runs.map((r) => [
        r.mode,
        `${(r.bytes / MB).toFixed(0)} MB`,
        `${(r.measureMs / 1000).toFixed(2)} s`,
        (r.bytes / MB / (r.measureMs / 1000)).toFixed(0),
        `${r.maxRssMiB.toFixed(0)} MiB`,
        String(r.events),
        r.kernelMs === baseKernel ? 'same' : `${r.kernelMs?.toFixed(1)} ms (≠)`,
      ]),
    ),
  );
  const stream = runs.filter((r) => r.mode === 'stream');
  const rssGrowth = stream.at(-1)!.maxRssMiB - stream[0]!.maxRssMiB;
  const minStreamMbps = Math.min(...stream.map((r) => r.bytes / MB / (r.measureMs / 1000)));
  console.log(`stream: ≥ ${minStreamMbps.toFixed(0)} MB/s (target ≥ 100), peak RSS grows ${rssGrowth.toFixed(0)} MiB from the smallest to the largest log`);
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
