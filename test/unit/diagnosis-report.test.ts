import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/args.js';
import type { RunResults } from '../../src/judge/types.js';
import { judgeStages } from '../../src/judge/budgets.js';
import { alignmentSummary } from '../../src/judge/diagnosis.js';
import type { ScenarioResult } from '../../src/judge/types.js';
import { measurePass } from '../../src/measure/measure-pass.js';
import { ALWAYS_LISTED_STAGES } from '../../src/scenario/builtin-stages.js';
import { resultsToJson } from '../../src/report/json.js';
import { renderJunit } from '../../src/report/junit.js';
import { plainStyle } from '../../src/report/style.js';
import { escapeXml, renderSvg } from '../../src/report/svg.js';
import { renderScenario } from '../../src/report/terminal.js';
import { formatMs } from '../../src/scenario/duration.js';
import type { Budget } from '../../src/scenario/types.js';
import { loadBootFixture, passContextOf, scenarioResult } from '../helpers/fixtures.js';

const budget = (stage: string, maxMs: number, line: number): Budget => ({
  stage,
  maxMs,
  level: 'error',
  statistic: 'median',
  pos: { line, column: 3 },
});

/** A result judged from a real initcall_debug capture, with a kernel budget it fails and a total budget it meets. */
function resultFrom(fixture: string, name: string, budgets: Budget[]): ScenarioResult {
  const { trace } = loadBootFixture(fixture);
  const context = passContextOf(trace.argv);
  const { machine, cmdline } = context as Required<typeof context>;
  const pass = measurePass(trace, [], undefined, context);
  const stages = judgeStages([pass], ALWAYS_LISTED_STAGES, budgets);
  return scenarioResult(name, stages, { machine, cmdline, warmup: 0, alignment: alignmentSummary([pass])! });
}

const results: RunResults = {
  version: 1,
  scenarios: [
    resultFrom('cloud-initcalls-microvm', 'micro<&>"vm"', [budget('kernel', 1000, 20), budget('total', 6000, 21)]),
    resultFrom('cloud-initcalls-pc', 'pc', [budget('firmware', 2000, 7)]),
    {
      ...resultFrom('cloud-quiet-sleep1', 'broken', []),
      stages: [],
      verdict: 'error',
      error: 'kernel panic during kernel: VFS: Unable to mount root fs',
    },
  ],
};

// From the microvm capture's log, by hand: "initcall crypto_algapi_init+0x0/0x7e returned 0 after 405583 usecs".
const CRYPTO_MS = 405.583;
const microKernelMs = results.scenarios[0]!.stages.find((s) => s.name === 'kernel')!.summary!.mean;
const cryptoShare = `${((100 * CRYPTO_MS) / microKernelMs).toFixed(1).replace('.', '\\.')}%`;

describe('terminal diagnosis', () => {
  const text = renderScenario(results.scenarios[0]!, plainStyle);

  it('nests the offending span and the slowest initcalls under their stage, with their time and share', () => {
    expect(text).toMatch(/^ {2}kernel +▕[ █]+▏ .*% {2}✗ over budget$/m);
    // One pass: no spread to show, so no `± 0.00 ms`.
    expect(text).toMatch(/▕[ ▒]+▏ 406 ms +\d+\.\d% {2}├ initcall crypto_algapi_init$/m);
  });

  it('shows mean ± σ over passes, and says when the span bounded only some of them', () => {
    // Two real boots whose kernel spans differ: a gap before alternatives patching on pc, the crypto self-tests'
    // initcall on microvm.
    const passes = ['cloud-initcalls-pc', 'cloud-initcalls-microvm'].map((name) => {
      const { trace } = loadBootFixture(name);
      return measurePass(trace, [], undefined, passContextOf(trace.argv));
    });
    const spans = passes.map((p) => p.stages.find((s) => s.name === 'kernel')!.span!.from);
    expect(spans[0]).not.toBe(spans[1]);
    const two = scenarioResult('two', judgeStages(passes, ALWAYS_LISTED_STAGES, []), { passes: 2 });
    const chart = renderScenario(two, plainStyle);
    expect(chart).toMatch(/^ {2}kernel +▕[ █]+▏ [\d.]+ m?s ± [\d.]+ m?s +\d/m);
    expect(chart).toMatch(
      /▕[ ▒]+▏ [\d.]+ m?s +[\d.]+% {2}├ (span ".*" → ".*"|span initcall \S+) \(in 1 of 2 passes\)$/m,
    );
  });

  it('lists the slowest initcalls with their share of kernel, the hints, and the alignment uncertainty', () => {
    expect(text).toMatch(
      new RegExp(`slowest initcalls in kernel[^\\n]*\\n {4}crypto_algapi_init +406 ms +${cryptoShare}`),
    );
    expect(text).toMatch(new RegExp(`▸ kernel crypto-self-tests: 406 ms \\(${cryptoShare} of kernel\\)`));
    expect(text).toContain('try: cryptomgr.notests');
    const { pairs, spreadMs } = results.scenarios[0]!.alignment!;
    expect(text).toContain(
      `kernel log aligned to host time on ${pairs} records seen on both sides; kernel-log times are uncertain by up to ${formatMs(spreadMs)} (spread of host − guest)`,
    );
    // One record has no spread: "uncertain by up to 0.00 ms" would claim a perfect alignment.
    const one = { ...results.scenarios[0]!, alignment: { pairs: 1, spreadMs: 0 } };
    const oneText = renderScenario(one, plainStyle);
    expect(oneText).toContain('on 1 record seen on both sides; one record gives no spread');
    expect(oneText).not.toContain('uncertain by up to');
  });
});

