import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Marker } from '../../src/agent/protocol.js';
import type { BootTrace } from '../../src/boot/types.js';
import { ScenarioError } from '../../src/errors.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { parseBlameLine, parseStartupFinished, parseSystemdTimespan } from '../../src/measure/systemd/startup.js';
import { parsePrintk } from '../../src/measure/timeline.js';
import { parseDuration, parseMemory } from '../../src/scenario/duration.js';
import { checkScenarioFile } from '../../src/scenario/load.js';

// Property-based tests: random, bounded inputs to the loader and the log parsers. The loader may only ever answer
// with a scenario or ScenarioErrors; the parsers may not throw at all. Each case has a time bound. The run counts are
// fixed (and fast-check's seed is printed on failure), so README "Reliability" can state how many cases ran.

export const RUNS = {
  loaderText: 2000,
  loaderStructured: 2000,
  measurePass: 2000,
  lineParsers: 10_000,
  durations: 10_000,
} as const;
const CASE_BOUND_MS = 2_000;

const dir = mkdtempSync(join(tmpdir(), 'boot-budget-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Characters that steer YAML's parser into its corners: indicators, quotes, anchors, tabs, newlines. */
const yamlChars = fc.constantFrom(...'abcnrk:-?[]{},&*!|>\'"%@`#\t\n \\/.0123456789~=+\u0000\u00e9\u2028');
const yamlText = fc.oneof(
  fc.string({ unit: yamlChars, maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .array(
      fc.tuple(
        fc.nat({ max: 6 }),
        fc.constantFrom(
          'name',
          'kernel',
          'rootfs',
          'apt',
          'path',
          'busybox',
          'budgets',
          'stages',
          'run',
          '- name',
          'from',
          'to',
          '&a',
          '*a',
          '<<',
        ),
        fc.string({ unit: yamlChars, maxLength: 20 }),
      ),
      { maxLength: 30 },
    )
    .map((lines) => lines.map(([indent, key, value]) => `${' '.repeat(indent)}${key}: ${value}`).join('\n')),
);

const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    '400ms',
    '1.5s',
    '-1s',
    '0s',
    '60',
    '256M',
    '1.5M',
    '/x/',
    '/(/',
    '/a/g',
    'agent',
    'pc',
    'microvm',
    './bzImage',
    '/etc/passwd',
    '../../x',
  ),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
);
const scenarioLike = fc.record(
  {
    name: fc.oneof(fc.constantFrom('ok', 'a.b-c_d', ''), fc.string({ maxLength: 20 })),
    kernel: fc.oneof(
      fc.constant({ apt: 'linux-image-cloud-amd64' }),
      fc.record({ path: anyValue }),
      fc.record({ url: anyValue, sha256: anyValue }, { requiredKeys: [] }),
      fc.record({
        build: fc.record({ source: anyValue, config: anyValue, fragments: anyValue }, { requiredKeys: [] }),
      }),
      anyValue,
    ),
    rootfs: fc.oneof(
      fc.constant({ busybox: {} }),
      fc.record({ initramfs: anyValue, agent: anyValue }, { requiredKeys: [] }),
      fc.record({ disk: fc.record({ image: anyValue, format: anyValue }) }),
      anyValue,
    ),
    machine: anyValue,
    kvm: anyValue,
    cpus: anyValue,
    memory: anyValue,
    passes: anyValue,
    timeout: anyValue,
    ready: anyValue,
    run: anyValue,
    stages: fc.oneof(
      anyValue,
      fc.array(fc.record({ name: anyValue, from: anyValue, to: anyValue }, { requiredKeys: [] }), { maxLength: 3 }),
    ),
    budgets: fc.oneof(
      anyValue,
      fc.dictionary(fc.constantFrom('kernel', 'total', 'firmware', 'network', 'kernal'), anyValue, { maxKeys: 4 }),
    ),
  },
  { requiredKeys: [] },
);

let fileIndex = 0;
async function checkText(text: string): Promise<void> {
  const file = join(dir, `case-${fileIndex++}.yaml`);
  writeFileSync(file, text);
  const started = performance.now();
  const check = await checkScenarioFile(file, dir);
  expect(performance.now() - started).toBeLessThan(CASE_BOUND_MS);
  if (!check.ok) {
    expect(check.errors.length).toBeGreaterThan(0);
    for (const error of check.errors) {
      expect(error).toBeInstanceOf(ScenarioError);
      expect(error.line).toBeGreaterThanOrEqual(1);
      expect(error.line).toBeLessThanOrEqual(text.split('\n').length + 1);
    }
  }
  rmSync(file);
}

describe('fuzz: the scenario loader', () => {
  it(`answers ${RUNS.loaderText} random texts with a scenario or ScenarioErrors, in bounded time`, {
    timeout: 120_000,
  }, async () => {
    await fc.assert(fc.asyncProperty(yamlText, checkText), { numRuns: RUNS.loaderText });
  });

  it(`answers ${RUNS.loaderStructured} random scenario-shaped documents the same way`, {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        scenarioLike,
        fc.nat({ max: 2000 }),
        fc.string({ unit: yamlChars, maxLength: 3 }),
        async (doc, at, noise) => {
          const text = stringify(doc);
          // Half the documents get a few random characters spliced in, to land near-valid files on every error path.
          await checkText(
            at % 2 === 0
              ? text
              : `${text.slice(0, at % (text.length + 1))}${noise}${text.slice(at % (text.length + 1))}`,
          );
        },
      ),
      { numRuns: RUNS.loaderStructured },
    );
  });
});

