/**
 * JUnit XML in the common (Jenkins / Ant) shape that CI servers read: one <testsuite> per scenario, one <testcase> per
 * budgeted stage. A stage over its budget is a <failure> (level error) or, for a warn-level budget, passes with the
 * overrun in <system-out>; the failure's text names the offending span and the hints. A scenario that could not be
 * measured is one <testcase> with an <error>.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunResults } from '../judge/types.js';
import type { ScenarioResult, StageResult } from '../judge/types.js';
import { formatMs } from '../scenario/duration.js';
import { escapeXml } from './svg.js';

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function explain(stage: StageResult): string {
  const lines: string[] = [];
  const budget = stage.budget!;
  lines.push(
    budget.value === null
      ? `stage ${stage.name} was never seen, so its budget of ${formatMs(budget.max)} cannot be met`
      : `${budget.statistic} ${formatMs(budget.value)} > budget ${formatMs(budget.max)}`,
  );
  if (stage.span)
    lines.push(`offending span: ${formatMs(stage.span.ms)} between "${stage.span.from}" and "${stage.span.to}"`);
  for (const hint of stage.hints ?? [])
    lines.push(`hint ${hint.id}: ${hint.evidence}. ${hint.advice} Try: ${hint.try}`);
  return lines.join('\n');
}

function testcase(result: ScenarioResult, stage: StageResult): string {
  const budget = stage.budget!;
  const time = budget.value ?? 0;
  const name = `${stage.name} ${budget.statistic} ≤ ${formatMs(budget.max)}`;
  const open = `<testcase classname="${escapeXml(`boot-budget.${result.name}`)}" name="${escapeXml(name)}" file="${escapeXml(result.file)}" line="${budget.line}" time="${seconds(time)}"`;
  if (stage.verdict === 'fail') {
    const message = explain(stage).split('\n')[0]!;
    return `${open}>\n<failure message="${escapeXml(message)}" type="BudgetExceeded">${escapeXml(explain(stage))}</failure>\n</testcase>`;
  }
  if (stage.verdict === 'warn')
    return `${open}>\n<system-out>${escapeXml(`warning: ${explain(stage)}`)}</system-out>\n</testcase>`;
  return `${open}/>`;
}

function testsuite(result: ScenarioResult): string {
  const budgeted = result.stages.filter((s) => s.budget);
  const attrs = (tests: number, failures: number, errors: number, time: number) =>
    `name="${escapeXml(result.name)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="0" time="${seconds(time)}"`;
  const props = [
    ['accel', result.accel ?? ''],
    ['hypervisor', `${result.hypervisor} ${result.hypervisorVersion ?? ''}`.trim()],
    ['machine', result.machine],
    ['cmdline', result.cmdline ?? ''],
  ]
    .map(([name, value]) => `<property name="${escapeXml(name!)}" value="${escapeXml(value!)}"/>`)
    .join('');
  if (result.verdict === 'error') {
    return `<testsuite ${attrs(1, 0, 1, 0)}>\n<properties>${props}</properties>\n<testcase classname="${escapeXml(`boot-budget.${result.name}`)}" name="boot" file="${escapeXml(result.file)}" time="0"><error message="${escapeXml(result.error ?? 'could not be measured')}" type="InfraError">${escapeXml(result.error ?? '')}</error></testcase>\n</testsuite>`;
  }
  const failures = budgeted.filter((s) => s.verdict === 'fail').length;
  const total = result.stages.find((s) => s.name === 'total')?.summary?.mean ?? 0;
  return `<testsuite ${attrs(budgeted.length, failures, 0, total)}>\n<properties>${props}</properties>\n${budgeted.map((s) => testcase(result, s)).join('\n')}\n</testsuite>`;
}

export function renderJunit(results: RunResults): string {
  const suites = results.scenarios.map(testsuite);
  const count = (key: 'tests' | 'failures' | 'errors') =>
    suites.reduce((sum, suite) => sum + Number(new RegExp(`^<testsuite [^>]*?${key}="(\\d+)"`).exec(suite)![1]), 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="boot-budget" tests="${count('tests')}" failures="${count('failures')}" errors="${count('errors')}">\n${suites.join('\n')}\n</testsuites>\n`;
}

export async function writeJunit(file: string, results: RunResults): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, renderJunit(results));
}
