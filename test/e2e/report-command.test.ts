/** `boot-budget report`: saved results rendered again without booting, including files of older and newer versions. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resultsToJson } from '../../src/report/json.js';
import { runCli } from '../helpers/cli.js';
import { fixtureResults, fixtureScenario } from '../helpers/report-results.js';
import { testDir } from '../helpers/vitest-dirs.js';

describe('boot-budget report', () => {
  it('renders the HTML report and the trace of merged shards', async () => {
    const dir = testDir();
    writeFileSync(join(dir, 'a.json'), JSON.stringify(resultsToJson(fixtureResults(fixtureScenario('shard-a')))));
    writeFileSync(join(dir, 'b.json'), JSON.stringify(resultsToJson(fixtureResults(fixtureScenario('shard-b')))));
    const at = (name: string) => join(dir, name);
    const run = await runCli(['report', at('a.json'), at('b.json'), '--html', at('r.html'), '--trace', at('t.json')]);
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(html).toMatch(/shard-a/);
    expect(html).toMatch(/shard-b/);
    const trace = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
    expect(trace.traceEvents.filter((e: { name: string }) => e.name === 'process_name')).toHaveLength(6);
  });

  it('reads an older file, says what it lacks, and draws its tables without a timeline', async () => {
    const dir = testDir();
    const old = resultsToJson(fixtureResults()) as { scenarios: Record<string, unknown>[] };
    for (const key of ['timeline', 'hypervisorVersion', 'hostCpus']) delete old.scenarios[0]![key];
    writeFileSync(join(dir, 'old.json'), JSON.stringify(old));
    const run = await runCli(['report', join(dir, 'old.json'), '--html', join(dir, 'r.html')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /note: .*old\.json: debian-cloud-busybox: written by an older boot-budget; unknown: hypervisorVersion, hostCpus/,
    );
    expect(run.stderr).toMatch(/note: debian-cloud-busybox: no timeline recorded/);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toMatch(/No timeline: the results file does not record one/);
  });

  it('refuses a newer major version with exit 2, and writes nothing', async () => {
    const dir = testDir({ 'new.json': JSON.stringify({ version: 2, scenarios: [] }) });
    const run = await runCli(['report', join(dir, 'new.json'), '--html', join(dir, 'r.html')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /new\.json: results version 2 was written by a newer boot-budget; this one reads version 1/,
    );
    expect(existsSync(join(dir, 'r.html'))).toBe(false);
  });
});
