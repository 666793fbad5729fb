import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html/report.js';
import { TIMELINE_SCRIPT } from '../../src/report/html/timeline-script.js';
import { fixtureAbScenario, fixtureResults, fixtureScenario, INJECTION } from '../helpers/report-results.js';

describe('HTML report (markup; the browser tests drive it in Chromium)', () => {
  const scenario = fixtureScenario();
  const html = renderHtml(fixtureResults(scenario, fixtureAbScenario()));

  it('inlines a script that parses', () => {
    // Only the browser runs it; a syntax error there would leave the page without a timeline and nothing else fails.
    expect(() => new Function(TIMELINE_SCRIPT)).not.toThrow();
  });

  it('is one file that loads nothing from the network', () => {
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
    // The CSP names the inline script by its hash, so the script runs and nothing else does.
    const hash = createHash('sha256').update(TIMELINE_SCRIPT).digest('base64');
    expect(html).toContain(`'sha256-${hash}'`);
    expect(html).toContain(`<script>${TIMELINE_SCRIPT}</script>`);
  });

  it('shows guest text as text: escaped in the tables, \\u-escaped in the data', () => {
    expect(html).not.toContain(INJECTION);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e');
    expect(html.match(/<script\b/g)).toHaveLength(2);
  });

  it('has the stage table, budgets, hints, the A/B table, every pass and a pass selector without JavaScript', () => {
    for (const stage of scenario.stages) expect(html).toContain(`<th scope="row">${stage.name}</th>`);
    expect(html).toMatch(/<tr class="row-fail"><th scope="row">kernel<\/th>.*median ≤ 1.00 s.*✗ FAIL/);
    expect(html).toMatch(/<section class="hints">.*hwclock/s);
    expect(html).toMatch(/A\/B: baseline \(A\) and scenario \(B\)/);
    expect(html).toMatch(/<option value="1" selected>pass 2 \(median\)/);
    expect(html).toContain('Every pass (3)');
  });

  it('shows virtual time in the header when the run used the virtual clock', () => {
    const virtual = renderHtml(fixtureResults({ ...fixtureScenario(), clock: 'virtual' }));
    expect(virtual).toMatch(/virtual time \(QEMU icount\)/);
    expect(html).not.toMatch(/virtual time/);
  });

  it('stays small: the bundled scenario with three passes of captured boots', () => {
    expect(Buffer.byteLength(renderHtml(fixtureResults(scenario)))).toBeLessThan(300_000);
  });
});
