import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { INPUTS, OUTPUTS } from '../../src/action/contract.js';
import { readActionSettings } from '../../src/action/settings.js';

// GitHub cannot run these here. They are parsed with a real YAML parser, validated against the schemas GitHub's
// editors use (SchemaStore's, vendored in test/fixtures/schemastore/ with where and when they were taken), and their
// structure is checked where the schema cannot say what this repository relies on.
const REPO = join(import.meta.dirname, '..', '..');

function parseYaml(text: string, file: string): Record<string, any> {
  const doc = parseDocument(text, { uniqueKeys: true });
  expect(doc.errors, `${file}: ${doc.errors.map((e) => e.message).join('; ')}`).toEqual([]);
  return doc.toJS();
}

function load(file: string): Record<string, any> {
  return parseYaml(readFileSync(join(REPO, file), 'utf8'), file);
}

// strict: false because the published schemas are plain draft-07; ajv's strict mode only objects to their authoring
// style (keywords without a `type` beside them), not to what they accept.
const ajv = new Ajv({ allErrors: true, strict: false });
const schema = (name: string): ValidateFunction =>
  ajv.compile(JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'schemastore', `${name}.json`), 'utf8')));
const validateAction = schema('github-action');
const validateWorkflow = schema('github-workflow');

/** The schema's complaints, as `path: message` lines, so a failing test says what is wrong. */
function problems(validate: ValidateFunction, data: unknown): string[] {
  return validate(data)
    ? []
    : (validate.errors ?? []).map(
        (e: ErrorObject) => `${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`,
      );
}

/** The README's ```yaml blocks that are whole workflows (they have `jobs:`), with the line each starts on. */
function readmeWorkflows(): Array<{ line: number; text: string }> {
  const lines = readFileSync(join(REPO, 'README.md'), 'utf8').split('\n');
  const blocks: Array<{ line: number; text: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```yaml') continue;
    const end = lines.indexOf('```', i + 1);
    const text = lines.slice(i + 1, end).join('\n');
    if (/^jobs:/m.test(text)) blocks.push({ line: i + 2, text });
    i = end;
  }
  return blocks;
}

describe('action.yml', () => {
  const action = load('action.yml');

  it('is valid action metadata by the published schema (which knows node24)', () => {
    expect(problems(validateAction, action)).toEqual([]);
  });

  it('runs the committed bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/action/index.js' });
    expect(existsSync(join(REPO, action.runs.main))).toBe(true);
  });

  it('declares exactly the inputs and outputs of src/action/contract.ts, in its order', () => {
    expect(Object.keys(action.inputs)).toEqual(Object.values(INPUTS));
    expect(Object.keys(action.outputs)).toEqual(Object.values(OUTPUTS));
  });

  it('documents every input with a kebab-case name and a default, and every output', () => {
    for (const [name, input] of Object.entries<any>(action.inputs)) {
      expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(typeof input.description).toBe('string');
      expect(input).toHaveProperty('default');
    }
    for (const output of Object.values<any>(action.outputs)) expect(typeof output.description).toBe('string');
  });

  it('reads every input it declares, and no other', async () => {
    const read = new Set<string>();
    await readActionSettings('linux', (name) => {
      read.add(name);
      return '';
    });
    expect(read).toEqual(new Set(Object.keys(action.inputs)));
  });
});

describe('workflows', () => {
  const files = readdirSync(join(REPO, '.github', 'workflows')).filter((f) => /\.ya?ml$/.test(f));

  it('include ci, check-dist and the self-test', () => {
    expect(files.sort()).toEqual(['check-dist.yml', 'ci.yml', 'self-test.yml']);
  });

  for (const file of files) {
    it(`${file} is a valid workflow by the published schema`, () => {
      expect(problems(validateWorkflow, load(join('.github', 'workflows', file)))).toEqual([]);
    });

    it(`${file} is a well-formed workflow`, () => {
      const workflow = load(join('.github', 'workflows', file));
      expect(typeof workflow.name).toBe('string');
      expect(workflow.on).toBeTruthy();
      for (const [id, job] of Object.entries<any>(workflow.jobs)) {
        expect(id).toMatch(/^[A-Za-z_][A-Za-z0-9_-]*$/);
        expect(job['runs-on']).toBeTruthy();
        expect(Array.isArray(job.steps) && job.steps.length > 0).toBe(true);
        for (const step of job.steps) expect(Boolean(step.uses) !== Boolean(step.run)).toBe(true);
      }
    });
  }

  it('self-test opens /dev/kvm with the udev recipe on the bare Ubuntu runners and then uses this Action', () => {
    const job = load('.github/workflows/self-test.yml').jobs.ubuntu;
    expect(job.strategy.matrix.os).toEqual(['ubuntu-latest', 'ubuntu-24.04']);
    expect(job.container).toBeUndefined();
    const udev = job.steps.findIndex((s: any) => /udevadm trigger --name-match=kvm/.test(s.run ?? ''));
    const self = job.steps.findIndex((s: any) => s.uses === './');
    expect(udev).toBeGreaterThan(-1);
    expect(self).toBeGreaterThan(udev);
  });

  it('self-test also runs the Action in a Debian 12 container with /dev/kvm passed through', () => {
    const job = load('.github/workflows/self-test.yml').jobs.debian;
    expect(job.container).toEqual({ image: 'debian:bookworm', options: '--device /dev/kvm' });
    expect(job.steps.some((s: any) => s.uses === './')).toBe(true);
  });

  it('.ci/run, which assumes Debian (linux-source-6.1, the cloud kernel), runs only in a Debian container', () => {
    for (const file of files) {
      for (const [id, job] of Object.entries<any>(load(join('.github', 'workflows', file)).jobs)) {
        if (!job.steps.some((s: any) => /\.ci\/run/.test(s.run ?? ''))) continue;
        expect(job.container?.image, `${file}: job ${id}`).toBe('debian:bookworm');
        expect(job.container?.options, `${file}: job ${id}`).toMatch(/(^| )--device \/dev\/kvm( |$)/);
        // The image lacks git, which checkout and .ci/run's freshness check need; it comes before checkout.
        const git = job.steps.findIndex((s: any) => /apt-get install .*\bgit\b/.test(s.run ?? ''));
        const checkout = job.steps.findIndex((s: any) => /^actions\/checkout@/.test(s.uses ?? ''));
        expect(git).toBeGreaterThan(-1);
        expect(checkout).toBeGreaterThan(git);
      }
    }
  });
});

describe('the workflow shown in the README', () => {
  const blocks = readmeWorkflows();

  it('is there to check', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(1);
  });

  for (const { line, text } of blocks) {
    it(`README.md:${line} is a valid workflow by the published schema`, () => {
      expect(problems(validateWorkflow, parseYaml(text, `README.md:${line}`))).toEqual([]);
    });
  }
});

describe('the schema check can fail', () => {
  it('rejects a workflow with `run-on` for `runs-on`', () => {
    const broken = load('test/fixtures/workflows/broken-workflow.yml');
    const found = problems(validateWorkflow, broken);
    expect(found.join('\n')).toMatch(/\/jobs\/test: must have required property 'runs-on'/);
  });

  it('rejects action metadata whose runtime does not exist', () => {
    const found = problems(validateAction, load('test/fixtures/workflows/broken-action.yml'));
    expect(found.join('\n')).toMatch(/\/runs\/using: must be equal to one of the allowed values/);
  });
});
