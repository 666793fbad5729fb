import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';

export interface CliSettings {
  command: 'run' | 'validate' | 'help' | 'version';
  paths: string[];
  passes?: number;
  warmup?: number;
  json?: string;
  filter?: string;
  cacheDir?: string;
}

export const USAGE = `Usage:
  boot-budget [run] [PATHS…]       boot each scenario, measure its stages and check its budgets
  boot-budget validate PATHS…      check scenario files without booting

PATHS are scenario files or directories of *.yaml/*.yml files (default: scenarios/).

Options:
  --passes N        measured passes per scenario (overrides the scenario's passes)
  --warmup N        warm-up passes per scenario (overrides the scenario's warmup)
  --json FILE       write the results as JSON
  --filter NAME     only scenarios whose name contains NAME
  --cache-dir DIR   artifact cache (default: $XDG_CACHE_HOME/boot-budget or ~/.cache/boot-budget)
  -h, --help        show this help
  --version         print the version

Exit codes: 0 every budget met · 1 a budget exceeded · 2 bad scenario or usage · 3 infrastructure failure`;

function count(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${name} takes a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${value}".`);
  }
  return Number(value);
}

/** argv (without node and the script) → typed settings. The only place that knows the CLI's spelling. */
export function parseCliArgs(argv: readonly string[]): CliSettings {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        passes: { type: 'string' },
        warmup: { type: 'string' },
        json: { type: 'string' },
        filter: { type: 'string' },
        'cache-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help', paths: [] };
  if (values.version) return { command: 'version', paths: [] };

  let command: CliSettings['command'] = 'run';
  let paths = positionals;
  if (positionals[0] === 'run' || positionals[0] === 'validate') {
    command = positionals[0];
    paths = positionals.slice(1);
  }
  if (command === 'validate' && paths.length === 0) throw new UsageError(`validate needs at least one path.\n\n${USAGE}`);
  return {
    command,
    paths: paths.length ? paths : ['scenarios/'],
    passes: count('passes', values.passes, 1),
    warmup: count('warmup', values.warmup, 0),
    json: values.json,
    filter: values.filter,
    cacheDir: values['cache-dir'],
  };
}
