import type { ScenarioResult, StageResult } from '../judge/types.js';
import { formatMs } from '../scenario/duration.js';
import type { Style } from './style.js';
import { renderAbSection } from './compare.js';
import { clip, nestedRows, table } from './layout.js';
import { count, passCount, spreadCells } from './figures.js';

const BAR_WIDTH = 50;
/** Initcalls drawn under the kernel stage in the chart; the table below lists more. */
const CHART_INITCALLS = 3;
/** Initcalls listed per stage under "slowest initcalls". */
const TABLE_INITCALLS = 10;

/** Console lines can carry the guest's indentation, which only takes room in a quote. */
export function truncate(text: string, max: number): string {
  return clip(text.trim(), max);
}

export function describeSpan(stage: StageResult, max = 60): string {
  const span = stage.span;
  if (!span) return '';
  return `${formatMs(span.ms)} between "${truncate(span.from, max)}" and "${truncate(span.to, max)}"`;
}

function header(result: ScenarioResult, style: Style): string {
  const facts = [
    `${result.hypervisor}${result.hypervisorVersion ? ` ${result.hypervisorVersion}` : ''} ${result.machine}${result.firmware ? ` (${result.firmware})` : ''}`,
    result.accel ?? 'no accelerator',
    ...(result.clock === 'virtual' ? ['virtual time (QEMU icount)'] : []),
    `${passCount(result.passes)} after ${result.warmup} warm-up`,
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
  const row = (label: string, startT: number, mean: number, stddev: number, n: number, glyph: string, note = '') => {
    // A row that starts before spawn (a negative mean start has been seen on a loaded machine) is drawn from 0.
    const from = Math.max(0, Math.min(BAR_WIDTH - 1, Math.floor(startT * scale)));
    const width = Math.max(1, Math.min(BAR_WIDTH - from, Math.round(mean * scale)));
    const bar = `${' '.repeat(from)}${glyph.repeat(width)}`.padEnd(BAR_WIDTH);
    const share = total > 0 ? `${((mean / total) * 100).toFixed(1)}%` : '';
    // One sample has no spread to show: `± 0.00 ms` would claim a boot that never varies.
    const figures = n > 1 ? `${formatMs(mean)} ± ${formatMs(stddev)}` : formatMs(mean);
    return `  ${label.padEnd(nameWidth)} ▕${bar}▏ ${figures.padEnd(20)} ${share.padStart(6)}${note}`.trimEnd();
  };
  for (const stage of stages) {
    const summary = stage.summary!;
    const over =
      stage.verdict === 'fail'
        ? `  ${style.red('✗ over budget')}`
        : stage.verdict === 'warn'
          ? `  ${style.yellow('! over budget (warn)')}`
          : '';
    lines.push(row(stage.name, stage.meanStartT!, summary.mean, summary.stddev, summary.n, '█', over));
    // Nested under their stage, as in libguestfs' boot-analysis: what explains it, on the same time axis.
    const nested = nestedRows(stage, CHART_INITCALLS);
    nested.forEach((n, i) => {
      // Passes differ in what bounds their largest gap: say when this span was that of only some of them.
      const some = n.n < summary.n ? ` (in ${n.n} of ${summary.n} passes)` : '';
      const label =
        n.kind === 'span'
          ? `span "${truncate(n.from, 28)}" → "${truncate(n.to, 28)}"${some}`
          : `${n.isSpan ? 'span ' : ''}initcall ${n.name}${some}`;
      lines.push(row('', n.startT, n.mean, n.stddev, n.n, '▒', `  ${i === nested.length - 1 ? '└' : '├'} ${label}`));
    });
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

/** Every stage with its statistics, its budget and verdict, and the offending span that explains it. */
export function renderBudgetTable(result: ScenarioResult, style: Style): string {
  if (result.verdict === 'error') return `  ${style.red('✗ ERROR')} ${result.error ?? ''}`;
  const rows: string[][] = [['stage', 'median', 'mean ± σ', 'min–max', 'CoV', 'budget', 'verdict', 'offending span']];
  for (const stage of result.stages) {
    const s = stage.summary;
    const spread = s ? spreadCells(s) : { meanSigma: '', range: '', cov: '' };
    const budget = stage.budget
      ? `${stage.budget.statistic} ≤ ${formatMs(stage.budget.max)}${stage.budget.level === 'warn' ? ' (warn)' : ''}`
      : '';
    rows.push([
      stage.name,
      s ? formatMs(s.median) : 'not seen',
      spread.meanSigma,
      spread.range,
      spread.cov,
      budget,
      verdictCell(stage, style),
      describeSpan(stage, 40),
    ]);
  }
  const out = table(rows, 'left').map((line) => `  ${line}`);
  out[0] = style.dim(out[0]!);
  return out.join('\n');
}

export function renderVerdictLine(result: ScenarioResult, style: Style): string {
  const failed = result.stages.filter((s) => s.verdict === 'fail').length;
  const warned = result.stages.filter((s) => s.verdict === 'warn').length;
  const on = `${result.accel ?? 'no accelerator'}${result.clock === 'virtual' ? ' in virtual time' : ''}`;
  switch (result.verdict) {
    case 'pass':
      return `  ${style.green('PASS')} ${result.name}: every budget met on ${on}${warned ? `, ${warned} warning${warned > 1 ? 's' : ''}` : ''}`;
    case 'fail':
      return `  ${style.red('FAIL')} ${result.name}: ${failed} budget${failed > 1 ? 's' : ''} exceeded on ${on}`;
    case 'error':
      return `  ${style.red('ERROR')} ${result.name}: could not be measured`;
  }
}

/** How many units and chain links the terminal lists. */
const TERMINAL_UNITS = 8;

/** systemd's own split, the slowest units, the critical chain to the ready target and what could be masked. */
function renderSystemd(result: ScenarioResult, style: Style): string[] {
  const out: string[] = [];
  const sd = result.systemd;
  if (sd) {
    const phases = Object.entries(sd.phases).map(([phase, ms]) => `${phase} ${formatMs(ms)}`);
    const source = sd.source === 'manager' ? ", from the manager's timestamps" : '';
    out.push(`  systemd: ${phases.join(' + ')} = ${formatMs(sd.totalMs)}${source}`);
  }
  if (result.units?.length) {
    out.push('', `  slowest units (${result.units.length} started before ready; * on the critical chain):`);
    const units = result.units.slice(0, TERMINAL_UNITS);
    const width = Math.max(...units.map((u) => u.name.length));
    for (const u of units)
      out.push(`    ${u.name.padEnd(width)}  ${formatMs(u.ms).padStart(9)}${u.critical ? ' *' : ''}`);
  }
  if (sd?.criticalChain?.length) {
    out.push('', `  critical chain to ${sd.target} (@ when reached after userspace started, + time to start):`);
    sd.criticalChain.forEach((link, depth) => {
      const took = link.ms > 0 ? ` +${formatMs(link.ms)}` : '';
      const line = `    ${'  '.repeat(Math.min(depth, 1))}${depth ? '└─' : ''}${link.name} @${formatMs(link.atMs)}${took}`;
      out.push(link.ms > 0 ? style.red(line) : line);
    });
  }
  if (sd?.surgery?.length) {
    out.push('', '  surgery (units on the critical chain an image could mask, share of the chain):');
    for (const c of sd.surgery.slice(0, TERMINAL_UNITS))
      out.push(`    systemctl mask ${c.name}  # ${formatMs(c.ms)}, ${(c.share * 100).toFixed(1)}%`);
  }
  if (sd?.waiting?.length) out.push(`  still queued at ready: ${sd.waiting.join(', ')}`);
  if (sd?.problems?.length) out.push(`  ${style.yellow('systemctl said:')} ${sd.problems.slice(0, 3).join(' | ')}`);
  return out;
}

/** Why stages took what they took: the alignment's uncertainty, systemd's own split, the slowest initcalls and the
 *  hints that applied, each with its evidence and what to try. */
export function renderDiagnosis(result: ScenarioResult, style: Style): string {
  const out: string[] = [];
  if (result.alignment) {
    out.push(
      style.dim(
        result.alignment.pairs > 1
          ? `  kernel log aligned to host time on ${count(result.alignment.pairs, 'record')} seen on both sides; kernel-log times are uncertain by up to ${formatMs(result.alignment.spreadMs)} (spread of host − guest)`
          : '  kernel log aligned to host time on 1 record seen on both sides; one record gives no spread, so how uncertain kernel-log times are is unknown',
      ),
    );
  }
  if (result.init && result.init.kind !== 'agent')
    out.push(style.dim(`  init: ${result.init.kind} (${result.init.path}); ready: ${result.init.readiness}`));
  out.push(...renderSystemd(result, style));
  for (const stage of result.stages) {
    if (!stage.initcalls?.length) continue;
    out.push('', `  slowest initcalls in ${stage.name} (mean ± σ, share of ${stage.name}):`);
    const calls = stage.initcalls.slice(0, TABLE_INITCALLS);
    const width = Math.max(...calls.map((c) => c.name.length));
    for (const call of calls) {
      out.push(
        `    ${call.name.padEnd(width)}  ${spreadCells(call.summary).meanSigma.padEnd(20)} ${`${(call.share * 100).toFixed(1)}%`.padStart(6)}`,
      );
    }
  }
  const hints = result.stages.flatMap((stage) => stage.hints ?? []);
  if (hints.length) {
    out.push('', '  hints:');
    for (const hint of hints) {
      out.push(
        `    ${style.yellow('▸')} ${style.bold(hint.stage)} ${hint.id}: ${formatMs(hint.ms)} (${(hint.share * 100).toFixed(1)}% of ${hint.stage}) — ${hint.evidence}`,
      );
      out.push(`      ${hint.advice}`);
      out.push(`      try: ${hint.try}`);
    }
  }
  return out.join('\n');
}

export function renderScenario(result: ScenarioResult, style: Style): string {
  const diagnosis = result.verdict === 'error' ? '' : renderDiagnosis(result, style);
  const parts = [renderChart(result, style), '', renderBudgetTable(result, style), ...(diagnosis ? [diagnosis] : [])];
  if (result.accelWarning) parts.push(`  ${style.yellow('warning:')} ${result.accelWarning}`);
  if (result.consoleTruncatedBytes) {
    const mib = (result.consoleTruncatedBytes / 1024 / 1024).toFixed(1);
    parts.push(
      `  ${style.yellow('note:')} the guest flooded the console; ${mib} MiB of its output in the middle of a pass were not kept (timings come from the lines kept before and after)`,
    );
  }
  parts.push(renderVerdictLine(result, style));
  // The A/B table, its verdict and the pass count come after the budget verdict, which stays unchanged.
  const ab = result.verdict === 'error' ? '' : renderAbSection(result, style);
  if (ab) parts.push(ab);
  return parts.join('\n');
}
