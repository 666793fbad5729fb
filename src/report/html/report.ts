/**
 * The HTML report: one self-contained file (no network: a Content-Security-Policy forbids every fetch, and fonts are
 * the system's) with, per scenario, the zoomable timeline of every measured pass (timeline-script.ts), the stage
 * table, the A/B or base-branch comparison, hints, every pass's stage times and the median pass's log. The tables are
 * plain HTML, readable without JavaScript. The CSP also pins the one inline script by its hash, so even text that
 * escaped escaping could not run.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunResults } from '../../judge/types.js';
import type { ScenarioResult } from '../../judge/types.js';
import { formatMs } from '../../scenario/duration.js';
import { comparisonOf, type BaselineSummary } from '../github/regression.js';
import { medianPassIndex, timelineSides } from '../passes.js';
import { inertJson } from '../inert-json.js';
import { REPORT_CSS } from './style.js';
import { comparisonTable, esc, hintList, logList, passTable, scenarioHeader, stageTable } from './tables.js';
import { TIMELINE_SCRIPT } from './timeline-script.js';

export interface HtmlOptions {
  /** Title line, e.g. the workflow run or the results file it was rendered from. */
  title?: string;
  /** The base-branch comparison, when there is one. */
  baseline?: BaselineSummary;
}

/** What the timeline script draws for one scenario. */
function scenarioData(result: ScenarioResult, id: number) {
  const sides = timelineSides(result);
  return {
    id,
    median: medianPassIndex(sides[0]?.timeline),
    sides: sides.map((side) => ({ label: side.label, passes: side.timeline })),
    stages: result.stages.map((s) => ({
      name: s.name,
      budget: s.budget?.max ?? null,
      statistic: s.budget?.statistic ?? null,
      verdict: s.verdict,
    })),
  };
}

function timelineBlock(result: ScenarioResult, id: number, median: number): string {
  const passes = result.timeline ?? [];
  if (passes.length === 0)
    return `<p class="note">No timeline: ${result.error ? 'the scenario could not be measured' : 'the results file does not record one (written by an older boot-budget)'}.</p>`;
  const total = (i: number) => {
    const t = passes[i]!.stages.find((s) => s.name === 'total');
    return t ? ` · total ${formatMs(t.endT - t.startT)}` : '';
  };
  const options = passes.map(
    (_, i) =>
      `<option value="${i}"${i === median ? ' selected' : ''}>pass ${i + 1}${i === median ? ' (median)' : ''}${esc(total(i))}</option>`,
  );
  return `<div class="tl" id="tl-${id}">
<div class="controls"><label>Pass <select class="pass">${options.join('')}</select></label>
<button type="button" class="zoom-in" title="zoom in">+</button><button type="button" class="zoom-out" title="zoom out">−</button><button type="button" class="pan-left" title="pan left">◀</button><button type="button" class="pan-right" title="pan right">▶</button><button type="button" class="zoom-reset" title="whole boot">reset</button>
<span class="help">wheel to zoom · drag to pan · double-click to reset · Tab through items${result.baseline?.timeline ? ' · A (baseline) is the thin bar under each B stage' : ''}</span></div>
<svg class="timeline" role="group" aria-label="timeline of ${esc(result.name)}" width="100%" height="40"></svg>
<div class="tip" role="status" hidden></div>
<noscript><p class="note">The timeline needs JavaScript; the tables below hold the same figures.</p></noscript>
</div>`;
}

function scenarioSection(result: ScenarioResult, id: number, baseline: BaselineSummary | undefined): string {
  const median = medianPassIndex(result.timeline);
  const comparison = comparisonOf(result, baseline);
  const against =
    comparison?.kind === 'base' && baseline && 'source' in baseline
      ? `the base branch (${baseline.source})`
      : undefined;
  return `<section class="scenario">
${scenarioHeader(result, against)}
${timelineBlock(result, id, median)}
${stageTable(result)}
${comparison ? comparisonTable(comparison) : ''}
${hintList(result)}
${passTable(result, median)}
${logList(result, median)}
</section>`;
}

export function renderHtml(results: RunResults, options: HtmlOptions = {}): string {
  const data = inertJson({ scenarios: results.scenarios.map((s, i) => scenarioData(s, i)) });
  const hash = createHash('sha256').update(TIMELINE_SCRIPT).digest('base64');
  const failed = results.scenarios.filter((s) => s.verdict !== 'pass').length;
  const title = options.title ?? 'boot-budget report';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><p class="meta">${results.scenarios.length} scenario${results.scenarios.length === 1 ? '' : 's'} · ${failed ? `<span class="v-fail">${failed} not passing</span>` : '<span class="v-pass">all passing</span>'}</p></header>
<main>
${results.scenarios.map((s, i) => scenarioSection(s, i, options.baseline)).join('\n')}
</main>
<script type="application/json" id="bb-data">${data}</script>
<script>${TIMELINE_SCRIPT}</script>
</body>
</html>
`;
}

export async function writeHtml(file: string, results: RunResults, options: HtmlOptions = {}): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, renderHtml(results, options));
}
