import { describe, expect, it } from 'vitest';
import { NeutralisingWriter, neutraliseWorkflowCommands } from '../../src/action/sanitize.js';

/*
 * A model of what the GitHub runner obeys in a step's stdout, following actions/runner:
 * - ProcessInvoker reads stdout with .NET StreamReader.ReadLine, which ends a line at `\r`, `\n` or `\r\n`;
 * - OutputManager hands every line containing `##[` or `::` to ActionCommandManager.TryProcessCommand, which tries
 *   ActionCommand.TryParseV2, then ActionCommand.TryParse;
 * - TryParseV2: the line, after .NET TrimStart (Char.IsWhiteSpace: Unicode Zs/Zl/Zp, \t-\r, U+0085, U+00A0; ESC is
 *   not whitespace), must start with `::`; the command name runs from there to the next `::` or the first space;
 * - TryParse (v1): `##[` anywhere, the name running to the next `]` or the first space;
 * - either way the name must be a registered command, compared case-insensitively. Colour codes are stripped only
 *   for problem matchers, after the command check.
 */
const REGISTERED = new Set([
  'stop-commands',
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'warning',
  'error',
  'notice',
  'debug',
  'group',
  'endgroup',
  'echo',
]);
const DOTNET_LEADING_WHITESPACE = /^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

function commandName(info: string): string | undefined {
  const space = info.indexOf(' ');
  const name = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  return REGISTERED.has(name) ? name : undefined;
}

function parseV2(line: string): string | undefined {
  const message = line.replace(DOTNET_LEADING_WHITESPACE, '');
  if (!message.startsWith('::')) return undefined;
  const end = message.indexOf('::', 2);
  return end < 0 ? undefined : commandName(message.slice(2, end));
}

function parseV1(line: string): string | undefined {
  const prefix = line.indexOf('##[');
  if (prefix < 0) return undefined;
  const bracket = line.indexOf(']', prefix);
  return bracket < 0 ? undefined : commandName(line.slice(prefix + 3, bracket));
}

function runnerCommands(stdout: string): string[] {
  return stdout.split(/\r\n|\r|\n/).flatMap((line) => {
    const command = parseV2(line) ?? parseV1(line);
    return command ? [command] : [];
  });
}

// Every one of these is obeyed by the runner as written.
const ATTACKS = [
  '::error::pwned',
  '   ::set-output name=verdict::pass',
  '::add-mask::boot-budget',
  '::stop-commands::token',
  '::ERROR file=a.ts,line=1::upper case with properties',
  'span "##[set-output name=verdict;]pass" and more',
  '##[error]pwned',
  'harmless\r::warning::after a carriage return',
  '\u00a0\u3000::error::after Unicode spaces .NET trims',
  '\t\u000b\f::notice::after tab, vertical tab and form feed',
];

// Look-alikes the runner does not obey (ESC is not whitespace; `:::error` names the command `:error`): the model must
// not call these commands, or a sanitiser could be judged against a stricter runner than GitHub's.
const LOOK_ALIKES = ['\u001b[2K\u001b[1G::error::after an ANSI erase', ':::error::three colons', ':: error::spaced'];

describe('neutralising untrusted text for the Action log', () => {
  it.each(ATTACKS)('the runner would obey %j as written', (attack) => {
    expect(runnerCommands(attack)).toHaveLength(1);
  });

  it.each(LOOK_ALIKES)('the runner model, like the runner, ignores %j', (lookAlike) => {
    expect(runnerCommands(lookAlike)).toEqual([]);
  });

  it.each([...ATTACKS, ...LOOK_ALIKES])('leaves the runner nothing to obey in %j', (attack) => {
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
    const pieces = ['line\n:', ':error::split\n', ' ##', '[error]x #', '#', '[warning]y\n'];
    expect(runnerCommands(pieces.join(''))).toEqual(['error', 'error']);
    for (const piece of pieces) writer.write(piece);
    expect(out.replace(/\u200b/g, '')).toBe(pieces.join(''));
    expect(runnerCommands(out)).toEqual([]);
    expect(writer.isTTY).toBe(false);
  });
});
