import { describe, expect, it } from 'vitest';
import { NeutralisingWriter, neutraliseWorkflowCommands } from '../../src/action/sanitize.js';

// What the runner would obey (actions/runner ActionCommand.cs): `::cmd::` at a line start after trimming whitespace,
// the legacy `##[cmd]` anywhere in a line, and lines split at \r as well as \n.
function runnerCommands(stdout: string): string[] {
  return stdout.split(/\r\n|\r|\n/).flatMap((line) => {
    const v2 = /^::([\w-]+)/.exec(line.trimStart());
    const v1 = /##\[([\w-]+)/.exec(line);
    return [...(v2 ? [v2[1]!] : []), ...(v1 ? [v1[1]!] : [])];
  });
}

const ATTACKS = [
  '::error::pwned',
  '   ::set-output name=verdict::pass',
  '::add-mask::boot-budget',
  '::stop-commands::token',
  'span "##[set-output name=verdict;]pass" and more',
  '##[error]pwned',
  'harmless\r::warning::after a carriage return',
  '\u001b[2K\u001b[1G::error::after an ANSI erase',
  ':::error::three colons',
];

describe('neutralising untrusted text for the Action log', () => {
  it('would be obeyed raw (the model of the runner is not vacuous)', () => {
    for (const attack of ATTACKS.slice(0, 7)) expect(runnerCommands(attack).length, attack).toBeGreaterThan(0);
  });

  it.each(ATTACKS)('leaves the runner nothing to obey in %j', (attack) => {
    expect(runnerCommands(neutraliseWorkflowCommands(attack))).toEqual([]);
  });

  it('keeps the text readable: only invisible marks and escapes are added', () => {
    expect(neutraliseWorkflowCommands('::error::pwned').replace(/\u200b/g, '')).toBe('::error::pwned');
    expect(neutraliseWorkflowCommands('a\u001b[31mb\rc')).toBe('a\\x1b[31mb\\x0dc');
    expect(neutraliseWorkflowCommands('plain line, 12:34 ok\n')).toBe('plain line, 12:34 ok\n');
  });

  it('catches a command split across writes', () => {
    let out = '';
    const writer = new NeutralisingWriter({ write: (t: string) => (out += t) });
    for (const piece of ['line\n:', ':error::split', ' ##', '[error]x #', '#', '[warning]y\n']) writer.write(piece);
    expect(out.replace(/\u200b/g, '')).toBe('line\n::error::split ##[error]x ##[warning]y\n');
    expect(runnerCommands(out)).toEqual([]);
    expect(writer.isTTY).toBe(false);
  });
});
