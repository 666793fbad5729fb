/**
 * The parts of the HTML report that need no JavaScript: the header line, the stage table, the comparison table, hints
 * and the per-pass table. Every piece of text that can come from a guest, a scenario or a file goes through `esc`.
 */
import type { ScenarioComparison } from '../../judge/compare.js';
import type { ScenarioResult, StageResult } from '../../judge/types.js';
import { formatMs } from '../../scenario/duration.js';
import { formatDelta, formatP } from '../compare.js';
import { passCount, spreadCells } from '../figures.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and quoted attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const VERDICT: Record<StageResult['verdict'], string> = {
  pass: '<span class="v-pass">✓ pass</span>',
  fail: '<span class="v-fail">✗ FAIL</span>',
  warn: '<span class="v-warn">! warn</span>',
  none: '<span class="v-none">·</span>',
};

export function scenarioHeader(result: ScenarioResult, against: string | undefined): string {
  const clock = result.clock;
  const facts = [
    `${result.hypervisor}${result.hypervisorVersion ? ` ${result.hypervisorVersion}` : ''} ${result.machine}${result.firmware ? ` (${result.firmware})` : ''}`,
    result.accel ?? 'no accelerator',
    clock === 'virtual' ? 'virtual time (QEMU icount): guest instructions, not host time' : '',
    `${passCount(result.passes)} after ${result.warmup} warm-up`,
    result.hostCpus ? `${result.hostCpus} host CPUs` : '',
  ].filter(Boolean);
  const verdict = result.verdict === 'pass' ? 'v-pass' : 'v-fail';
  return [
    `<h2><span class="${verdict}">${esc(result.verdict.toUpperCase())}</span> ${esc(result.name)} <small>${esc(result.file)}</small></h2>`,
    `<p class="meta">${facts.map(esc).join(' · ')}</p>`,
    result.kernel ? `<p class="meta">kernel ${esc(result.kernel)} · rootfs ${esc(result.rootfs ?? 'unknown')}</p>` : '',
    result.cmdline ? `<p class="meta">cmdline <code>${esc(result.cmdline)}</code></p>` : '',
    result.unknown?.length
      ? `<p class="note">Read from a results file written by an older boot-budget; unknown: ${esc(result.unknown.join(', '))}.</p>`
      : '',
    result.accelWarning ? `<p class="note">${esc(result.accelWarning)}</p>` : '',
    result.error ? `<p class="note v-fail">${esc(result.error)}</p>` : '',
    against ? `<p class="meta">compared with ${esc(against)}</p>` : '',
  ].join('\n');
}

function budgetCell(stage: StageResult): string {
  if (!stage.budget) return '';
  return `${esc(stage.budget.statistic)} ≤ ${esc(formatMs(stage.budget.max))}${stage.budget.level === 'warn' ? ' (warn)' : ''}`;
}

export function stageTable(result: ScenarioResult): string {
  const rows = result.stages.map((stage) => {
    const s = stage.summary;
    const spread = s ? spreadCells(s) : { meanSigma: '', range: '', cov: '' };
    const span = stage.span
      ? `${esc(formatMs(stage.span.ms))} between <q>${esc(stage.span.from)}</q> and <q>${esc(stage.span.to)}</q>`
      : '';
    return `<tr class="row-${stage.verdict}"><th scope="row">${esc(stage.name)}</th><td>${s ? esc(formatMs(s.median)) : 'not seen'}</td><td>${esc(spread.meanSigma)}</td><td>${esc(spread.range)}</td><td>${esc(spread.cov)}</td><td>${budgetCell(stage)}</td><td>${VERDICT[stage.verdict]}</td><td class="span">${span}</td></tr>`;
  });
  return `<table class="stages"><caption>Stages over ${passCount(result.passes)}</caption><thead><tr><th>stage</th><th>median</th><th>mean ± σ</th><th>min–max</th><th>CoV</th><th>budget</th><th>verdict</th><th>offending span (typical pass)</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

const CHANGE: Record<string, string> = {
  regression: '<span class="v-fail">✗ regression</span>',
  improvement: '<span class="v-pass">✓ improvement</span>',
};

export function comparisonTable(c: ScenarioComparison): string {
  const base = c.kind === 'ab' ? 'A' : 'base';
  const head = c.kind === 'ab' ? 'B' : 'head';
  const rows = c.stages.map((s) => {
    const delta = formatDelta(s);
    const verdict = CHANGE[s.verdict] ?? `${esc(s.verdict)}${s.withinNoise ? ' (within noise)' : ''}`;
    return `<tr><th scope="row">${esc(s.stage)}</th><td>${esc(formatMs(s.base.median))}</td><td>${esc(formatMs(s.head.median))}</td><td>${esc(delta.ms)}</td><td>${esc(delta.pct)}</td><td>${esc(formatP(s.pValue))}</td><td>${verdict}</td></tr>`;
  });
  const forced = c.forced.length
    ? `<p class="note">compared despite different setups: ${esc(c.forced.join('; '))}</p>`
    : '';
  return `<table class="comparison"><caption>${c.kind === 'ab' ? 'A/B: baseline (A) and scenario (B), booted interleaved' : 'Against the base branch'} · max increase ${(c.settings.maxIncrease * 100).toFixed(1)}%, p ≤ ${c.settings.pValue}</caption><thead><tr><th>stage</th><th>${base} median</th><th>${head} median</th><th>Δ</th><th>Δ%</th><th>p</th><th>verdict</th></tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>${forced}`;
}

export function hintList(result: ScenarioResult): string {
  const hints = result.stages.flatMap((s) => s.hints ?? []);
  if (hints.length === 0) return '';
  const items = hints.map(
    (h) =>
      `<li><strong>${esc(h.stage)} · ${esc(h.id)}</strong>: ${esc(formatMs(h.ms))} (${(h.share * 100).toFixed(1)}% of ${esc(h.stage)}) — ${esc(h.evidence)}<br>${esc(h.advice)}<br>try: <code>${esc(h.try)}</code></li>`,
  );
  return `<section class="hints"><h3>Hints</h3><ul>${items.join('\n')}</ul></section>`;
}

/** Every measured pass's stage times, so that the passes can be read without the timeline. */
export function passTable(result: ScenarioResult, median: number): string {
  const names = result.stages.map((s) => s.name);
  const rows = (result.timeline ?? []).map((pass, i) => {
    const cells = names.map((name) => {
      const s = pass.stages.find((st) => st.name === name);
      return `<td>${s ? esc(formatMs(s.endT - s.startT)) : ''}</td>`;
    });
    return `<tr${i === median ? ' class="median"' : ''}><th scope="row">${i + 1}${i === median ? ' (median)' : ''}</th>${cells.join('')}</tr>`;
  });
  if (rows.length === 0) return '';
  return `<details class="passes"><summary>Every pass (${rows.length})</summary><table><thead><tr><th>pass</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr></thead><tbody>${rows.join('\n')}</tbody></table></details>`;
}

/** The median pass's kept console lines and kernel records, as text. */
export function logList(result: ScenarioResult, median: number): string {
  const pass = result.timeline?.[median];
  if (!pass?.events.length) return '';
  const lines = pass.events.map((e) => `${formatMs(e.t).padStart(9)}  ${e.source.padEnd(7)} ${e.text}`);
  const leftOut = pass.eventsLeftOut ? `, ${pass.eventsLeftOut} left out in the middle` : '';
  return `<details class="log"><summary>Console and kernel log of pass ${median + 1} (${pass.events.length} records kept${leftOut})</summary><pre>${esc(lines.join('\n'))}</pre></details>`;
}
