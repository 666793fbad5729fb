/** What the terminal and SVG renderers share: text clipping, column layout and the rows nested under a stage. */
import type { StageResult } from '../judge/types.js';

const ELLIPSIS = '…';

/** `text` cut to `max` characters, the last one an ellipsis when anything was cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}${ELLIPSIS}`;
}

// Colour codes take no columns on a terminal, so widths count the text around them.
const ANSI = /\u001b\[\d+m/g;

export function visibleLength(cell: string): number {
  return cell.replace(ANSI, '').length;
}

export type Align = 'left' | 'right';

/**
 * Rows as columns two spaces apart, each as wide as its widest cell. `align` is one alignment for every column or
 * one per column. The last column is never padded, so no line ends in spaces.
 */
export function table(rows: readonly string[][], align: Align | readonly Align[]): string[] {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => visibleLength(r[i] ?? ''))));
  const alignOf = (i: number) => (typeof align === 'string' ? align : (align[i] ?? 'left'));
  return rows.map((row) =>
    row
      .map((cell, i) => {
        if (i === row.length - 1) return cell;
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)));
        return alignOf(i) === 'right' ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

interface Timing {
  startT: number;
  mean: number;
  stddev: number;
  /** How many passes the figures come from: a span or initcall may be in fewer passes than its stage. */
  n: number;
}

/** A row drawn under its stage: the offending span, or one of the slowest initcalls (the span may be one too). */
export type NestedRow = Timing &
  ({ kind: 'span'; from: string; to: string } | { kind: 'initcall'; name: string; isSpan: boolean });

/** What explains a stage, on the stage's time axis: its offending span, then its `maxInitcalls` slowest initcalls. */
export function nestedRows(stage: StageResult, maxInitcalls: number): NestedRow[] {
  const rows: NestedRow[] = [];
  if (!stage.summary || stage.name === 'total') return rows;
  // A span as long as its stage (firmware without firmware output) would only repeat the stage's row.
  if (
    stage.span &&
    stage.spanSummary &&
    stage.spanMeanStartT !== undefined &&
    stage.spanSummary.mean < 0.999 * stage.summary.mean
  ) {
    const timing = {
      startT: stage.spanMeanStartT,
      mean: stage.spanSummary.mean,
      stddev: stage.spanSummary.stddev,
      n: stage.spanSummary.n,
    };
    rows.push(
      stage.span.kind === 'initcall'
        ? { ...timing, kind: 'initcall', name: stage.span.from.replace(/^calling /, ''), isSpan: true }
        : { ...timing, kind: 'span', from: stage.span.from, to: stage.span.to },
    );
  }
  for (const call of (stage.initcalls ?? []).slice(0, maxInitcalls)) {
    rows.push({
      startT: call.meanStartT,
      mean: call.summary.mean,
      stddev: call.summary.stddev,
      n: call.summary.n,
      kind: 'initcall',
      name: call.name,
      isSpan: false,
    });
  }
  return rows;
}
