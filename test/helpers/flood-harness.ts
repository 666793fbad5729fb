/**
 * A console flood without a guest: feeds `FLOOD_MB` of `FLOOD_LINE` lines through the real ConsoleSplitter, in
 * QEMU-sized chunks, between the init and ready markers of a captured boot, then measures the pass. Run as its own
 * process so that its peak RSS (VmHWM) is the capture's alone; prints one JSON line. Used by test/unit/fuzz-flood.
 */
import { readFileSync } from 'node:fs';
import { ConsoleSplitter } from '../../src/boot/console.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { loadBootFixture } from './fixtures.js';

const floodBytes = Number(process.env.FLOOD_MB ?? '220') * 1e6;
// FLOOD_NEWLINE=0: one endless line, as from a guest that never prints a newline; the guest's next echo ends it.
const line = `${process.env.FLOOD_LINE ?? 'y'}${process.env.FLOOD_NEWLINE === '0' ? '' : '\n'}`;
const { trace } = loadBootFixture('cloud-quiet-sleep1');
const readyIndex = trace.lines.findIndex((l) => l.text === 'boot-budget:ready');
const initT = trace.lines[0]!.t;
const readyT = trace.lines[readyIndex]!.t;

const started = performance.now();
const splitter = new ConsoleSplitter();
const feed = (text: string, t: number) => splitter.push(Buffer.from(`${text}\n`), t);
for (const l of trace.lines.slice(0, readyIndex)) feed(l.text, l.t);
const chunk = Buffer.from(line.repeat(Math.ceil(65_536 / line.length)));
const chunks = Math.ceil(floodBytes / chunk.length);
for (let i = 0; i < chunks; i++) splitter.push(chunk, initT + ((readyT - initT) * i) / chunks);
if (process.env.FLOOD_NEWLINE === '0') splitter.push(Buffer.from('\n'), readyT);
for (const l of trace.lines.slice(readyIndex)) feed(l.text, l.t);
splitter.end();
const measured = measurePass({ ...trace, lines: splitter.lines, truncatedBytes: splitter.truncatedBytes }, []);
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
process.stdout.write(
  `${JSON.stringify({
    fedBytes: chunks * chunk.length,
    keptLines: splitter.lines.length,
    truncatedBytes: splitter.truncatedBytes,
    lastLine: splitter.lines[splitter.lines.length - 1]?.text,
    stages: Object.fromEntries(measured.stages.map((s) => [s.name, s.ms])),
    peakRssMiB: Number(hwm) / 1024,
    ms: Math.round(performance.now() - started),
  })}\n`,
);
