/** One scenario file's text → a typed `Scenario`, or every problem in it at its line and column. */
import { clockProblems } from './clock.js';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit } from 'yaml';
import { ScenarioError } from '../errors.js';
import { toKernelSpec, toRootfsSpec } from './artifact-specs.js';
import { defaultFirmware, diskBootProblems } from './disk-boot.js';
import { toRegressionExtras } from './baseline-spec.js';
import { parseDuration, parseMemory } from './duration.js';
import {
  budgetStageProblems,
  dropImpliedMissingKeys,
  isPlainObject,
  messageForIssue,
  problemsFromIssues,
} from './problems.js';
import { parseRegexLiteral, scenarioSchema, type RawScenario } from './schema.js';
import { shortenQuoted, SourceMap, toSourcePos } from './source-map.js';
import type { Budget, ReadySpec, Scenario, SourcePos, StageDef } from './types.js';

const EMPTY_FILE = 'the file is empty; a scenario needs at least `name`, `kernel` and `rootfs`';

export type Parsed = { ok: true; scenario: Scenario; source: SourceMap } | { ok: false; errors: ScenarioError[] };

export function parseScenarioText(text: string, file: string, displayFile: string): Parsed {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourcePos => toSourcePos(lineCounter, offset);
  const fail = (pos: SourcePos, keyPath: string, detail: string): Parsed => ({
    ok: false,
    errors: [new ScenarioError(displayFile, pos.line, pos.column, keyPath, shortenQuoted(detail))],
  });

  const [doc, second] = documents;
  if (!doc) {
    const syntax = 'errors' in documents ? documents.errors[0] : undefined;
    if (syntax) return fail(at(syntax.pos[0]), '', `invalid YAML: ${syntax.message}`);
    return fail({ line: 1, column: 1 }, '', EMPTY_FILE);
  }
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: distinctYamlErrors(doc.errors).map((error) => {
        const pos = at(unclosedOpener(text, error.pos[0], error.message));
        return new ScenarioError(displayFile, pos.line, pos.column, '', `invalid YAML: ${yamlProblem(error.message)}`);
      }),
    };
  }
  if (second) {
    return fail(
      at(second.range[0]),
      '',
      'found a second YAML document (after `---`); a file holds exactly one scenario, so put each in its own file',
    );
  }
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    return fail({ line: 1, column: 1 }, '', EMPTY_FILE);
  }
  if (!isMap(contents)) {
    const kind = isSeq(contents) ? 'a list' : 'a single value';
    const detail = `the top level must be a mapping (name: …, kernel: …), not ${kind}`;
    return fail(at(contents.range?.[0] ?? 0), '', detail);
  }

  let data: unknown;
  try {
    // Aliases can expand exponentially ("billion laughs"); a scenario never needs more than a handful.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // The expansion is what fails, so point at where it starts: the first alias.
    let firstAlias: number | undefined;
    visit(doc, {
      Alias(_, node) {
        firstAlias = node.range?.[0];
        return visit.BREAK;
      },
    });
    const detail = /alias/i.test((error as Error).message)
      ? 'too many aliases (`*name`) expand here: the document would grow exponentially ("billion laughs"); a scenario needs at most a handful'
      : `invalid YAML: ${(error as Error).message}`;
    return fail(firstAlias === undefined ? { line: 1, column: 1 } : at(firstAlias), '', detail);
  }

  const source = new SourceMap(doc, lineCounter, displayFile);
  const result = scenarioSchema.safeParse(data, { error: messageForIssue, reportInput: true });
  const problems = [
    ...(result.success ? [] : problemsFromIssues(result.error.issues, [], data)),
    ...budgetStageProblems(data),
    ...clockProblems(data),
    ...diskBootProblems(data),
  ];
  if (!result.success || problems.length > 0) {
    return { ok: false, errors: source.errors(dropImpliedMissingKeys(problems)) };
  }
  // zod rebuilds `budgets` with the built-in stages first; reports list budgets in the order the user wrote them.
  const budgetOrder = isPlainObject(data) && isPlainObject(data['budgets']) ? Object.keys(data['budgets']) : [];
  return { ok: true, scenario: toScenario(result.data, budgetOrder, file, displayFile, source), source };
}

