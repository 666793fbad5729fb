/**
 * The sticky pull-request comment: the stage table, the change against the A side or the base branch, offending
 * spans and hints, and where the HTML report is. One comment per pull request, found again by COMMENT_MARKER and
 * updated in place (src/action/pr-comment.ts posts it).
 *
 * Guest text (span edges, hint evidence) is untrusted: `mdText` makes it plain text in GitHub Markdown, so it cannot
 * open HTML, links, images or emphasis, break a table, or @-mention anyone.
 */
import type { RunResults } from '../../judge/types.js';
import type { ScenarioResult } from '../../judge/types.js';
import { formatMs } from '../../scenario/duration.js';
import { formatDelta, formatP } from '../compare.js';
import { comparisonOf, type BaselineSummary } from './regression.js';
import { passCount, spreadCells } from '../figures.js';

/** Hidden in the rendered comment; how the next run finds the comment to update. */
export const COMMENT_MARKER = '<!-- boot-budget:pr-comment -->';

export type CommentMode = 'on-change' | 'always' | 'never';
export const COMMENT_MODES: readonly CommentMode[] = ['on-change', 'always', 'never'];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '@': '&#64;', '|': '&#124;' };

/** Untrusted text as plain Markdown text on one line. */
export function mdText(text: string): string {
  // Backslashes first: the entities that follow bring their own `#`, which must stay unescaped.
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_[\]()#!~]/g, (c) => `\\${c}`)
    .replace(/[&<>@|]/g, (c) => ENTITIES[c]!);
}

const VERDICT: Record<string, string> = { pass: '✅ pass', fail: '❌ fail', warn: '⚠️ warn', none: '' };

/** What `on-change` comments on: a budget that failed or warned, or a regression or improvement. */
export function changes(results: RunResults, baseline?: BaselineSummary): string[] {
  const out: string[] = [];
  for (const s of results.scenarios) {
    if (s.verdict === 'error') out.push(`${s.name} could not be measured`);
    for (const stage of s.stages)
      if (stage.verdict === 'fail' || stage.verdict === 'warn')
        out.push(`${s.name} ${stage.name}: budget ${stage.verdict}`);
    const c = comparisonOf(s, baseline);
    for (const stage of c?.stages ?? [])
      if (stage.verdict === 'regression' || stage.verdict === 'improvement')
        out.push(`${s.name} ${stage.stage}: ${stage.verdict}`);
  }
  return out;
}

function stageTable(s: ScenarioResult, baseline?: BaselineSummary): string {
  const c = comparisonOf(s, baseline);
  const against = c?.kind === 'ab' ? 'vs A' : 'vs base';
  const rows = [
    `| stage | median | ± σ | budget | verdict |${c ? ` Δ ${against} | p | change |` : ''}`,
    `|---|---:|---:|---|---|${c ? '---:|---:|---|' : ''}`,
  ];
  for (const stage of s.stages) {
    const sum = stage.summary;
    const budget = stage.budget
      ? `${stage.budget.statistic} ≤ ${formatMs(stage.budget.max)}${stage.budget.level === 'warn' ? ' (warn)' : ''}`
      : '';
    const cmp = c?.stages.find((x) => x.stage === stage.name);
    const delta = cmp ? formatDelta(cmp) : undefined;
    const change = cmp
      ? ` ${delta!.ms} (${delta!.pct}) | ${formatP(cmp.pValue)} | ${cmp.verdict === 'regression' ? '❌ regression' : cmp.verdict === 'improvement' ? '✅ improvement' : mdText(cmp.verdict)} |`
      : c
        ? ' | | |'
        : '';
    rows.push(
      `| ${mdText(stage.name)} | ${sum ? formatMs(sum.median) : 'not seen'} | ${sum ? spreadCells(sum).sigma : ''} | ${budget} | ${VERDICT[stage.verdict]} |${change}`,
    );
  }
  return rows.join('\n');
}

function spansAndHints(s: ScenarioResult): string {
  const lines: string[] = [];
  for (const stage of s.stages) {
    if (stage.name === 'total' || !stage.span) continue;
    lines.push(
      `- **${mdText(stage.name)}**: ${formatMs(stage.span.ms)} between “${mdText(stage.span.from)}” and “${mdText(stage.span.to)}”`,
    );
  }
  const hints = s.stages.flatMap((stage) => stage.hints ?? []);
  for (const h of hints)
    lines.push(
      `- 💡 **${mdText(h.stage)} · ${mdText(h.id)}** ${formatMs(h.ms)}: ${mdText(h.advice)} Try: ${mdText(h.try)}. <sub>${mdText(h.evidence)}</sub>`,
    );
  return lines.length
    ? `<details><summary>Offending spans and hints</summary>\n\n${lines.join('\n')}\n\n</details>`
    : '';
}

export interface CommentOptions {
  /** Link to the workflow run, where the HTML report is an artifact. */
  runUrl?: string;
  /** The HTML report's file name, when the run writes one. */
  htmlFile?: string;
}

export function commentMarkdown(results: RunResults, baseline?: BaselineSummary, options: CommentOptions = {}): string {
  const found = changes(results, baseline);
  const failing = results.scenarios.filter((s) => s.verdict !== 'pass').length;
  const head = failing
    ? `❌ ${failing} of ${results.scenarios.length} scenario${results.scenarios.length === 1 ? '' : 's'} not passing`
    : `✅ ${results.scenarios.length} scenario${results.scenarios.length === 1 ? '' : 's'} within budget`;
  const parts = [COMMENT_MARKER, `## boot-budget: ${head}`];
  if (found.length === 0) parts.push('No budget failed or warned, and nothing changed against the baseline.');
  if (baseline && 'note' in baseline && baseline.note) parts.push(`<sub>${mdText(baseline.note)}</sub>`);
  for (const s of results.scenarios) {
    const icon = s.verdict === 'pass' ? '✅' : s.verdict === 'fail' ? '❌' : '💥';
    const c = comparisonOf(s, baseline);
    const against =
      c?.kind === 'ab'
        ? ' · A/B against the baseline booted in the same job'
        : c && baseline && 'source' in baseline
          ? ` · against ${mdText(baseline.source)}`
          : '';
    parts.push(
      `### ${icon} ${mdText(s.name)}\n<sub>${s.accel ?? 'no accelerator'} · ${passCount(s.passes)}${against}</sub>`,
    );
    if (s.error) parts.push(`> ${mdText(s.error)}`);
    else parts.push(stageTable(s, baseline), spansAndHints(s));
  }
  const where = options.htmlFile
    ? `The timeline of every pass is in the HTML report \`${options.htmlFile.replace(/`/g, "'")}\`, uploaded as an artifact of ${options.runUrl ? `[this run](${options.runUrl})` : 'this run'}.`
    : options.runUrl
      ? `Details: [this run](${options.runUrl}).`
      : '';
  if (where) parts.push(where);
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}
