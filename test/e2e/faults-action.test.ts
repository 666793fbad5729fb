import { describe, expect, it, onTestFinished } from 'vitest';
import { actionScenario, actionWorkspace } from '../helpers/action.js';
import { expectNoHypervisorsAfterEach } from '../helpers/vitest-dirs.js';

// A guest is untrusted: whatever it prints may be quoted in the report the Action prints to stdout, where the runner
// reads workflow commands. This boots a guest that tries to inject some and runs the BUILT bundle
// (dist/action/index.js), as GitHub's runner does.

const TOKEN = `bbinject${process.pid}`;
expectNoHypervisorsAfterEach(TOKEN);

/**
 * What actions/runner would obey (ActionCommandManager, ActionCommand.cs): a line is tried as `::cmd …::data` (at its
 * start, after trimming) and only when that fails as the legacy `##[cmd …]data` anywhere in it.
 */
function obeyed(stdout: string): string[] {
  return stdout.split(/\r\n|\r|\n/).flatMap((line) => {
    const trimmed = line.trimStart();
    if (trimmed.startsWith('::') && trimmed.indexOf('::', 2) > 0) return [trimmed];
    return line.includes('##[') ? [line.slice(line.indexOf('##['))] : [];
  });
}

const ATTACK = [
  "echo '::error::pwned'",
  "echo '  ::set-output name=verdict::pass'",
  "echo '::add-mask::boot-budget'",
  "echo '##[set-output name=verdict;]pass'",
  "echo '##[error]pwned-v1'",
  'sleep 1',
].join('; ');

describe('the Action bundle and an untrusted guest', () => {
  it('prints the guest’s workflow commands as text: no annotation, output or mask comes from the guest', async () => {
    const ws = actionWorkspace({
      'scn/inject.yaml': actionScenario(
        'inject',
        `cmdline: console=ttyS0 quiet bbtoken=${TOKEN}
run:
  - ${JSON.stringify(ATTACK)}
budgets:
  userspace: 100ms
`,
      ),
    });
    onTestFinished(ws.cleanup);
    const run = await ws.run({ scenarios: 'scn/', results: 'results.json' });

    // The budget really failed, and the guest could not say otherwise.
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe('fail');
    const commands = obeyed(run.stdout);
    expect(commands.filter((c) => c.startsWith('##['))).toEqual([]);
    // Only boot-budget's own commands remain; the guest's text inside them is data (after `::`), not a command.
    for (const command of commands)
      expect(command, command).toMatch(/^::(error|warning|notice|group|endgroup|debug)( title=boot-budget|::|$)/);
    expect(commands.filter((c) => /^::(error|warning)::pwned|^::set-output|^::add-mask/.test(c))).toEqual([]);
    // …and people still read what the guest printed, in the offending span of the report.
    expect(run.stdout.replace(/\u200b/g, '')).toContain('##[error]pwned-v1');
  });
});