function toScenario(
  raw: RawScenario,
  budgetOrder: string[],
  file: string,
  displayFile: string,
  source: SourceMap,
): Scenario {
  const stages: StageDef[] = raw.stages.map((stage, index) => ({
    name: stage.name,
    from: parseRegexLiteral(stage.from),
    to: parseRegexLiteral(stage.to),
    pos: source.valuePos(['stages', index]),
  }));
  const budgets: Budget[] = budgetOrder.flatMap((stage): Budget[] => {
    const budget = raw.budgets[stage];
    if (budget === undefined) return [];
    const spec = typeof budget === 'string' ? { max: budget, level: 'error' as const, statistic: undefined } : budget;
    return [
      {
        stage,
        maxMs: parseDuration(spec.max),
        level: spec.level,
        statistic: spec.statistic ?? raw.statistic,
        pos: source.keyPos(['budgets', stage]),
      },
    ];
  });
  const ready: ReadySpec =
    raw.ready === 'agent'
      ? { kind: 'agent' }
      : typeof raw.ready === 'string'
        ? { kind: 'regex', regex: parseRegexLiteral(raw.ready) }
        : 'target' in raw.ready
          ? { kind: 'target', name: raw.ready.target, pos: source.valuePos(['ready', 'target']) }
          : { kind: 'unit', name: raw.ready.unit, pos: source.valuePos(['ready', 'unit']) };
  return {
    name: raw.name,
    file,
    displayFile,
    ...(raw.kernel
      ? {
          kernel: toKernelSpec(raw.kernel, path.dirname(file), (key) => ({
            file: displayFile,
            keyPath: `kernel.${key}`,
            ...source.keyPos(['kernel', key]),
          })),
        }
      : {}),
    rootfs: toRootfsSpec(raw.rootfs, path.dirname(file)),
    boot: raw.boot,
    hypervisor: raw.hypervisor,
    doorbell: raw.doorbell,
    machine: raw.machine,
    firmware:
      raw.firmware ??
      defaultFirmware(raw.boot, 'disk-image' in raw.rootfs ? raw.rootfs['disk-image'].firmware : undefined),
    kvm: raw.kvm,
    clock: raw.clock,
    cpus: raw.cpus,
    memoryMiB: parseMemory(raw.memory),
    cmdline: raw.cmdline,
    initcalls: raw.initcalls,
    passes: raw.passes,
    warmup: raw.warmup,
    timeoutMs: parseDuration(raw.timeout),
    ready,
    run: raw.run,
    stages,
    budgets,
    keyPos: source.topLevelKeyPositions(),
    ...toRegressionExtras(
      raw,
      file,
      (key) => source.keyPos([key]),
      (key) => ({
        file: displayFile,
        keyPath: `baseline.kernel.${key}`,
        ...source.keyPos(['baseline', 'kernel', key]),
      }),
    ),
  };
}

/** A nesting bomb yields one identical error per level; the first says it. */
function distinctYamlErrors<E extends { code: string; message: string }>(errors: readonly E[]): E[] {
  const seen = new Set<string>();
  return errors.filter((error) => {
    const key = `${error.code} ${error.message.split(' at line')[0]}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The parser's own words, except where they describe its insides rather than the file. */
function yamlProblem(message: string): string {
  if (/call stack/i.test(message))
    return 'the document is nested too deeply to read; a scenario needs only a few levels';
  return message;
}

/**
 * The parser notices a missing `"`, `}` or `]` where the file ends or the next key starts, which can be far below the
 * line that needs the fix. Point at the nearest line above that opens one more than it closes.
 */
function unclosedOpener(text: string, offset: number, message: string): number {
  const pair = /quote/i.test(message)
    ? ['"', '"']
    : /flow map/i.test(message)
      ? ['{', '}']
      : /flow seq/i.test(message)
        ? ['[', ']']
        : undefined;
  if (!pair) return offset;
  const [open, close] = pair as [string, string];
  let end = Math.min(offset, text.length);
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text
      .slice(start, end)
      .replace(/\\./g, '')
      .replace(/(^|\s)#.*$/, '');
    const opens = line.split(open).length - 1;
    const unbalanced = open === close ? opens % 2 === 1 : opens > line.split(close).length - 1;
    if (unbalanced) return start + Math.max(0, text.slice(start, end).indexOf(open));
    end = start - 1;
  }
  return offset;
}
