/**
 * Terminal rendering of regressions: a side-by-side table of base and head per stage, the pass count and why
 * it grew, and the output of `boot-budget compare`.
 */
import type { Comparison, ScenarioComparison } from '../judge/compare.js';
import type { StageComparison } from '../judge/regression.js';
import type { Summary } from '../judge/statistics.js';
import type { ScenarioResult } from '../judge/types.js';
import { formatMs } from '../scenario/duration.js';
import { spreadCells } from './figures.js';
import { table } from './layout.js';
import type { Style } from './style.js';

export function formatDelta(s: Pick<StageComparison, 'deltaMs' | 'deltaPct'>): { ms: string; pct: string } {
  const sign = s.deltaMs > 0 ? '+' : s.deltaMs < 0 ? '-' : '±';
  const pct = Number.isFinite(s.deltaPct) ? `${sign}${Math.abs(s.deltaPct * 100).toFixed(1)}%` : `${sign}∞`;
  return { ms: `${sign}${formatMs(Math.abs(s.deltaMs))}`, pct };
}

export function formatP(p: number): string {
  return p < 0.0001 ? '<0.0001' : p.toFixed(4);
}

function verdictCell(s: StageComparison, style: Style): string {
  switch (s.verdict) {
    case 'regression':
      return style.red('✗ regression');
    case 'improvement':
      return style.green('✓ improvement');
    case 'no change':
      return s.withinNoise ? style.yellow('· no change (within noise)') : style.dim('· no change');
  }
}

export function settingsLine(c: ScenarioComparison): string {
  const min = c.settings.minMs > 0 ? ` and ≥ ${formatMs(c.settings.minMs)}` : '';
  const test =
    c.settings.test === 'welch'
      ? "two-sided Welch's t-test on means"
      : 'two-sided permutation test on means, 10,000 seeded resamples';
  return `a change counts when p ≤ ${c.settings.pValue} (${test}) and the median moves by more than ${(c.settings.maxIncrease * 100).toFixed(1).replace(/\.0$/, '')}%${min}`;
}

/** `654 ms ±12 ms`; one pass has no spread to show. */
function medianCell(s: Summary): string {
  const { sigma } = spreadCells(s);
  return sigma ? `${formatMs(s.median)} ±${sigma}` : formatMs(s.median);
}

/** Base and head side by side, one row per stage. */
export function renderComparisonTable(
  c: ScenarioComparison,
  style: Style,
  labels: { base: string; head: string },
): string {
  const rows: string[][] = [['stage', `${labels.base} median`, `${labels.head} median`, 'Δ', 'Δ %', 'p', 'verdict']];
  for (const s of c.stages) {
    const delta = formatDelta(s);
    rows.push([
      s.stage,
      medianCell(s.base),
      medianCell(s.head),
      delta.ms,
      delta.pct,
      formatP(s.pValue),
      verdictCell(s, style),
    ]);
  }
  // Stage names read left to right; figures line up on their last digit.
  const out = table(rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right']).map((line) => `  ${line}`);
  out[0] = style.dim(out[0]!);
  return out.join('\n');
}

export function comparisonVerdictLine(c: ScenarioComparison, style: Style, against: string): string {
  const regressed = c.stages.filter((s) => s.verdict === 'regression').map((s) => s.stage);
  const improved = c.stages.filter((s) => s.verdict === 'improvement').map((s) => s.stage);
  if (regressed.length)
    return `  ${style.red('REGRESSION')} ${c.name}: ${regressed.join(', ')} slower than ${against}${improved.length ? `; ${improved.join(', ')} faster` : ''}`;
  if (improved.length)
    return `  ${style.green('IMPROVEMENT')} ${c.name}: ${improved.join(', ')} faster than ${against}`;
  return `  ${style.dim('NO CHANGE')} ${c.name}: no stage differs from ${against} beyond the thresholds`;
}

/** How many passes it took and why, when it took more than planned or stopped at max-passes undecided. */
export function renderAdaptive(result: ScenarioResult, style: Style): string {
  const a = result.adaptive;
  if (!a || a.reasons.length === 0) return '';
  const head = a.settled
    ? `took ${a.passes} passes${result.baseline ? ' per side' : ''} instead of ${a.planned}, because after ${a.planned} these were within noise:`
    : `stopped at max-passes (${a.maxPasses})${result.baseline ? ' per side' : ''} with these still within noise:`;
  return [`  ${style.yellow('passes:')} ${head}`, ...a.reasons.map((r) => `    ${r}`)].join('\n');
}

/** The A/B section of a scenario's report; empty for a plain run. */
export function renderAbSection(result: ScenarioResult, style: Style): string {
  const parts: string[] = [];
  const c = result.comparison;
  if (c && result.baseline) {
    parts.push(
      `  ${style.bold('A/B')} in this job, interleaved A B, B A, …, ${result.passes} passes per side after ${result.warmup} warm-up each`,
      style.dim(`  A (baseline) kernel ${result.baseline.kernel} · rootfs ${result.baseline.rootfs}`),
      style.dim(`  B (scenario) kernel ${result.kernel} · rootfs ${result.rootfs}`),
      renderComparisonTable(c, style, { base: 'A', head: 'B' }),
      style.dim(`  ${settingsLine(c)}`),
    );
  }
  const adaptive = renderAdaptive(result, style);
  if (adaptive) parts.push(adaptive);
  if (c && result.baseline) parts.push(comparisonVerdictLine(c, style, 'the baseline (A)'));
  return parts.join('\n');
}

/** The output of `boot-budget compare BASE HEAD`. */
export function renderCompareReport(
  comparison: Comparison,
  style: Style,
  files: { base: string; head: string },
): string {
  const out: string[] = [`${style.bold('compare')} ${files.base} (base) → ${files.head} (head)`];
  for (const c of comparison.scenarios) {
    out.push('', `${style.bold(c.name)}  ${style.dim(`(${c.file})`)}`);
    for (const forced of c.forced)
      out.push(`  ${style.yellow('warning:')} compared despite different setups (--force): ${forced}`);
    out.push(
      renderComparisonTable(c, style, { base: 'base', head: 'head' }),
      style.dim(`  ${settingsLine(c)}`),
      comparisonVerdictLine(c, style, 'base'),
    );
  }
  if (comparison.skipped.length) out.push('', ...comparison.skipped.map((s) => `  skipped ${s.name}: ${s.reason}`));
  if (comparison.onlyInHead.length) out.push(`  only in head (no baseline): ${comparison.onlyInHead.join(', ')}`);
  if (comparison.onlyInBase.length) out.push(`  only in base (not run now): ${comparison.onlyInBase.join(', ')}`);
  const regressions = comparison.scenarios.filter((c) => c.verdict === 'regression').length;
  const improvements = comparison.scenarios.filter((c) => c.verdict === 'improvement').length;
  out.push(
    '',
    regressions
      ? style.red(`${regressions} scenario${regressions > 1 ? 's' : ''} regressed`)
      : improvements
        ? style.green(`no regression; ${improvements} scenario${improvements > 1 ? 's' : ''} improved`)
        : 'no regression',
  );
  return out.join('\n');
}
