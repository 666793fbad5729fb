/**
 * A boot chart as an SVG image: one bar per stage and, under it, its offending span and slowest initcalls (and under
 * userspace a systemd image's slowest units), on a shared time axis; each stage's budget is a vertical line at (stage start + budget). Hand-written SVG 1.1, so it
 * needs no dependency and renders anywhere (browsers, rsvg-convert, GitHub).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunResults } from '../judge/types.js';
import type { ScenarioResult } from '../judge/types.js';
import { formatMs } from '../scenario/duration.js';
import { clip, nestedRows } from './layout.js';
import { unitRows } from './svg-units.js';
import { passCount } from './figures.js';

const WIDTH = 960;
const LABEL_WIDTH = 300;
const FIGURES_WIDTH = 190;
const ROW = 22;
const BAR = 14;
const CHART_INITCALLS = 5;

/** Text and attribute values: the five characters XML reserves, and control characters XML 1.0 cannot carry. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const n = (x: number) => (Math.round(x * 10) / 10).toString();

const COLOURS = {
  pass: '#2e7d32',
  fail: '#c62828',
  warn: '#ef6c00',
  none: '#546e7a',
  span: '#90a4ae',
  initcall: '#b0bec5',
  unit: '#80cbc4',
  criticalUnit: '#00897b',
  budget: '#c62828',
};

interface Row {
  label: string;
  startT: number;
  ms: number;
  /** Absent for a unit, which comes from one pass. */
  stddev?: number;
  fill: string;
  kind: 'stage' | 'span' | 'unit';
  budgetT?: number;
  over?: boolean;
}

function rowsOf(result: ScenarioResult): Row[] {
  const rows: Row[] = [];
  for (const stage of result.stages) {
    if (!stage.summary || stage.meanStartT === null) continue;
    const over = stage.verdict === 'fail' || stage.verdict === 'warn';
    rows.push({
      label: stage.name,
      startT: stage.meanStartT,
      ms: stage.summary.mean,
      // One sample has no spread to show (see terminal.ts).
      ...(stage.summary.n > 1 ? { stddev: stage.summary.stddev } : {}),
      fill: COLOURS[stage.verdict],
      kind: 'stage',
      ...(stage.budget ? { budgetT: stage.meanStartT + stage.budget.max } : {}),
      over,
    });
    for (const nested of nestedRows(stage, CHART_INITCALLS)) {
      const fromSpan = nested.kind === 'span' || nested.isSpan;
      rows.push({
        label:
          nested.kind === 'span'
            ? `span "${clip(nested.from, 18)}" → "${clip(nested.to, 18)}"`
            : `initcall ${nested.name}`,
        startT: nested.startT,
        ms: nested.mean,
        ...(nested.n > 1 ? { stddev: nested.stddev } : {}),
        fill: fromSpan ? COLOURS.span : COLOURS.initcall,
        kind: 'span',
      });
    }
    if (stage.name === 'userspace') rows.push(...systemdUnitRows(result));
  }
  // Without a userspace bar (it could not be measured) the units still show, at the end.
  if (!result.stages.some((s) => s.name === 'userspace' && s.summary && s.meanStartT !== null))
    rows.push(...systemdUnitRows(result));
  return rows;
}

function systemdUnitRows(result: ScenarioResult): Row[] {
  return unitRows(result).map((u) => ({
    label: u.label,
    startT: u.startT,
    ms: u.ms,
    fill: u.critical ? COLOURS.criticalUnit : COLOURS.unit,
    kind: 'unit',
  }));
}

function scenarioGroup(result: ScenarioResult, top: number): { svg: string; height: number } {
  const rows = rowsOf(result);
  const total = result.stages.find((s) => s.name === 'total')?.summary?.mean;
  const end = Math.max(1, ...rows.map((r) => r.startT + r.ms), ...rows.map((r) => r.budgetT ?? 0));
  const plotX = LABEL_WIDTH;
  const plotW = WIDTH - LABEL_WIDTH - FIGURES_WIDTH;
  const x = (t: number) => plotX + (t / end) * plotW;
  const parts: string[] = [];
  const title = `${result.name} — ${result.hypervisor} ${result.machine} · ${result.accel ?? 'no accelerator'} · ${passCount(result.passes)} · ${result.verdict.toUpperCase()}`;
  parts.push(`<text x="8" y="${n(top + 16)}" font-weight="bold">${escapeXml(title)}</text>`);
  const axisY = top + 28;
  parts.push(`<line x1="${n(plotX)}" y1="${n(axisY)}" x2="${n(plotX + plotW)}" y2="${n(axisY)}" stroke="#999"/>`);
  for (let i = 0; i <= 4; i++) {
    const t = (end * i) / 4;
    parts.push(
      `<text x="${n(x(t))}" y="${n(axisY - 3)}" text-anchor="middle" font-size="10" fill="#666">${escapeXml(formatMs(t))}</text>`,
    );
  }
  rows.forEach((row, i) => {
    const y = axisY + 6 + i * ROW;
    const barX = x(row.startT);
    const barW = Math.max(1, x(row.startT + row.ms) - barX);
    const share = total ? ` · ${((row.ms / total) * 100).toFixed(1)}%` : '';
    const spread = row.stddev === undefined ? '' : ` ± ${formatMs(row.stddev)}`;
    const nested = row.kind !== 'stage';
    parts.push(
      `<g class="${row.kind}"><title>${escapeXml(`${row.label}: ${formatMs(row.ms)}${spread}${share}`)}</title>`,
      `<text x="${nested ? 24 : 8}" y="${n(y + BAR - 3)}"${nested ? ' fill="#555"' : ''}>${escapeXml(clip(row.label, nested ? 44 : 40))}</text>`,
      `<rect x="${n(barX)}" y="${n(y)}" width="${n(barW)}" height="${BAR}" fill="${row.fill}"${row.over ? ' stroke="#000" stroke-width="1.5"' : ''}/>`,
      `<text x="${n(plotX + plotW + 8)}" y="${n(y + BAR - 3)}" font-size="11">${escapeXml(`${formatMs(row.ms)}${spread}${share}${row.over ? ' ✗' : ''}`)}</text></g>`,
    );
    if (row.budgetT !== undefined) {
      const bx = x(row.budgetT);
      parts.push(
        `<line class="budget" x1="${n(bx)}" y1="${n(y - 3)}" x2="${n(bx)}" y2="${n(y + BAR + 3)}" stroke="${COLOURS.budget}" stroke-width="2" stroke-dasharray="3,2"><title>${escapeXml(`${row.label} budget`)}</title></line>`,
      );
    }
  });
  return { svg: parts.join('\n'), height: 28 + 6 + rows.length * ROW + 16 };
}

/** The whole run as one SVG document, one block per scenario. */
export function renderSvg(results: RunResults): string {
  const groups: string[] = [];
  let top = 8;
  for (const result of results.scenarios) {
    const group = scenarioGroup(result, top);
    groups.push(group.svg);
    top += group.height;
  }
  const legend = `<text x="8" y="${n(top + 12)}" font-size="10" fill="#666">bars: mean on a shared time axis from hypervisor spawn; grey: offending span and slowest initcalls; teal: slowest systemd units (dark *: critical chain); dashed red line: budget</text>`;
  const height = Math.ceil(top + 24);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...groups,
    legend,
    '</svg>',
    '',
  ].join('\n');
}

export async function writeSvg(file: string, results: RunResults): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, renderSvg(results));
}
