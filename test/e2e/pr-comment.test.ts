/**
 * The sticky pull-request comment, from the BUILT Action bundle in merge mode (results files in, no boot) against a
 * local fake of the GitHub API (test/helpers/fake-github.ts), as a pull_request event would run it.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resultsToJson } from '../../src/report/json.js';
import { COMMENT_MARKER } from '../../src/report/github/comment.js';
import { actionWorkspace } from '../helpers/action.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { fixtureAbScenario, fixtureResults, fixtureScenario, INJECTION } from '../helpers/report-results.js';

let fake: FakeGitHub;
let ws: ReturnType<typeof actionWorkspace>;

/** A failing scenario whose offending span starts at guest text that would be markup, a link and a mention. */
function failing(): object {
  const scenario = fixtureScenario();
  scenario.stages.find((s) => s.name === 'kernel')!.span!.from =
    `${INJECTION} [x](https://evil.example) @octocat | *b*`;
  return resultsToJson(fixtureResults(scenario));
}

beforeEach(async () => {
  fake = await startFakeGitHub();
  ws = actionWorkspace({
    'failing.json': `${JSON.stringify(failing())}\n`,
    'quiet.json': `${JSON.stringify(resultsToJson(fixtureResults(fixtureAbScenario())))}\n`,
    'event.json': JSON.stringify({ pull_request: { number: 7 } }),
  });
});

afterEach(async () => {
  await fake.close();
  ws.cleanup();
});

function run(inputs: Record<string, string>) {
  return ws.run(
    { 'github-token': 'fake-token', baseline: 'false', ...inputs },
    {
      env: {
        GITHUB_API_URL: fake.url,
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: join(ws.workspace, 'event.json'),
        GITHUB_SERVER_URL: 'https://github.example',
        GITHUB_RUN_ID: '42',
      },
    },
  );
}

const writes = () => fake.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);

describe('sticky pull-request comment', () => {
  it('is created once, then updated in place, with guest text escaped', async () => {
    const first = await run({ merge: 'failing.json', html: 'report.html' });
    expect(first.code, first.stdout).toBe(1);
    expect(writes()).toEqual(['POST /repos/o/r/issues/7/comments']);
    expect(fake.requests[0]!.authorization).toBe('token fake-token');
    const body = fake.comments[0]!.body;
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body).toMatch(/\| kernel \| [\d.]+ (ms|s) \| .* \| median ≤ 1.00 s \| ❌ fail \|/);
    expect(body).toContain('&lt;script&gt;alert\\(1\\)&lt;/script&gt;&lt;img src=x onerror=alert\\(2\\)&gt;');
    expect(body).toContain('\\[x\\]\\(https://evil.example\\) &#64;octocat &#124; \\*b\\*');
    expect(body).not.toMatch(/<script|<img|@octocat|\]\(https:\/\/evil/);
    expect(body).toContain(
      '`report.html`, uploaded as an artifact of [this run](https://github.example/o/r/actions/runs/42)',
    );
    expect(first.summary).toMatch(/The HTML report \(timeline of every pass\) is `report.html`/);
    expect(first.outputs.html).toBe(join(ws.workspace, 'report.html'));

    const second = await run({ merge: 'failing.json' });
    expect(second.code).toBe(1);
    expect(writes()).toEqual(['POST /repos/o/r/issues/7/comments', 'PATCH /repos/o/r/issues/comments/1000']);
    expect(fake.comments).toHaveLength(1);
  });

  it('on-change stays silent when nothing failed or changed, and always comments anyway', async () => {
    const quiet = await run({ merge: 'quiet.json' });
    expect(quiet.code, quiet.stdout).toBe(0);
    expect(fake.requests.map((r) => r.method)).toEqual(['GET']);
    expect(writes()).toEqual([]);
    await run({ merge: 'quiet.json', comment: 'always' });
    expect(writes()).toEqual(['POST /repos/o/r/issues/7/comments']);
    expect(fake.comments[0]!.body).toMatch(/within budget/);
    // A later quiet run updates the comment it left, so it stops showing what was true before.
    await run({ merge: 'quiet.json' });
    expect(writes()).toEqual(['POST /repos/o/r/issues/7/comments', 'PATCH /repos/o/r/issues/comments/1000']);
  });

  it('never makes no request', async () => {
    const never = await run({ merge: 'failing.json', comment: 'never' });
    // The step ran to its end (a bundle that crashed would make no request either).
    expect(never.outputs.verdict, never.stdout).toBe('fail');
    expect(fake.requests).toEqual([]);
  });

  it('warns, and does not fail the step, when the token may not write to pull requests', async () => {
    fake.refuse = true;
    const quiet = await run({ merge: 'quiet.json', comment: 'always' });
    expect(quiet.code, quiet.stdout).toBe(0);
    expect(quiet.commands.join('\n')).toMatch(
      /::warning::boot-budget: no pull-request comment: .*HTTP 403.*pull-requests: write/,
    );
  });
});
