import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { readResultsFile, unknownMetadataNotes } from '../report/results-file.js';
import type { RunResults } from '../judge/types.js';

/** Joins the results of shards into one run. A scenario in two shards means the shards overlap: refuse, don't guess. */
export function mergeResults(parts: ReadonlyArray<{ source: string; results: RunResults }>): RunResults {
  const seen = new Map<string, string>();
  const scenarios = [];
  for (const { source, results } of parts) {
    for (const scenario of results.scenarios) {
      const earlier = seen.get(scenario.name);
      if (earlier)
        throw new UsageError(
          `scenario "${scenario.name}" appears in both ${earlier} and ${source}; shards must not overlap`,
        );
      seen.set(scenario.name, source);
      scenarios.push(scenario);
    }
  }
  scenarios.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { version: 1, scenarios };
}

/** `mergeResults` over results files, read in order; each is named as given, paths relative to `cwd`. `notes` says
 *  what metadata files written by an older boot-budget lacked. */
export async function mergeResultFiles(
  files: readonly string[],
  cwd: string,
): Promise<RunResults & { notes: string[] }> {
  const parts = [];
  for (const file of files) parts.push({ source: file, results: await readResultsFile(resolve(cwd, file)) });
  const notes = parts.flatMap((part) => unknownMetadataNotes(part.results, part.source));
  return { ...mergeResults(parts), notes };
}
