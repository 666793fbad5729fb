import type { ScenarioResult, StageResult } from '../judge/types.js';
import { formatMs } from '../scenario/duration.js';
import type { Style } from './style.js';

const BAR_WIDTH = 50;
const ELLIPSIS = '…';

export function truncate(text: string, max: number): string {
  const clean = text.trim();
  return clean.length <= max ? clean : `${clean.slice(0, max - 1)}${ELLIPSIS}`;
}

export function describeSpan(stage: StageResult, max = 60): string {
  const span = stage.span;
  if (!span) return '';
  return `${formatMs(span.ms)} between "${truncate(span.from, max)}" and "${truncate(span.to, max)}"`;
}

function header(result: ScenarioResult, style: Style): string {
  const facts = [
    `${result.hypervisor}${result.hypervisorVersion ? ` ${result.hypervisorVersion}` : ''} ${result.machine}`,
    result.accel ?? 'no accelerator',
    `${result.passes} passes after ${result.warmup} warm-up`,
  ];
  return `${style.bold(result.name)}  ${style.dim(`(${result.file})`)}\n  ${facts.join(' · ')}`;
}

/**
 * A boot chart in the spirit of libguestfs' boot-analysis: each stage on a shared timeline at its mean start, with
 * mean ± σ and its share of the total.
 */
export function renderChart(result: ScenarioResult, style: Style): string {
  const lines = [header(result, style)];
  if (result.kernel) lines.push(style.dim(`  kernel ${result.kernel} · rootfs ${result.rootfs}`));
  if (result.cmdline) lines.push(style.dim(`  cmdline ${result.cmdline}`));
  const stages = result.stages.filter((s) => s.summary && s.meanStartT !== null);
  if (stages.length === 0) return lines.join('\n');

  const end = Math.max(...stages.map((s) => s.meanStartT! + s.summary!.mean));
  const total = result.stages.find((s) => s.name === 'total')?.summary?.mean ?? end;
  const nameWidth = Math.max(...stages.map((s) => s.name.length));
  const scale = BAR_WIDTH / (end || 1);

  lines.push(`  ${' '.repeat(nameWidth)}  0${' '.repeat(BAR_WIDTH - 1 - formatMs(end).length)}${formatMs(end)}`);
  for (const stage of stages) {
    const summary = stage.summary!;
    const from = Math.min(BAR_WIDTH - 1, Math.floor(stage.meanStartT! * scale));
    const width = Math.max(1, Math.min(BAR_WIDTH - from, Math.round(summary.mean * scale)));
    const bar = `${' '.repeat(from)}${'█'.repeat(width)}`.padEnd(BAR_WIDTH);
    const share = total > 0 ? `${((summary.mean / total) * 100).toFixed(1)}%` : '';
    const figures = `${formatMs(summary.mean)} ± ${formatMs(summary.stddev)}`;
    lines.push(`  ${stage.name.padEnd(nameWidth)} ▕${bar}▏ ${figures.padEnd(20)} ${share.padStart(6)}`);
  }
  return lines.join('\n');
}

function verdictCell(stage: StageResult, style: Style): string {
  switch (stage.verdict) {
    case 'pass':
      return style.green('✓ pass');
    case 'fail':
      return style.red('✗ FAIL');
    case 'warn':
      return style.yellow('! warn');
    case 'none':
      return style.dim('·');
  }
}

function table(rows: string[][], widths: number[]): string[] {
  // Width from the visible text: ANSI escapes take no columns.
  const visible = (cell: string) => cell.replace(/\u001b\[\d+m/g, '').length;
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - visible(cell)))))
      .join('  ')
      .trimEnd(),
  );
}

/** Every stage with its statistics, its budget and verdict, and the offending span that explains it. */
export function renderBudgetTable(result: ScenarioResult, style: Style): string {
  if (result.verdict === 'error') return `  ${style.red('✗ ERROR')} ${result.error ?? ''}`;
  const rows: string[][] = [['stage', 'median', 'mean ± σ', 'min–max', 'CoV', 'budget', 'verdict', 'offending span']];
  for (const stage of result.stages) {
    const s = stage.summary;
    const budget = stage.budget ? `${stage.budget.statistic} ≤ ${formatMs(stage.budget.max)}${stage.budget.level === 'warn' ? ' (warn)' : ''}` : '';
    rows.push([
      stage.name,
      s ? formatMs(s.median) : 'not seen',
      s ? `${formatMs(s.mean)} ± ${formatMs(s.stddev)}` : '',
      s ? `${formatMs(s.min)}–${formatMs(s.max)}` : '',
      s ? `${(s.cov * 100).toFixed(1)}%` : '',
      budget,
      verdictCell(stage, style),
      describeSpan(stage, 40),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').replace(/\u001b\[\d+m/g, '').length)));
  const out = table(rows, widths).map((line) => `  ${line}`);
  out[0] = style.dim(out[0]!);
  return out.join('\n');
}

export function renderVerdictLine(result: ScenarioResult, style: Style): string {
  const failed = result.stages.filter((s) => s.verdict === 'fail').length;
  const warned = result.stages.filter((s) => s.verdict === 'warn').length;
  const on = `${result.accel ?? 'no accelerator'}`;
  switch (result.verdict) {
    case 'pass':
      return `  ${style.green('PASS')} ${result.name}: every budget met on ${on}${warned ? `, ${warned} warning${warned > 1 ? 's' : ''}` : ''}`;
    case 'fail':
      return `  ${style.red('FAIL')} ${result.name}: ${failed} budget${failed > 1 ? 's' : ''} exceeded on ${on}`;
    case 'error':
      return `  ${style.red('ERROR')} ${result.name}: could not be measured`;
  }
}

export function renderScenario(result: ScenarioResult, style: Style): string {
  const parts = [renderChart(result, style), '', renderBudgetTable(result, style)];
  if (result.accelWarning) parts.push(`  ${style.yellow('warning:')} ${result.accelWarning}`);
  parts.push(renderVerdictLine(result, style));
  return parts.join('\n');
}