describe('JSON results', () => {
  it('carry hints per stage, the slowest initcalls and the alignment', () => {
    const json = resultsToJson(results) as any;
    const kernel = json.scenarios[0].stages.kernel;
    expect(kernel.hints.map((h: { id: string }) => h.id)).toEqual([
      'crypto-self-tests',
      'dominant-initcall',
      'uart-probe',
    ]);
    expect(kernel.hints[0]).toMatchObject({
      id: 'crypto-self-tests',
      try: expect.stringContaining('cryptomgr.notests'),
    });
    expect(kernel.initcalls[0]).toMatchObject({ name: 'crypto_algapi_init', mean: CRYPTO_MS });
    // Only the agent's init and ready markers pair (a printk line may reach the console late).
    expect(json.scenarios[0].alignment).toEqual({ pairs: 2, spreadMs: expect.any(Number) });
    expect(json.scenarios[1].stages.firmware.hints.map((h: { id: string }) => h.id)).toEqual(['seabios']);
  });
});

describe('SVG boot chart', () => {
  const svg = renderSvg(results);
  const dir = mkdtempSync(join(tmpdir(), 'boot-budget-svg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is well-formed XML, with the scenario name escaped', () => {
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('micro&lt;&amp;&gt;&quot;vm&quot;');
    expect(escapeXml('a\u0001b')).toBe('a\ufffdb');
  });

  it('draws one bar per stage and per nested span or initcall, and one line per budget', () => {
    const doc = new XMLParser({ ignoreAttributes: false }).parse(svg);
    const groups = doc.svg.g as Array<{ '@_class': string; rect: unknown }>;
    const stages = results.scenarios.flatMap((s) => s.stages.filter((st) => st.summary));
    expect(groups.filter((g) => g['@_class'] === 'stage')).toHaveLength(stages.length);
    expect(groups.filter((g) => g['@_class'] === 'span').length).toBeGreaterThanOrEqual(10);
    const budgets = results.scenarios.flatMap((s) => s.stages.filter((st) => st.budget && st.summary));
    expect([doc.svg.line].flat().filter((l: { '@_class'?: string }) => l['@_class'] === 'budget')).toHaveLength(
      budgets.length,
    );
  });

  it('renders to a PNG with rsvg-convert', () => {
    const file = join(dir, 'chart.svg');
    writeFileSync(file, svg);
    const png = join(dir, 'chart.png');
    const run = spawnSync('rsvg-convert', ['-o', png, file], { encoding: 'utf8' });
    if (run.error) throw new Error(`rsvg-convert is needed (apt-get install librsvg2-bin): ${run.error.message}`);
    expect(run.status, run.stderr).toBe(0);
    const bytes = readFileSync(png);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes.readUInt32BE(16)).toBe(960);
    // Keep a copy for people to look at when BOOT_BUDGET_SVG_OUT is set.
    if (process.env.BOOT_BUDGET_SVG_OUT) writeFileSync(process.env.BOOT_BUDGET_SVG_OUT, bytes);
  });
});

describe('JUnit XML', () => {
  const xml = renderJunit(results);
  const doc = new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  }).parse(xml);

  it('is well-formed, with the attributes Jenkins and Ant readers require', () => {
    expect(XMLValidator.validate(xml)).toBe(true);
    const suites = doc.testsuites.testsuite as any[];
    expect(suites).toHaveLength(3);
    for (const suite of suites) {
      for (const key of ['@_name', '@_tests', '@_failures', '@_errors', '@_time']) expect(suite).toHaveProperty([key]);
      expect(Number(suite['@_tests'])).toBe(suite.testcase.length);
      for (const tc of suite.testcase)
        for (const key of ['@_classname', '@_name', '@_time']) expect(tc).toHaveProperty([key]);
    }
    expect(doc.testsuites['@_tests']).toBe('4');
    expect(doc.testsuites['@_failures']).toBe('1');
    expect(doc.testsuites['@_errors']).toBe('1');
  });

  it('has one testcase per budgeted stage; a failure carries the offending span and the hints', () => {
    const [micro, pc, broken] = doc.testsuites.testsuite as any[];
    expect(micro.testcase.map((tc: any) => tc['@_name'])).toEqual(['kernel median ≤ 1.00 s', 'total median ≤ 6.00 s']);
    const failure = micro.testcase[0].failure;
    expect(failure['@_message']).toBe(`median ${(microKernelMs / 1000).toFixed(2)} s > budget 1.00 s`);
    expect(failure['#text']).toContain('offending span: 406 ms between "calling  crypto_algapi_init');
    expect(failure['#text']).toContain('hint crypto-self-tests:');
    expect(micro.testcase[1].failure).toBeUndefined();
    expect(micro.testcase[0]['@_line']).toBe('20');
    expect(pc.testcase).toHaveLength(1);
    expect(broken.testcase[0].error['@_message']).toContain('kernel panic');
  });
});

describe('CLI', () => {
  it('takes --svg and --junit files', () => {
    expect(parseCliArgs(['run', 'scenarios/', '--svg', 'chart.svg', '--junit', 'junit.xml'])).toMatchObject({
      svg: 'chart.svg',
      junit: 'junit.xml',
    });
  });
});