// ───────────────────────────── log parsers ─────────────────────────────

const guestText = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    'Run /init as init process',
    'Freeing unused kernel image (initmem) memory: 2048K',
    'Linux version 6.1.0',
    'Kernel panic - not syncing: VFS',
    'Startup finished in 1.234s (kernel) + 2.5s (initrd) + 3min 2.1s (userspace) = 3min 5.8s.',
    'Reached target Multi-User System.',
    'i8042: PNP: No PS/2 controller found.',
  ),
  fc
    .tuple(
      fc.constantFrom('calling  ', 'initcall '),
      fc.stringMatching(/^[a-z_]{1,12}$/),
      fc.nat(),
      fc.integer({ min: -5, max: 5 }),
    )
    .map(([kind, name, usecs, ret]) =>
      kind === 'calling  '
        ? `calling  ${name}+0x0/0x50 @ 1`
        : `initcall ${name}+0x0/0x50 returned ${ret} after ${usecs} usecs`,
    ),
  fc
    .tuple(fc.double({ min: 0, max: 1e4, noNaN: true }), fc.string({ maxLength: 20 }))
    .map(([s, unit]) => `${s.toFixed(3)}s ${unit}.service`),
);
const printkLine = fc
  .tuple(fc.option(fc.nat({ max: 200 })), fc.nat({ max: 100_000 }), fc.stringMatching(/^\d{1,9}$/), guestText)
  .map(([prio, s, frac, text]) => `${prio === null ? '' : `<${prio}>`}[${String(s).padStart(5)}.${frac}] ${text}`);
const markerLine = fc.oneof(
  fc.constantFrom(...Object.values(Marker)),
  fc.tuple(fc.constantFrom(...Object.values(Marker)), fc.string({ maxLength: 20 })).map(([m, rest]) => `${m} ${rest}`),
);
const consoleText = fc.oneof(
  { weight: 3, arbitrary: printkLine },
  { weight: 2, arbitrary: markerLine },
  { weight: 3, arbitrary: guestText },
);

const trace = fc
  .record({
    times: fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { maxLength: 120 }),
    texts: fc.array(consoleText, { maxLength: 120 }),
    exitT: fc.option(fc.double({ min: 0, max: 2e6, noNaN: true })),
    sorted: fc.boolean(),
  })
  .map(({ times, texts, exitT, sorted }): BootTrace => {
    const ts = sorted ? [...times].sort((a, b) => a - b) : times;
    return {
      accel: 'tcg',
      argv: [],
      lines: texts.map((text, i) => ({ t: ts[i % Math.max(1, ts.length)] ?? i, text })),
      exitT,
      outcome: { kind: 'exited', code: 0, signal: null },
      stderrTail: '',
      reached: 'shutdown',
      truncatedBytes: 0,
    };
  });

const regexes = fc.option(fc.constantFrom(/login:/, /Reached target/, /boot-budget:ready/, /^$/, /.*/));

describe('fuzz: the log parsers', () => {
  it(`measure ${RUNS.measurePass} random console traces without throwing, in bounded time`, {
    timeout: 120_000,
  }, () => {
    fc.assert(
      fc.property(trace, regexes, (t, ready) => {
        const started = performance.now();
        // The shipped measure step, as a live pass feeds it.
        const measured = measurePass(
          t,
          [{ name: 'custom', from: /boot-budget:init/, to: /ready|Reached/, pos: { line: 1, column: 1 } }],
          ready ?? undefined,
        );
        for (const stage of measured.stages) if (stage.ms !== null) expect(Number.isNaN(stage.ms)).toBe(false);
        for (let i = 1; i < measured.events.length; i++)
          expect(measured.events[i]!.t).toBeGreaterThanOrEqual(measured.events[i - 1]!.t);
        expect(performance.now() - started).toBeLessThan(CASE_BOUND_MS);
      }),
      { numRuns: RUNS.measurePass },
    );
  });

  it(`parse ${RUNS.lineParsers} random lines (printk, systemd, blame) without throwing`, () => {
    fc.assert(
      fc.property(fc.oneof(consoleText, fc.string({ unit: 'binary', maxLength: 300 })), (line) => {
        parsePrintk(line);
        parseStartupFinished(line);
        parseBlameLine(line);
        parseSystemdTimespan(line);
      }),
      { numRuns: RUNS.lineParsers },
    );
  });

  it(`parse ${RUNS.durations} random durations and sizes to a number or an Error with a message`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.stringMatching(/^-?\d{0,30}(\.\d{0,5})?\s?(ms|s|us|µs|M|G|MiB|GiB|min|)$/),
          fc.string({ maxLength: 20 }),
        ),
        (text) => {
          for (const parse of [parseDuration, parseMemory]) {
            try {
              const value = parse(text);
              expect(Number.isFinite(value)).toBe(true);
              expect(value).toBeGreaterThanOrEqual(0);
            } catch (error) {
              expect(error).toBeInstanceOf(Error);
              expect((error as Error).message.length).toBeGreaterThan(10);
            }
          }
        },
      ),
      { numRuns: RUNS.durations },
    );
  });
});
