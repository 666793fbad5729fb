/**
 * Maps key paths in a parsed scenario back to line and column in its YAML text, so that every problem becomes a
 * `ScenarioError` at the node it is about (the CLI prints `file:line:col`; the Action annotates that line).
 */
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type Node as YamlNode,
  type Pair,
} from 'yaml';
import { ScenarioError } from '../errors.js';
import type { SourcePos } from './types.js';

/** One step of a key path: a mapping key or a list index. */
export type Segment = string | number;

/**
 * Where a problem points: at the key itself, at the value (or its key when the value is a collection), or at the
 * mapping that lacks a key.
 */
export type ProblemAnchor = 'key' | 'value' | 'parent';

/** A problem found at a key path, before it has a position. */
export interface LocatedProblem {
  path: Segment[];
  detail: string;
  anchor: ProblemAnchor;
}

export function pathKey(at: Segment[]): string {
  return at.map(String).join('.');
}

/** Maps key paths in the parsed data back to positions in the YAML text. */
export class SourceMap {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lineCounter: LineCounter,
    private readonly displayFile: string,
  ) {}

  errors(problems: readonly LocatedProblem[]): ScenarioError[] {
    const seen = new Set<string>();
    return problems
      .map((problem) => this.error(problem.path, problem.detail, problem.anchor))
      .filter((error) => {
        const key = `${error.line}:${error.column}:${error.keyPath}:${error.detail}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .sort((a, b) => a.line - b.line || a.column - b.column);
  }

  error(at: Segment[], detail: string, anchor: ProblemAnchor): ScenarioError {
    const pos =
      anchor === 'key' ? this.keyPos(at) : anchor === 'parent' ? this.valuePos(at.slice(0, -1)) : this.valuePos(at);
    return new ScenarioError(this.displayFile, pos.line, pos.column, pathKey(at), shortenQuoted(detail));
  }

  topLevelKeyPositions(): Record<string, SourcePos> {
    const positions: Record<string, SourcePos> = {};
    const contents = this.doc.contents;
    if (!isMap(contents)) return positions;
    for (const pair of contents.items) {
      const key = pair.key as YamlNode | null;
      if (isScalar(key) && key.range) positions[String(key.value)] = this.pos(key.range[0]);
    }
    return positions;
  }

  /** The key of the entry at `at`; falls back to the value when the entry is a list item. */
  has(at: Segment[]): boolean {
    return this.nodeAt(at) !== undefined;
  }

  keyPos(at: Segment[]): SourcePos {
    const key = this.pairAt(at)?.key as YamlNode | null | undefined;
    if (key?.range) return this.pos(key.range[0]);
    return this.valuePos(at);
  }

  /**
   * A scalar points at itself. A collection points at its key, which is where people look for "this mapping" (a block
   * mapping's own range starts at its first child key). A missing node points at its nearest existing ancestor.
   */
  valuePos(at: Segment[]): SourcePos {
    if (at.length === 0) {
      const range = this.doc.contents?.range;
      return range ? this.pos(range[0]) : { line: 1, column: 1 };
    }
    const node = this.nodeAt(at);
    if (!node) return this.valuePos(at.slice(0, -1));
    const emptyScalar = isScalar(node) && node.value === null && node.source === '';
    if (isScalar(node) && !emptyScalar && node.range) return this.pos(node.range[0]);
    const key = this.pairAt(at)?.key as YamlNode | null | undefined;
    if (key?.range) return this.pos(key.range[0]);
    return node.range ? this.pos(node.range[0]) : this.valuePos(at.slice(0, -1));
  }

  private pairAt(at: Segment[]): Pair | undefined {
    const parent = this.resolve(this.nodeAt(at.slice(0, -1)));
    return isMap(parent) ? findPair(parent.items as Pair[], at[at.length - 1]!) : undefined;
  }

  private nodeAt(at: Segment[]): YamlNode | undefined {
    let node: unknown = this.doc.contents;
    for (const segment of at) {
      const parent = this.resolve(node);
      if (isMap(parent)) node = findPair(parent.items as Pair[], segment)?.value;
      else if (isSeq(parent)) node = parent.items[Number(segment)];
      else return undefined;
    }
    return (node ?? undefined) as YamlNode | undefined;
  }

  /** Follows an alias (`*name`) to its anchored node, so paths through aliased mappings still find their keys. */
  private resolve(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  private pos(offset: number): SourcePos {
    return toSourcePos(this.lineCounter, offset);
  }
}

function findPair(items: Pair[], segment: Segment): Pair | undefined {
  return items.find((pair) => {
    const key = pair.key as YamlNode | null;
    return isScalar(key) && String(key.value) === String(segment);
  });
}

export function toSourcePos(lineCounter: LineCounter, offset: number): SourcePos {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/**
 * A message quoting a 100 kB value is unreadable, and raw control characters would garble a terminal: keep the start of
 * long quoted values, say how long they were, and show control characters as escapes.
 */
export function shortenQuoted(detail: string): string {
  return readableControls(detail).replace(
    /"((?:[^"\\]|\\.){120,})"/g,
    (_, inner: string) => `"${inner.slice(0, 60)}…" (${inner.length} characters)`,
  );
}

function readableControls(text: string): string {
  return text.replace(
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
