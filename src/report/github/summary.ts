import type { RunResults } from '../../judge/types.js';
import { judgeRun, type RunVerdict } from '../../judge/verdict.js';
import type { ScenarioResult, StageResult } from '../../judge/types.js';
import { formatMs } from '../../scenario/duration.js';
import { placedUnits } from '../svg-units.js';
import { describeSpan } from '../terminal.js';
import type { Annotation } from './annotations.js';
import type { ScenarioComparison } from '../../judge/compare.js';
import { baselineLine, comparisonOf, deltaCell, type BaselineSummary } from './regression.js';
import { abNote } from './ab-summary.js';
import { tcgFallbackSummary } from './accel-notice.js';
import { passCount, spreadCells } from '../figures.js';

/** GitHub refuses step summaries over 1 MiB; stay well below it and say when something was left out. */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024 - 64 * 1024;

const VERDICT_CELL: Record<StageResult['verdict'], string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  warn: '⚠️ warn',
  none: '',
};

/** Table cells and inline code must not break the Markdown around them. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\r?\n/g, ' ')}\``;
}

function budgetCell(stage: StageResult): string {
  if (!stage.budget) return '';
  return `${stage.budget.statistic} ≤ ${formatMs(stage.budget.max)}${stage.budget.level === 'warn' ? ' (warn)' : ''}`;
}

function scenarioHeading(s: ScenarioResult): string {
  const verdict = s.verdict === 'pass' ? '✅' : s.verdict === 'fail' ? '❌' : '💥';
  return `### ${verdict} ${s.name}\n\n${code(s.file)} · ${s.hypervisor}${s.hypervisorVersion ? ` ${s.hypervisorVersion}` : ''} ${s.machine} · **${s.accel ?? 'no accelerator'}**${s.clock === 'virtual' ? ' · **virtual time** (QEMU icount)' : ''} · ${passCount(s.passes)} after ${s.warmup} warm-up`;
}

function stageTable(s: ScenarioResult, comparison?: ScenarioComparison): string {
  // A Δ column when the scenario has a baseline (A/B in this job, or the base branch's results).
  const delta = comparison
    ? { head: ' Δ vs baseline |', rule: '---:|', cell: (name: string) => ` ${cell(deltaCell(comparison, name))} |` }
    : undefined;
  const rows = [
    `| stage | median | ± σ | budget | verdict | accel |${delta?.head ?? ''}`,
    `|---|---:|---:|---|---|---|${delta?.rule ?? ''}`,
  ];
  for (const stage of s.stages) {
    const summary = stage.summary;
    rows.push(
      `| ${stage.name} | ${summary ? formatMs(summary.median) : 'not seen'} | ${summary ? spreadCells(summary).sigma : ''} | ${cell(budgetCell(stage))} | ${VERDICT_CELL[stage.verdict]} | ${s.accel ?? ''} |${delta?.cell(stage.name) ?? ''}`,
    );
  }
  return rows.join('\n');
}

/** A mermaid gantt of the median boot, which GitHub renders itself: each stage at its mean start, median long. */
function gantt(s: ScenarioResult): string {
  const stages = s.stages.filter((stage) => stage.summary && stage.meanStartT !== null && stage.name !== 'total');
  if (stages.length === 0) return '';
  const lines = [
    '```mermaid',
    'gantt',
    `  title ${s.name}: median boot, ms since the hypervisor started`,
    '  dateFormat x',
    '  axisFormat %S.%L s',
    '  section stages',
  ];
  for (const stage of stages) {
    const start = Math.round(stage.meanStartT!);
    const end = Math.max(start + 1, Math.round(stage.meanStartT! + stage.summary!.median));
    const tag = stage.verdict === 'fail' ? 'crit, ' : '';
    lines.push(`  ${stage.name} ${formatMs(stage.summary!.median)} : ${tag}${start}, ${end}`);
  }
  // A systemd image's slowest units, from the typical pass; those on the critical chain are marked.
  const units = placedUnits(s);
  if (units.length > 0) lines.push('  section systemd units');
  for (const unit of units.slice(0, SUMMARY_UNITS)) {
    const start = Math.round(unit.activating!);
    const end = Math.max(start + 1, Math.round(unit.active!));
    // Mermaid reads `:` and `;` in a task name as syntax.
    lines.push(
      `  ${unit.name.replace(/[:;#]/g, '_')} ${formatMs(unit.ms)} : ${unit.critical ? 'crit, ' : ''}${start}, ${end}`,
    );
  }
  lines.push('```');
  return lines.join('\n');
}

