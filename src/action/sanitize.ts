/**
 * The guest's console is untrusted (a scenario from a pull request chooses what the guest prints), and the Action's
 * stdout is read by the runner for workflow commands. Its parser (actions/runner ActionCommand.cs) takes
 * `::command::data` at the start of a line after leading whitespace is trimmed, the legacy `##[command]data` anywhere
 * in a line, and splits lines at `\r` as well as `\n`. A guest line such as `::add-mask::…`, `::stop-commands::…` or
 * `##[set-output name=verdict;]pass` quoted in a report would otherwise be obeyed.
 *
 * Neutralising inserts a zero-width space before the character that would complete `::` or `##[`, so people still read
 * the text as the guest wrote it, and shows control characters (ANSI escapes, `\r`, bidi overrides) as `\xNN` escapes.
 */

const ZWSP = '\u200b';

// C0 except \t and \n, DEL, C1, and the bidirectional overrides that can make a log line read differently than it is.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeControl(c: string): string {
  const code = c.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text that can be printed where the runner parses workflow commands without being taken for one. */
export function neutraliseWorkflowCommands(text: string): string {
  return text
    .replace(CONTROL, escapeControl)
    .replace(/(?<=:):/g, `${ZWSP}:`)
    .replace(/(?<=##)\[/g, `${ZWSP}[`);
}

interface Writable {
  write(text: string): unknown;
}

/**
 * A stream for untrusted text. Writes may split `::` or `##[` across calls (a reporter writes a line in pieces), so the
 * last two characters written are carried into the next check.
 */
export class NeutralisingWriter {
  /** Reports must not take this for a terminal: no live lines, no colours. */
  readonly isTTY = false;
  private carry = '';

  constructor(private readonly target: Writable) {}

  write(text: string): boolean {
    const raw = this.carry + text;
    const safe = neutraliseWorkflowCommands(raw);
    // The carry was already written; what it neutralises to is a prefix of `safe` because insertions only ever go
    // before a character that completes a pattern, and the carry's own characters were checked when they were new.
    const already = neutraliseWorkflowCommands(this.carry);
    this.carry = raw.slice(-2);
    this.target.write(safe.slice(already.length));
    return true;
  }
}
