/**
 * The HTML report of a real boot, driven in Debian's Chromium (/usr/bin/chromium, installed by .ci/run) through
 * puppeteer-core, which downloads no browser. One CLI run boots the bundled scenario's kernel and initramfs twice
 * (the default `kvm: auto` path), with a `run:` line that prints an HTML injection to the console; `boot-budget
 * report` then renders the saved results again without booting, and that page is the one the browser loads.
 *
 * The screenshot goes to $BOOT_BUDGET_SCREENSHOT_DIR when set (to look at it), else to the test's own directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_ARGS, runCli, scenarioDir } from '../helpers/cli.js';
import { expectNoHypervisorsAfterEach } from '../helpers/vitest-dirs.js';

expectNoHypervisorsAfterEach();

const CHROMIUM = '/usr/bin/chromium';
const INJECTION = '<script>alert(1)</script><img src=x onerror=alert(2)>';

const SCENARIO = `name: html-report
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
machine: pc
cmdline: console=ttyS0 quiet
run:
  - "echo '${INJECTION}'"
budgets:
  kernel: 1ms
  total: 60s
`;

interface TimelineItem {
  kind: string;
  name: string;
  start: number;
  end: number;
}

let dir: { dir: string; cleanup: () => void };
let results: {
  scenarios: Array<{ timeline: Array<{ stages: Array<{ name: string; span: { from: string; to: string } | null }> }> }>;
};
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

async function items(kind: string): Promise<TimelineItem[]> {
  return page.$$eval(`[data-kind="${kind}"]`, (nodes) =>
    nodes.map((n) => ({
      kind: n.getAttribute('data-kind')!,
      name: n.getAttribute('data-name')!,
      start: Number(n.getAttribute('data-start')),
      end: Number(n.getAttribute('data-end')),
    })),
  );
}

beforeAll(async () => {
  dir = scenarioDir({ 'html-report.yaml': SCENARIO });
  const json = join(dir.dir, 'results.json');
  const run = await runCli([
    join(dir.dir, 'html-report.yaml'),
    '--passes',
    '2',
    '--max-passes',
    '2',
    '--warmup',
    '0',
    '--json',
    json,
    '--html',
    join(dir.dir, 'run.html'),
    ...CACHE_ARGS,
  ]);
  // The 1 ms kernel budget fails on purpose, so that the report has a failure to mark.
  expect(run.code, run.stderr).toBe(1);
  expect(existsSync(join(dir.dir, 'run.html'))).toBe(true);
  results = JSON.parse(readFileSync(json, 'utf8'));
  const report = await runCli([
    'report',
    json,
    '--html',
    join(dir.dir, 'report.html'),
    '--trace',
    join(dir.dir, 'trace.json'),
  ]);
  expect(report.code, report.stderr).toBe(0);

  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.setViewport({ width: 1280, height: 900 });
  await page.goto(`file://${join(dir.dir, 'report.html')}`);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  dir?.cleanup();
});

describe('HTML report of a real boot, in Chromium', () => {
  it('draws every stage and every offending span of the median pass', async () => {
    const median = await page.$eval('select.pass', (s) => Number((s as unknown as { value: string }).value));
    const pass = results.scenarios[0]!.timeline[median]!;
    const stages = await items('stage');
    const spans = await items('span');
    for (const stage of pass.stages) {
      expect(stages.map((s) => s.name)).toContain(stage.name);
      if (stage.span) expect(spans.map((s) => s.name)).toContain(stage.name);
    }
    expect(spans.length).toBe(pass.stages.filter((s) => s.span).length);
    // The failed kernel budget is marked on its bar and drawn as a line on its row.
    expect(await page.$$eval('[data-kind="stage"][data-name="kernel"]', (n) => n[0]!.getAttribute('class'))).toMatch(
      /v-fail/,
    );
    expect((await page.$$('[data-kind="budget"]')).length).toBe(2);
    expect(await page.$$eval('tbody th[scope="row"]', (n) => n.map((t) => t.textContent))).toEqual(
      expect.arrayContaining(pass.stages.map((s) => s.name)),
    );
  });

  it('shows a span’s two log lines on hover, and its text on keyboard focus', async () => {
    const median = await page.$eval('select.pass', (s) => Number((s as unknown as { value: string }).value));
    const kernel = results.scenarios[0]!.timeline[median]!.stages.find((s) => s.name === 'kernel')!;
    await page.hover('[data-kind="span"][data-name="kernel"]');
    const tip = await page.$eval('.tip', (t) => ({
      text: t.textContent,
      hidden: (t as unknown as { hidden: boolean }).hidden,
    }));
    expect(tip.hidden).toBe(false);
    expect(tip.text).toContain(kernel.span!.from);
    expect(tip.text).toContain(kernel.span!.to);
    // SVG elements take focus (tabindex 0); puppeteer's page.focus only takes HTML elements.
    await page.$eval('[data-kind="stage"][data-name="total"]', (n) => (n as unknown as { focus(): void }).focus());
    expect(await page.$eval('.tip', (t) => t.textContent)).toMatch(/^total: [\d.]+ (ms|s), from /);
  });

  it('zooms in and pans', async () => {
    const width = () => page.$eval('[data-kind="stage"][data-name="total"]', (n) => Number(n.getAttribute('width')));
    const before = await width();
    await page.click('.zoom-in');
    expect(await width()).toBeGreaterThan(before * 1.5);
    await page.click('.zoom-reset');
    expect(await width()).toBeCloseTo(before, 0);
  });

  it('switches the timeline to another pass', async () => {
    const before = await items('stage');
    const median = await page.$eval('select.pass', (s) => (s as unknown as { value: string }).value);
    await page.select('select.pass', median === '0' ? '1' : '0');
    const after = await items('stage');
    const end = (list: TimelineItem[]) => list.find((s) => s.name === 'total')!.end;
    // Two real boots never end on the same microsecond.
    expect(end(after)).not.toBe(end(before));
    await page.select('select.pass', median);
  });

  it('keeps the injected console line inert: shown as text, no dialog, no element from it', async () => {
    const ticks = await page.$$eval('[data-kind="log"]', (nodes) => nodes.map((n) => n.getAttribute('aria-label')));
    const injected = ticks.filter((label) => label?.includes(INJECTION));
    expect(injected.length).toBeGreaterThan(0);
    const index = ticks.indexOf(injected[0]!);
    await page.hover(`[data-kind="log"]:nth-of-type(${index + 1})`).catch(() => undefined);
    await page.$$eval(
      '[data-kind="log"]',
      (nodes, i) =>
        nodes[i]!.dispatchEvent(new (globalThis as unknown as { MouseEvent: typeof Event }).MouseEvent('mouseenter')),
      index,
    );
    expect(await page.$eval('.tip', (t) => t.textContent)).toContain(INJECTION);
    expect(await page.$$eval('script', (s) => s.length)).toBe(2);
    expect(await page.$$eval('img', (s) => s.length)).toBe(0);
    const logText = await page.$eval('details.log pre', (p) => p.textContent);
    expect(logText).toContain(INJECTION);
    expect(dialogs).toEqual([]);
  });

  it('takes a screenshot of the page', async () => {
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await page.hover('[data-kind="span"][data-name="kernel"]');
    const file = join(process.env.BOOT_BUDGET_SCREENSHOT_DIR ?? dir.dir, 'html-report.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
  });
});
