import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';

// GitHub cannot run these here, so parse them with a real YAML parser and check the structure the runner relies on.
const REPO = join(import.meta.dirname, '..', '..');

function load(file: string): Record<string, any> {
  const doc = parseDocument(readFileSync(join(REPO, file), 'utf8'), { uniqueKeys: true });
  expect(doc.errors, `${file}: ${doc.errors.map((e) => e.message).join('; ')}`).toEqual([]);
  return doc.toJS();
}

describe('action.yml', () => {
  const action = load('action.yml');

  it('runs the committed bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/action/index.js' });
    expect(existsSync(join(REPO, action.runs.main))).toBe(true);
  });

  it('documents every input with a kebab-case name and a default, and every output', () => {
    const expected = [
      'scenarios',
      'passes',
      'warmup',
      'kvm',
      'cache',
      'results',
      'shard',
      'fail-on',
      'install',
      'allow-outside',
      'merge',
      'baseline',
      'max-passes',
    ];
    expect(Object.keys(action.inputs)).toEqual(expected);
    for (const [name, input] of Object.entries<any>(action.inputs)) {
      expect(name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(typeof input.description).toBe('string');
      expect(input).toHaveProperty('default');
    }
    expect(Object.keys(action.outputs)).toEqual(['results', 'verdict', 'failed', 'regressions']);
  });

  it('reads exactly the inputs it declares', () => {
    const settings = readFileSync(join(REPO, 'src', 'action', 'settings.ts'), 'utf8');
    const read = [...settings.matchAll(/(?:getInput|words|optionalCount|oneOf|flag)\('([a-z-]+)'/g)].map((m) => m[1]);
    expect(new Set(read)).toEqual(new Set(Object.keys(action.inputs)));
  });
});

describe('workflows', () => {
  const files = readdirSync(join(REPO, '.github', 'workflows')).filter((f) => /\.ya?ml$/.test(f));

  it('include ci, check-dist and the self-test', () => {
    expect(files.sort()).toEqual(['check-dist.yml', 'ci.yml', 'self-test.yml']);
  });

  for (const file of files) {
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

  it('self-test opens /dev/kvm with the udev recipe and then uses this Action', () => {
    const steps = load('.github/workflows/self-test.yml').jobs.kvm.steps;
    const udev = steps.findIndex((s: any) => /udevadm trigger --name-match=kvm/.test(s.run ?? ''));
    const self = steps.findIndex((s: any) => s.uses === './');
    expect(udev).toBeGreaterThan(-1);
    expect(self).toBeGreaterThan(udev);
  });
});
