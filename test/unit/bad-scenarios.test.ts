import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import { checkScenarioFile, loadScenarios } from '../../src/scenario/load.js';
import { REPO, runCli } from '../helpers/cli.js';

// The corpus of bad scenarios: each file states, in its first line (`# expect: line N: words`) or in a `.expect`
// sidecar when it cannot hold a comment, the line its error must point at and words the message must contain.
// README "Reliability" counts these files.

const CORPUS = join(REPO, 'test', 'fixtures', 'bad-scenarios');
const DUPLICATES = join(CORPUS, 'duplicate-names');
/** Generous for a 2-core CI machine; the slowest file (20,000 nested brackets) takes ~0.3 s. */
const BOUND_MS = 5_000;

interface Expectation {
  file: string;
  line: number;
  words: string;
}

function expectationOf(file: string): Expectation {
  const sidecar = `${file}.expect`;
  const header = existsSync(sidecar) ? readFileSync(sidecar, 'utf8') : readFileSync(file, 'utf8').split('\n', 1)[0]!;
  const match = /^(?:# expect: )?line (\d+): (.+)$/m.exec(header);
  if (!match) throw new Error(`${file}: no "# expect: line N: words" header`);
  return { file, line: Number(match[1]), words: match[2]!.trim() };
}

const corpus = readdirSync(CORPUS)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => expectationOf(join(CORPUS, name)));

describe('the bad-scenario corpus', () => {
  it('has at least 40 files', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  it.each(corpus.map((e) => [relative(CORPUS, e.file), e] as const))(
    '%s: an error at the right line, in words',
    async (_, expected) => {
      const started = performance.now();
      const check = await checkScenarioFile(expected.file, REPO);
      expect(performance.now() - started).toBeLessThan(BOUND_MS);
      expect(check.ok).toBe(false);
      if (check.ok) return;
      for (const error of check.errors) expect(error).toBeInstanceOf(ScenarioError);
      // The first error (they are sorted by position) is the one the file is about.
      const first = check.errors[0]!;
      expect(`${first.line}: ${first.message}`).toContain(`${expected.line}: `);
      expect(first.line).toBe(expected.line);
      expect(first.message).toContain(expected.words);
      // Messages are for people: one line, not a dump of the input.
      expect(first.message).not.toContain('\n');
      expect(first.message.length).toBeLessThan(600);
    },
  );

  it('reports a scenario name used twice at the second file’s name line', async () => {
    const expected = expectationOf(join(DUPLICATES, 'b.yaml'));
    const { scenarios, errors } = await loadScenarios([DUPLICATES], REPO);
    expect(scenarios.map((s) => s.name)).toEqual(['twin']);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.file).toBe(relative(REPO, expected.file));
    expect(errors[0]!.line).toBe(expected.line);
    expect(errors[0]!.message).toContain(expected.words);
  });

  it('exits 2 through the real CLI, naming every file and line, without a crash', { timeout: 60_000 }, async () => {
    // One process for the whole corpus: the loader reports every file's errors, and each is printed as file:line:col.
    const run = await runCli(['validate', CORPUS, DUPLICATES]);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(/internal error|at .*\.ts:\d+/);
    expect(run.stdout).toBe('');
    for (const expected of [...corpus, expectationOf(join(DUPLICATES, 'b.yaml'))]) {
      const shown = relative(REPO, expected.file);
      const lines = run.stderr.split('\n').filter((l) => l.startsWith(`error: ${shown}:`));
      expect(lines.length, shown).toBeGreaterThan(0);
      expect(lines[0]!.startsWith(`error: ${shown}:${expected.line}:`), `${shown}: ${lines[0]}`).toBe(true);
      expect(lines[0], shown).toContain(expected.words);
    }
    expect(run.stderr).toMatch(/scenario errors; nothing was booted/);
  });
});
