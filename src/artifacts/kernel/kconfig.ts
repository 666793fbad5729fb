/**
 * Kconfig fragments, merged the way the kernel's scripts/kconfig/merge_config.sh does it: each option a fragment sets
 * replaces the base's line for that option (later fragments win, with a note when one redefines another), and after
 * `olddefconfig` every requested value that did not survive is reported, because Kconfig drops options whose
 * dependencies are unmet without a word.
 */

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

/** option → its line (`CONFIG_X=y` or `# CONFIG_X is not set`), in order of appearance. */
export function parseConfig(text: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const name = SET.exec(line)?.[1] ?? UNSET.exec(line)?.[1];
    if (name) options.set(name, line);
  }
  return options;
}

/** A fragment's bad lines, for a scenario error: anything but options, `# CONFIG_X is not set`, comments and blanks. */
export function fragmentProblems(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !SET.test(l) && !UNSET.test(l) && !l.startsWith('#'));
}

export interface MergeResult {
  config: string;
  /** merge_config.sh's "Value of CONFIG_X is redefined by fragment …" notes. */
  notes: string[];
  /** Every option the fragments asked for, with the line they asked for (the last one wins). */
  requested: Map<string, string>;
}

export function mergeFragments(base: string, fragments: Array<{ name: string; text: string }>): MergeResult {
  const lines = base.split('\n').filter((l, i, all) => !(i === all.length - 1 && l === ''));
  const requested = new Map<string, string>();
  const from = new Map<string, string>();
  const notes: string[] = [];
  for (const fragment of fragments) {
    for (const [name, line] of parseConfig(fragment.text)) {
      const previous = requested.get(name);
      if (previous !== undefined && previous !== line) {
        notes.push(
          `Value of ${name} is redefined by fragment ${fragment.name}: previous value: ${previous} (${from.get(name)}), new value: ${line}`,
        );
      }
      requested.set(name, line);
      from.set(name, fragment.name);
    }
  }
  const kept = lines.filter((l) => {
    const name = SET.exec(l.trim())?.[1] ?? UNSET.exec(l.trim())?.[1];
    return !(name && requested.has(name));
  });
  return { config: `${[...kept, ...requested.values()].join('\n')}\n`, notes, requested };
}

/** merge_config.sh's final check: "Value requested for CONFIG_X not in final .config". */
export function droppedOptions(requested: Map<string, string>, finalConfig: string): string[] {
  const actual = parseConfig(finalConfig);
  const warnings: string[] = [];
  for (const [name, line] of requested) {
    const got = actual.get(name);
    // An option set to n that Kconfig no longer lists at all is still off, as requested.
    if (got === line || (got === undefined && UNSET.test(line))) continue;
    warnings.push(
      `Value requested for ${name} not in final .config: requested "${line}", actual "${got ?? `# ${name} is not set`}"`,
    );
  }
  return warnings;
}
