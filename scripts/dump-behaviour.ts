/**
 * Prints what a refactoring must leave byte-identical, so that a before/after diff shows any change of behaviour:
 * - for a few scenarios (every rootfs kind, initcalls, a baseline with its own cmdline, microvm/qboot), the
 *   hypervisor argv the core builds for each side and the sha256 of the initrd/disk it points at, with the agent's
 *   generated /init printed in full;
 * - for every captured boot in test/fixtures/boots, the results JSON, JUnit, terminal report and step summary that
 *   the measure → judge → report steps make of it, plus the CLI's exit code for those results.
 *
 * Usage: npx tsx scripts/dump-behaviour.ts > before.txt   (…change…)   npx tsx scripts/dump-behaviour.ts > after.txt
 * Paths are fixed (/tmp/boot-budget-dump) so that the argv compares; nothing boots.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { qemuBackend } from '../src/boot/qemu.js';
import { baselineScenario, baselineSpecFor, prepareBoot } from '../src/core/passes.js';
import { agentScript } from '../src/agent/script.js';
import { judgeStages, scenarioVerdict } from '../src/judge/budgets.js';
import { compareScenario } from '../src/judge/compare.js';
import type { ScenarioResult } from '../src/judge/types.js';
import { DEFAULT_REGRESSION } from '../src/judge/regression.js';
import { measurePass } from '../src/measure/measure-pass.js';
import { ALWAYS_LISTED_STAGES } from '../src/scenario/builtin-stages.js';
import { resultsToJson } from '../src/report/json.js';
import { renderJunit } from '../src/report/junit.js';
import { plainStyle } from '../src/report/style.js';
import { renderScenario } from '../src/report/terminal.js';
import { summaryMarkdown } from '../src/report/github/summary.js';
import { exitCodeFor } from '../src/cli/exit-code.js';
import { judgeRun } from '../src/judge/verdict.js';
import { loadScenarioFile } from '../src/scenario/load.js';
import type { BootTrace } from '../src/boot/types.js';

const root = '/tmp/boot-budget-dump';
const dir = join(root, 'scenarios');
const cacheDir = join(root, 'cache');
// A fresh cache each time, so that every image is built by the code under test rather than found in the cache.
rmSync(root, { recursive: true, force: true });
mkdirSync(join(dir, 'tree', 'etc'), { recursive: true });
mkdirSync(cacheDir, { recursive: true });
writeFileSync(join(dir, 'vmlinuz'), 'not really a kernel\n');
writeFileSync(join(dir, 'tree', 'etc', 'hostname'), 'dump\n');
writeFileSync(join(dir, 'tree', 'init'), '#!/bin/sh\necho ready\n', { mode: 0o755 });

const scenarios: Record<string, string> = {
  'busybox-initcalls.yaml': `name: busybox-initcalls
kernel: {path: vmlinuz}
rootfs: {busybox: {}}
cmdline: console=ttyS0 quiet
initcalls: true
run: [echo hi, "sleep 0.1"]
stages:
  - {name: probe, from: /Run /init/, to: /hi/}
budgets: {kernel: 2s, probe: 100ms, total: {max: 5s, level: warn}}
`,
  'microvm-baseline.yaml': `name: microvm-baseline
kernel: {path: vmlinuz}
rootfs: {busybox: {}}
machine: microvm
cpus: 2
memory: 512M
initcalls: true
cmdline: console=ttyS0
baseline: {cmdline: console=ttyS0 quiet log_buf_len=8M, run: ["true"]}
regression: {max-increase: 5%}
budgets: {userspace: 1s}
`,
  'tree-initramfs.yaml': `name: tree-initramfs
kernel: {path: vmlinuz}
rootfs: {initramfs: tree}
firmware: qboot
ready: /ready/
budgets: {total: 3s}
`,
  'tree-ext4.yaml': `name: tree-ext4
kernel: {path: vmlinuz}
rootfs: {layers: [tree], into: ext4}
cmdline: console=ttyS0 quiet rw
budgets: {total: 3s}
`,
};

const debugfsCat = (image: string, file: string) =>
  execFileSync('debugfs', ['-R', `cat ${file}`, image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const out: string[] = [];
const log = () => {};

for (const [file, text] of Object.entries(scenarios)) {
  writeFileSync(join(dir, file), text);
  out.push(`=== scenario ${file}`);
  try {
    const scenario = await loadScenarioFile(file, dir);
    out.push(`init (agent):\n${agentScript(scenario.run)}`);
    const sides = [scenario];
    const spec = baselineSpecFor(scenario);
    if (spec) sides.push(baselineScenario(scenario, spec));
    for (const side of sides) {
      const prepared = await prepareBoot(side, qemuBackend, 'qemu-system-x86_64', 'tcg', cacheDir, {
        cacheDir,
        log,
      });
      out.push(`argv: ${JSON.stringify([prepared.command.file, ...prepared.command.args])}`);
      out.push(`cmdline: ${prepared.command.cmdline}`);
      out.push(`kernel: ${prepared.kernel} rootfs: ${prepared.rootfs} firmware: ${prepared.firmware}`);
      for (const arg of prepared.command.args) {
        for (const part of arg.split(',')) {
          const path = part.replace(/^file=/, '');
          if (!path.startsWith(cacheDir)) continue;
          // mke2fs stamps times and a UUID, so an ext4 image is compared by the /init it holds.
          if (path.endsWith('.ext4'))
            out.push(`  ${path} /boot-budget/init:\n${debugfsCat(path, '/boot-budget/init')}`);
          else out.push(`  ${path}: ${sha(readFileSync(path))}`);
        }
      }
    }
  } catch (error) {
    out.push(`error: ${(error as Error).message}`);
  }
}

const bundled = await loadScenarioFile(join(dir, 'busybox-initcalls.yaml'), dir);
const stageOrder = ALWAYS_LISTED_STAGES;
const boots = join(import.meta.dirname, '..', 'test', 'fixtures', 'boots');
const results: ScenarioResult[] = [];
for (const name of readdirSync(boots)
  .filter((n) => n.endsWith('.json'))
  .sort()) {
  const { trace } = JSON.parse(readFileSync(join(boots, name), 'utf8')) as { trace: BootTrace };
  const measured = measurePass(trace, bundled.stages, undefined, { machine: 'pc', cmdline: 'console=ttyS0 quiet' });
  const stages = judgeStages([measured, measured], stageOrder, bundled.budgets);
  const result: ScenarioResult = {
    name: name.replace(/\.json$/, ''),
    file: `fixtures/${name}`,
    accel: 'tcg',
    hypervisor: 'qemu',
    hypervisorVersion: '7.2.22',
    machine: 'pc',
    cmdline: 'console=ttyS0 quiet',
    kernel: 'k',
    rootfs: 'r',
    hostCpus: 2,
    warmup: 1,
    passes: 2,
    stages,
    verdict: scenarioVerdict(stages),
    regression: { ...DEFAULT_REGRESSION, line: 1, column: 1 },
  };
  results.push(result);
}
// One A/B: the verbose boot as baseline of the quiet one.
const quiet = results.find((r) => r.name === 'cloud-quiet-sleep1');
const verbose = results.find((r) => r.name === 'cloud-verbose');
if (quiet && verbose) {
  quiet.baseline = { kernel: 'k', rootfs: 'r', cmdline: 'console=ttyS0', stages: verbose.stages };
  quiet.comparison = compareScenario(verbose.stages, quiet, 'ab', DEFAULT_REGRESSION);
}
const run = { version: 1 as const, scenarios: results };
out.push('=== results JSON');
out.push(JSON.stringify(resultsToJson(run), null, 1));
out.push('=== junit');
out.push(renderJunit(run));
out.push('=== terminal');
for (const r of results) out.push(renderScenario(r, plainStyle));
out.push('=== summary');
out.push(summaryMarkdown(run));
out.push(`=== exit code ${exitCodeFor(judgeRun(run, { failOn: 'error' }))}`);
process.stdout.write(`${out.join('\n')}\n`);
