import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { actionScenario, actionWorkspace } from '../helpers/action.js';
import { expectNoHypervisorsAfterEach } from '../helpers/vitest-dirs.js';

// These run the BUILT bundle (dist/action/index.js) as GitHub's runner does. test/e2e/dist-fresh.test.ts fails when
// that bundle is stale, so a green run here is a statement about the committed Action.

expectNoHypervisorsAfterEach();

/**
 * What the Action does to open /dev/kvm when the runner user cannot (src/action/host.ts). Machine-dependent: on this
 * project's machines the tests run as root and /dev/kvm opens, so nothing is run; where it does not open, the bundle
 * tries the udev rule, which the test's fakes record instead of running.
 */
function kvmOpens(): boolean {
  try {
    accessSync('/dev/kvm', constants.F_OK);
  } catch {
    return true; // absent: nothing to open
  }
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
const UDEV_COMMANDS = [
  'tee /etc/udev/rules.d/99-kvm4all.rules',
  'udevadm control --reload-rules',
  'udevadm trigger --name-match=kvm',
  'udevadm settle',
];
const expectedKvmCommands = () => (kvmOpens() ? [] : UDEV_COMMANDS);

function workspace(files: Record<string, string>) {
  const ws = actionWorkspace(files);
  onTestFinished(ws.cleanup);
  return ws;
}

describe('the Action bundle', () => {
  it('annotates exceeded budgets on their YAML lines, escapes workflow commands, and fails the step', async () => {
    const ws = workspace({
      // A directory name with `,` and `:` checks the escaping of the file property.
      // The sleep outlasts the agent's own start even on a loaded machine (~0.9 s there), so it is the span.
      'odd,dir:x/slow.yaml': actionScenario(
        'slow',
        `run:
  - "echo '50%, then: more'; sleep 3"
budgets:
  userspace: 300ms
  kernel: { max: 1ms, level: warn }
  total: 60s
`,
      ),
    });
    const run = await ws.run({ scenarios: 'odd*', results: 'out/results.json' });
    expect(run.code).toBe(1);

    const error = run.commands.find((c) => c.startsWith('::error title='));
    expect(error).toMatch(
      /^::error title=boot-budget%3A slow › userspace,file=odd%2Cdir%3Ax\/slow\.yaml,line=12,col=3::median [\d.]+ s \(1 pass, tcg\) > budget 300 ms\. Offending span: [\d.]+ s between "50%25, then: more" and "boot-budget:ready"\.$/,
    );
    const warning = run.commands.find((c) => c.includes('slow › kernel'));
    expect(warning).toMatch(
      /^::warning title=boot-budget%3A slow › kernel,file=odd%2Cdir%3Ax\/slow\.yaml,line=13,col=3::median [\d.]+ s .*> budget 1 ms\./,
    );
    expect(run.commands).toContain('::error::1 budget(s) exceeded');

    expect(run.outputs).toEqual({
      results: join(ws.workspace, 'out', 'results.json'),
      verdict: 'fail',
      failed: '1',
      regressions: '0',
    });
    expect(existsSync(run.outputs.results!)).toBe(true);
    expect(JSON.parse(readFileSync(run.outputs.results!, 'utf8')).scenarios[0].stages.userspace.budget.line).toBe(12);

    expect(run.summary).toMatch(/^## boot-budget: ❌ 1 budget exceeded/);
    expect(run.summary).toMatch(/\| userspace \| [\d.]+ s \| {2}\| median ≤ 300 ms \| ❌ fail \| tcg \|/);
    expect(run.summary).toMatch(/```mermaid\ngantt\n[\s\S]*dateFormat x[\s\S]*userspace [\d.]+ m?s : crit, \d+, \d+\n/);
    expect(run.summary).toMatch(/<details><summary>Offending spans and hints<\/summary>/);

    // The kvm input was left at its default, so the Action looked at /dev/kvm; nothing it ran reached the machine.
    expect(run.hostCommands).toEqual(expectedKvmCommands());
  });

  it('installs missing packages and plans a pull request baseline, as far as a runner without the cache service goes', async () => {
    const ws = workspace({ 'scenarios/plain.yaml': actionScenario('plain') });
    const event = join(ws.workspace, '..', 'event.json');
    writeFileSync(event, JSON.stringify({ repository: { default_branch: 'main' } }));
    const run = await ws.run(
      { install: 'true' },
      {
        missingPackages: ['busybox-static'],
        env: {
          GITHUB_EVENT_NAME: 'pull_request',
          GITHUB_BASE_REF: 'main',
          GITHUB_SHA: 'c0ffee',
          GITHUB_EVENT_PATH: event,
        },
      },
    );
    // install: only the package dpkg-query called missing, through apt-get (faked: it fails, which only warns).
    expect(run.hostCommands).toEqual([
      'apt-get update -qq',
      'env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static',
      ...expectedKvmCommands(),
    ]);
    expect(run.commands.some((c) => /^::warning::apt-get install busybox-static failed \(status 1\)/.test(c))).toBe(
      true,
    );
    // baseline: a pull request plans a restore from its base branch; with no cache service there is none to compare.
    expect(run.summary).toMatch(/no baseline: the Actions cache is not available to this run/);
    expect(run.outputs).toMatchObject({ verdict: 'pass', regressions: '0' });
    expect(run.code).toBe(0);
  });

  it('escapes newlines in messages and fails when kvm: required meets no usable KVM', async () => {
    const ws = workspace({
      'scenarios/needs-kvm.yaml': actionScenario('needs-kvm', '').replace('kvm: off', 'kvm: required'),
    });
    const run = await ws.run({});
    expect(run.code).toBe(1);
    const error = run.commands.find((c) => c.startsWith('::error title=boot-budget%3A needs-kvm,'));
    // The hint after the first line of the message arrives as %0A, so a guest or a message cannot start a new command.
    expect(error).toMatch(
      /^::error title=boot-budget%3A needs-kvm,file=scenarios\/needs-kvm\.yaml,line=1::could not be measured: KVM is required .*%0ATo use KVM on GitHub-hosted Linux runners/,
    );
    expect(error).not.toMatch(/\n/);
    expect(run.outputs.verdict).toBe('error');
  });

  it('annotates a broken scenario file at its line and fails the step without booting', async () => {
    const ws = workspace({ 'scenarios/broken.yaml': actionScenario('broken', 'timeout: 60\n') });
    const run = await ws.run({});
    expect(run.code).toBe(1);
    expect(run.commands).toContainEqual(
      expect.stringMatching(
        /^::error title=boot-budget%3A bad scenario \(timeout\),file=scenarios\/broken\.yaml,line=9,col=10::"60" has no unit/,
      ),
    );
    expect(run.outputs.verdict).toBe('error');
    expect(run.stdout).not.toMatch(/pass 1\/1/);
  });

  it('splits scenarios across shards exactly once each, and merging the shards gives the unsharded verdicts', {
    timeout: 600_000,
  }, async () => {
    const names = ['alpha', 'bravo', 'charlie', 'delta'];
    const files = Object.fromEntries(
      names.map((name) => [
        `scenarios/${name}.yaml`,
        actionScenario(name, name === 'charlie' ? 'budgets:\n  userspace: 1ms\n' : 'budgets:\n  total: 60s\n'),
      ]),
    );
    const ws = workspace(files);
    const shardRuns = [];
    for (const shard of ['1/3', '2/3', '3/3'])
      shardRuns.push(await ws.run({ shard, results: `shard-${shard[0]}.json` }));
    const ran = shardRuns.flatMap((r) =>
      JSON.parse(readFileSync(r.outputs.results!, 'utf8')).scenarios.map((s: { name: string }) => s.name),
    );
    expect([...ran].sort()).toEqual(names);

    const merged = await ws.run({ merge: 'shard-*.json', results: 'merged.json' });
    const verdicts = Object.fromEntries(
      JSON.parse(readFileSync(join(ws.workspace, 'merged.json'), 'utf8')).scenarios.map(
        (s: { name: string; verdict: string }) => [s.name, s.verdict],
      ),
    );
    // The unsharded verdicts: only charlie has a budget (userspace 1 ms) that a boot cannot meet.
    expect(verdicts).toEqual({ alpha: 'pass', bravo: 'pass', charlie: 'fail', delta: 'pass' });
    expect(merged.outputs.verdict).toBe('fail');
    expect(merged.outputs.failed).toBe('1');
    expect(merged.code).toBe(1);
    expect(merged.commands).toContainEqual(
      expect.stringMatching(
        /^::error title=boot-budget%3A charlie › userspace,file=scenarios\/charlie\.yaml,line=10,col=3::/,
      ),
    );
  });
});