/** How many of a systemd image's slowest units the summary's chart draws. */
const SUMMARY_UNITS = 8;

function spanList(s: ScenarioResult): string {
  const items = s.stages
    .filter((stage) => stage.span || stage.hints?.length)
    .map((stage) => {
      const span = stage.span
        ? cell(describeSpan(stage, 100)).replace(/"([^"]*)"/g, (_, t: string) => code(t))
        : 'no span';
      const hints = (stage.hints ?? []).map(
        (h) => `\n  - 💡 ${cell(h.evidence)} (${formatMs(h.ms)}): ${cell(h.advice)} Try ${code(h.try)}.`,
      );
      return `- **${stage.name}** (${VERDICT_CELL[stage.verdict] || 'no budget'}): ${span}${hints.join('')}`;
    });
  const chain = s.systemd?.criticalChain;
  if (chain?.length)
    items.push(
      `- **systemd critical chain** to ${code(s.systemd!.target ?? chain[0]!.name)}: ${chain
        .filter((l) => l.ms > 0)
        .map((l) => `${code(l.name)} +${formatMs(l.ms)}`)
        .join(' ← ')}`,
    );
  if (items.length === 0) return '';
  return `<details><summary>Offending spans and hints</summary>\n\n${items.join('\n')}\n\n</details>`;
}

export function summaryMarkdown(
  results: RunResults,
  overflow: readonly Annotation[] = [],
  baseline?: BaselineSummary,
  /** The run's verdict as the front end judged it (its fail-on setting); judged with the defaults when not given. */
  run: RunVerdict = judgeRun(results, { failOn: 'error', comparisonOf: (s) => comparisonOf(s, baseline) }),
): string {
  const { failed, warned, errors, regressed } = run;
  const plural = (n: number, word: string) => `${n} ${word}${n > 1 ? 's' : ''}`;
  const headline = errors.length
    ? `💥 ${plural(errors.length, 'scenario')} could not be measured`
    : failed
      ? `❌ ${plural(failed, 'budget')} exceeded`
      : run.verdict === 'fail' && warned && !regressed.length
        ? `❌ ${plural(warned, 'warn-level budget')} exceeded (fail-on: warn)`
        : '✅ every budget met';
  const parts = [`## boot-budget: ${headline}`];
  if (regressed.length) parts.push(`❌ regression in ${regressed.map(code).join(', ')}`);
  const against = baselineLine(results, baseline);
  if (against) parts.push(against);
  const tcg = tcgFallbackSummary(results);
  if (tcg) parts.push(tcg);
  if (overflow.length) {
    parts.push(
      `### ${overflow.length} more finding${overflow.length > 1 ? 's' : ''} than GitHub shows as annotations\n\nGitHub shows at most 10 error and 10 warning annotations per step; these did not fit:\n\n` +
        overflow
          .map((a) => `- ${a.level} ${code(`${a.file}:${a.line}`)} ${cell(a.title)}: ${cell(a.message)}`)
          .join('\n'),
    );
  }
  for (const s of results.scenarios) {
    const section = [scenarioHeading(s)];
    if (s.verdict === 'error') section.push(`Could not be measured: ${code(s.error ?? 'unknown error')}`);
    else section.push(stageTable(s, comparisonOf(s, baseline)), abNote(s), gantt(s), spanList(s));
    parts.push(section.filter(Boolean).join('\n\n'));
  }
  // Whole sections only, so a cut never leaves a broken table or an unclosed mermaid block.
  const cutNote =
    "…cut here: the rest would exceed GitHub's 1 MiB summary limit; the full results are in the results JSON.";
  let text = '';
  for (const part of parts) {
    const next = `${text}${part}\n\n`;
    if (Buffer.byteLength(next) + Buffer.byteLength(cutNote) + 2 > SUMMARY_LIMIT_BYTES) return `${text}${cutNote}\n`;
    text = next;
  }
  return text.replace(/\n\n$/, '\n');
}
