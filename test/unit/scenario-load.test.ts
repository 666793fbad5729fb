import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScenarioError, UsageError } from '../../src/errors.js';
import { checkScenarioFile, loadScenarioFile, loadScenarios } from '../../src/scenario/load.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'boot-budget-scenario-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

/** The problems of one scenario text, as plain data so a failing test shows all of them. */
async function problems(text: string) {
  await write('scenario.yaml', text);
  const check = await checkScenarioFile('scenario.yaml', dir);
  if (check.ok) throw new Error('expected the scenario to be rejected');
  return check.errors.map(({ file, line, column, keyPath, detail }) => ({ file, line, column, keyPath, detail }));
}

const HEAD = 'name: demo\nkernel: {apt: linux-image-cloud-amd64}\nrootfs: {busybox: {}}\n';

describe('loading a valid scenario', () => {
  it('converts every field', async () => {
    await write('bzImage', 'not really a kernel');
    await write(
      'full.yaml',
      `# yaml-language-server: $schema=../schema/scenario.schema.json
name: busybox-initramfs
kernel:
  path: ./bzImage
rootfs:
  busybox: {}
hypervisor: qemu
machine: microvm
kvm: required
cpus: 2
memory: 1G
cmdline: console=ttyS0 quiet tsc_early_khz=2000000
passes: 7
warmup: 2
timeout: 90s
ready: /Reached target/i
run:
  - sleep 0.05
  - echo hi
statistic: p90
stages:
  - name: network
    from: /Starting network/
    to: /network is up/
budgets:
  firmware: 150ms
  kernel: 400ms
  network: { max: 100ms, level: warn }
  total: { max: 1.5s, statistic: max }
  userspace: 800us
`,
    );
    const scenario = await loadScenarioFile('full.yaml', dir);
    expect(scenario).toEqual({
      name: 'busybox-initramfs',
      file: path.join(dir, 'full.yaml'),
      displayFile: 'full.yaml',
      kernel: { kind: 'path', path: path.join(dir, 'bzImage') },
      rootfs: { kind: 'busybox' },
      boot: 'kernel',
      hypervisor: 'qemu',
      doorbell: false,
      machine: 'microvm',
      firmware: 'qboot',
      kvm: 'required',
      clock: 'wall',
      cpus: 2,
      memoryMiB: 1024,
      cmdline: 'console=ttyS0 quiet tsc_early_khz=2000000',
      initcalls: false,
      passes: 7,
      warmup: 2,
      timeoutMs: 90_000,
      ready: { kind: 'regex', regex: /Reached target/i },
      run: ['sleep 0.05', 'echo hi'],
      stages: [{ name: 'network', from: /Starting network/, to: /network is up/, pos: { line: 22, column: 5 } }],
      budgets: [
        { stage: 'firmware', maxMs: 150, level: 'error', statistic: 'p90', pos: { line: 26, column: 3 } },
        { stage: 'kernel', maxMs: 400, level: 'error', statistic: 'p90', pos: { line: 27, column: 3 } },
        { stage: 'network', maxMs: 100, level: 'warn', statistic: 'p90', pos: { line: 28, column: 3 } },
        { stage: 'total', maxMs: 1500, level: 'error', statistic: 'max', pos: { line: 29, column: 3 } },
        { stage: 'userspace', maxMs: 0.8, level: 'error', statistic: 'p90', pos: { line: 30, column: 3 } },
      ],
      keyPos: {
        name: { line: 2, column: 1 },
        kernel: { line: 3, column: 1 },
        rootfs: { line: 5, column: 1 },
        hypervisor: { line: 7, column: 1 },
        machine: { line: 8, column: 1 },
        kvm: { line: 9, column: 1 },
        cpus: { line: 10, column: 1 },
        memory: { line: 11, column: 1 },
        cmdline: { line: 12, column: 1 },
        passes: { line: 13, column: 1 },
        warmup: { line: 14, column: 1 },
        timeout: { line: 15, column: 1 },
        ready: { line: 16, column: 1 },
        run: { line: 17, column: 1 },
        statistic: { line: 20, column: 1 },
        stages: { line: 21, column: 1 },
        budgets: { line: 25, column: 1 },
      },
    });
    // toEqual compares RegExp source and flags; make the flags explicit anyway since they change matching.
    expect(scenario.ready.kind === 'regex' && scenario.ready.regex.flags).toBe('i');
  });

  it('fills in defaults', async () => {
    await write('minimal.yaml', HEAD);
    const scenario = await loadScenarioFile('minimal.yaml', dir);
    expect(scenario).toMatchObject({
      name: 'demo',
      kernel: { kind: 'apt', packages: ['linux-image-cloud-amd64'] },
      rootfs: { kind: 'busybox' },
      hypervisor: 'qemu',
      doorbell: false,
      machine: 'pc',
      kvm: 'auto',
      clock: 'wall',
      cpus: 1,
      memoryMiB: 256,
      cmdline: 'console=ttyS0 quiet',
      passes: 5,
      warmup: 1,
      timeoutMs: 60_000,
      ready: { kind: 'agent' },
      run: [],
      stages: [],
      budgets: [],
    });
  });

  it('accepts the yaml-language-server schema comment on the first line', async () => {
    await write('commented.yaml', `# yaml-language-server: $schema=../schema/scenario.schema.json\n${HEAD}`);
    const scenario = await loadScenarioFile('commented.yaml', dir);
    expect(scenario.name).toBe('demo');
    expect(scenario.keyPos['name']).toEqual({ line: 2, column: 1 });
  });

  it('shows paths outside the working directory as absolute', async () => {
    const file = await write('minimal.yaml', HEAD);
    const scenario = await loadScenarioFile(file, path.join(dir, 'elsewhere'));
    expect(scenario.displayFile).toBe(file);
  });
});

describe('loading several scenarios', () => {
  it('takes the *.yaml and *.yml files of a directory, sorted by name, not recursively', async () => {
    await write('suite/c.yaml', HEAD.replace('demo', 'c'));
    await write('suite/a.yaml', HEAD.replace('demo', 'a'));
    await write('suite/b.yml', HEAD.replace('demo', 'b'));
    await write('suite/notes.txt', 'not a scenario');
    await write('suite/nested/d.yaml', HEAD.replace('demo', 'd'));
    const { scenarios, errors } = await loadScenarios(['suite'], dir);
    expect(errors).toEqual([]);
    expect(scenarios.map((s) => s.displayFile)).toEqual([
      path.join('suite', 'a.yaml'),
      path.join('suite', 'b.yml'),
      path.join('suite', 'c.yaml'),
    ]);
  });

  it('keeps going after a bad file and reports its errors', async () => {
    await write('suite/a.yaml', HEAD.replace('demo', 'a'));
    await write('suite/b.yaml', `${HEAD.replace('demo', 'b')}cpus: two\n`);
    await write('suite/c.yaml', HEAD.replace('demo', 'c'));
    const { scenarios, errors } = await loadScenarios(['suite'], dir);
    expect(scenarios.map((s) => s.name)).toEqual(['a', 'c']);
    expect(errors.map((e) => e.message)).toEqual([
      `${path.join('suite', 'b.yaml')}:4:7: cpus: expected a whole number, got "two"`,
    ]);
  });

  it('reports a duplicate name at the second file’s name line', async () => {
    await write('one.yaml', HEAD);
    await write('two.yaml', `# same name again\n${HEAD}`);
    const { scenarios, errors } = await loadScenarios(['one.yaml', 'two.yaml'], dir);
    expect(scenarios.map((s) => s.displayFile)).toEqual(['one.yaml']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ScenarioError);
    expect(errors[0]).toMatchObject({ file: 'two.yaml', line: 2, column: 1, keyPath: 'name' });
    expect(errors[0]!.detail).toMatch(/"demo" is already used by one\.yaml/);
  });

  it('throws a UsageError for a missing path or a directory without scenarios', async () => {
    await expect(loadScenarios(['nope.yaml'], dir)).rejects.toThrow(UsageError);
    await expect(loadScenarios(['nope.yaml'], dir)).rejects.toThrow(/nope\.yaml: no such file or directory/);
    await write('empty/readme.txt', 'nothing here');
    await expect(loadScenarios(['empty'], dir)).rejects.toThrow(/empty: directory has no scenario files/);
    await expect(loadScenarioFile('nope.yaml', dir)).rejects.toThrow(UsageError);
  });
});

describe('scenario errors point at the offending node', () => {
  it('unknown top-level key, with a did-you-mean', async () => {
    expect(await problems(`${HEAD}cmdlin: console=ttyS0\n`)).toEqual([
      {
        file: 'scenario.yaml',
        line: 4,
        column: 1,
        keyPath: 'cmdlin',
        detail: 'unknown key "cmdlin"; did you mean "cmdline"?',
      },
    ]);
  });

  it('unknown key without a close match lists the valid keys', async () => {
    const [error] = await problems(`${HEAD}telemetry: {}\n`);
    expect(error).toMatchObject({ line: 4, column: 1, keyPath: 'telemetry' });
    expect(error!.detail).toMatch(/^unknown key "telemetry"; keys here: name, kernel, rootfs, /);
  });

  it('duration without a unit', async () => {
    expect(await problems(`${HEAD}budgets: {kernel: 400}\n`)).toEqual([
      {
        file: 'scenario.yaml',
        line: 4,
        column: 19,
        keyPath: 'budgets.kernel',
        detail: '"400" has no unit; durations need one: write 150ms, 1.5s or 800us',
      },
    ]);
  });

  it('duration without a unit inside a budget mapping', async () => {
    expect(await problems(`${HEAD}budgets:\n  total: {max: 2, level: warn}\n`)).toMatchObject([
      { line: 5, column: 16, keyPath: 'budgets.total.max', detail: expect.stringMatching(/no unit/) },
    ]);
  });

  it('budget on an unknown stage', async () => {
    const text = `${HEAD}stages:\n  - {name: network, from: /a/, to: /b/}\nbudgets:\n  kernl: 400ms\n`;
    expect(await problems(text)).toEqual([
      {
        file: 'scenario.yaml',
        line: 7,
        column: 3,
        keyPath: 'budgets.kernl',
        detail:
          'unknown stage "kernl"; did you mean "kernel"? Stages here: firmware, loader, kernel, initrd, userspace, shutdown, total, doorbell, network',
      },
    ]);
  });

  it('invalid regex in a stage, with the JavaScript error text', async () => {
    const text = `${HEAD}stages:\n  - name: network\n    from: /([a/\n    to: /up/\n`;
    expect(await problems(text)).toEqual([
      {
        file: 'scenario.yaml',
        line: 6,
        column: 11,
        keyPath: 'stages.0.from',
        detail: 'Invalid regular expression: /([a/: Unterminated character class',
      },
    ]);
  });

  it('regex flags that would make matching stateful', async () => {
    expect(await problems(`${HEAD}ready: /login:/g\n`)).toMatchObject([
      { line: 4, column: 8, keyPath: 'ready', detail: 'regex flag "g" is not allowed; use i, m, s or u' },
    ]);
  });

  it('wrong type', async () => {
    expect(await problems(`${HEAD}cpus: two\n`)).toEqual([
      { file: 'scenario.yaml', line: 4, column: 7, keyPath: 'cpus', detail: 'expected a whole number, got "two"' },
    ]);
  });

  it('value out of range', async () => {
    expect(await problems(`${HEAD}passes: 0\n`)).toMatchObject([
      { line: 4, column: 9, keyPath: 'passes', detail: '0 is too small; the minimum is 1' },
    ]);
  });

  it('bad enum value, with a did-you-mean', async () => {
    expect(await problems(`${HEAD}machine: pcc\n`)).toEqual([
      {
        file: 'scenario.yaml',
        line: 4,
        column: 10,
        keyPath: 'machine',
        detail: '"pcc" is not allowed; did you mean "pc"? choose one of: pc, q35, microvm',
      },
    ]);
  });

  it('memory without a unit', async () => {
    expect(await problems(`${HEAD}memory: 512\n`)).toMatchObject([
      { line: 4, column: 9, keyPath: 'memory', detail: expect.stringMatching(/^"512" has no unit.*512M/) },
    ]);
  });

  it('YAML syntax error', async () => {
    expect(await problems('name: demo\nkernel:\n\tapt: linux\nrootfs: {busybox: {}}\n')).toEqual([
      {
        file: 'scenario.yaml',
        line: 3,
        column: 1,
        keyPath: '',
        detail: 'invalid YAML: Tabs are not allowed as indentation',
      },
    ]);
  });

  it('duplicate key', async () => {
    expect(await problems(`${HEAD}name: again\n`)).toMatchObject([
      { line: 4, column: 1, keyPath: '', detail: 'invalid YAML: Map keys must be unique' },
    ]);
  });

  it('empty file', async () => {
    expect(await problems('')).toEqual([
      {
        file: 'scenario.yaml',
        line: 1,
        column: 1,
        keyPath: '',
        detail: 'the file is empty; a scenario needs at least `name`, `kernel` and `rootfs`',
      },
    ]);
    expect(await problems('# only a comment\n')).toMatchObject([{ line: 1, column: 1, detail: /empty/ }]);
  });

  it('multi-document file', async () => {
    expect(await problems(`${HEAD}---\n${HEAD.replace('demo', 'other')}`)).toMatchObject([
      { line: 4, column: 1, keyPath: '', detail: expect.stringMatching(/second YAML document.*one scenario/) },
    ]);
  });

  it('top level that is not a mapping', async () => {
    expect(await problems('- name: demo\n')).toMatchObject([
      { line: 1, column: 1, keyPath: '', detail: expect.stringMatching(/top level must be a mapping/) },
    ]);
  });

  it('missing name, at the top-level mapping', async () => {
    const text =
      '# yaml-language-server: $schema=x.json\nkernel: {apt: linux-image-cloud-amd64}\nrootfs: {busybox: {}}\n';
    expect(await problems(text)).toEqual([
      { file: 'scenario.yaml', line: 2, column: 1, keyPath: 'name', detail: 'missing required key "name"' },
    ]);
  });

  it('a misspelt required key is reported once, as the misspelling', async () => {
    expect(await problems(HEAD.replace('name:', 'nme:'))).toEqual([
      { file: 'scenario.yaml', line: 1, column: 1, keyPath: 'nme', detail: 'unknown key "nme"; did you mean "name"?' },
    ]);
  });

  it('kernel with both path and apt', async () => {
    const text = 'name: demo\nkernel:\n  path: ./bzImage\n  apt: linux-image-cloud-amd64\nrootfs: {busybox: {}}\n';
    expect(await problems(text)).toEqual([
      { file: 'scenario.yaml', line: 2, column: 1, keyPath: 'kernel', detail: 'give either `path` or `apt`, not both' },
    ]);
  });

  it('kernel with a misspelt key', async () => {
    const text = 'name: demo\nkernel:\n  pth: ./bzImage\nrootfs: {busybox: {}}\n';
    expect(await problems(text)).toMatchObject([
      { line: 3, column: 3, keyPath: 'kernel.pth', detail: 'unknown key "pth"; did you mean "path"?' },
    ]);
  });

  it('kernel.path that does not exist', async () => {
    const text = 'name: demo\nkernel:\n  path: ./missing-bzImage\nrootfs: {busybox: {}}\n';
    const [error, ...rest] = await problems(text);
    expect(rest).toEqual([]);
    expect(error).toMatchObject({ line: 3, column: 9, keyPath: 'kernel.path' });
    expect(error!.detail).toContain(path.join(dir, 'missing-bzImage'));
    expect(error!.detail).toMatch(/^kernel image not found/);
  });

  it('custom stage clashing with a built-in stage', async () => {
    const text = `${HEAD}stages:\n  - name: kernel\n    from: /a/\n    to: /b/\n`;
    expect(await problems(text)).toEqual([
      {
        file: 'scenario.yaml',
        line: 5,
        column: 11,
        keyPath: 'stages.0.name',
        detail:
          '"kernel" is a built-in stage and cannot be redefined; built-in stages are firmware, loader, kernel, initrd, userspace, shutdown, total, doorbell',
      },
    ]);
  });

  it('custom stage declared twice', async () => {
    const text = `${HEAD}stages:\n  - {name: net, from: /a/, to: /b/}\n  - {name: net, from: /c/, to: /d/}\n`;
    expect(await problems(text)).toMatchObject([
      { line: 6, column: 12, keyPath: 'stages.1.name', detail: 'stage "net" is declared twice' },
    ]);
  });

  it('reports every problem of a file, sorted by line', async () => {
    const text = `${HEAD}machine: pcc\ncpus: two\nbudgets: {kernl: 1s}\ncmdlin: x\n`;
    expect((await problems(text)).map((p) => `${p.line}:${p.column} ${p.keyPath}`)).toEqual([
      '4:10 machine',
      '5:7 cpus',
      '6:11 budgets.kernl',
      '7:1 cmdlin',
    ]);
  });

  it('loadScenarioFile throws the first error', async () => {
    await write('bad.yaml', `${HEAD}machine: pcc\ncpus: two\n`);
    await expect(loadScenarioFile('bad.yaml', dir)).rejects.toThrow('bad.yaml:4:10: machine: "pcc" is not allowed');
  });
});

describe('values the schema passes are ones the conversion accepts', () => {
  it('an extract-limit or image size below 1 MiB is a located scenario error, not an internal one', async () => {
    await write('tree/.keep', '');
    await write(
      'limit.yaml',
      'name: demo\nkernel: {apt: linux-image-cloud-amd64}\nrootfs:\n  initramfs: ./tree\n  extract-limit: 0.5M\n',
    );
    const error = await loadScenarioFile('limit.yaml', dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScenarioError);
    expect(error).toMatchObject({
      file: 'limit.yaml',
      line: 5,
      column: 18,
      keyPath: 'rootfs.extract-limit',
      detail: '"0.5M" is less than 1 MiB',
    });
    await write('r.tar', '');
    await write(
      'size.yaml',
      'name: demo\nkernel: {apt: linux-image-cloud-amd64}\nrootfs:\n  tarball: ./r.tar\n  size: 0.5M\n',
    );
    await expect(loadScenarioFile('size.yaml', dir)).rejects.toMatchObject({
      line: 5,
      column: 9,
      keyPath: 'rootfs.size',
    });
  });
});

describe('a baseline’s local inputs are checked like the scenario’s own', () => {
  const build = (indent: string) =>
    [
      'kernel:',
      '  build:',
      '    source: { apt: linux-source-6.1 }',
      '    config: ../outside.config',
      '    fragments: [CONFIG_EXT4_FS=y, ./missing.config]',
    ]
      .map((line) => `${indent}${line}\n`)
      .join('');
  const own = `name: demo\n${build('')}rootfs: {busybox: {}}\n`;
  const baseline = `name: demo\nkernel: {apt: linux-image-cloud-amd64}\nrootfs: {busybox: {}}\nbaseline:\n${build('  ')}`;

  it('a build config outside the workspace and a missing fragment, at the same keys with the same words', async () => {
    const mine = await problems(own);
    expect(mine).toMatchObject([
      {
        line: 5,
        column: 13,
        keyPath: 'kernel.build.config',
        detail: expect.stringMatching(/^the kernel config .*outside\.config is outside the workspace/),
      },
      {
        line: 6,
        column: 35,
        keyPath: 'kernel.build.fragments.1',
        detail: expect.stringMatching(/^config fragment not found: .*missing\.config/),
      },
    ]);
    const theirs = await problems(baseline);
    expect(
      theirs.map((p) => ({
        ...p,
        keyPath: p.keyPath.replace(/^baseline\./, ''),
        detail: p.detail.replace('baseline ', ''),
      })),
    ).toEqual(mine.map((p) => ({ ...p, line: p.line + 3, column: p.column + 2 })));
    expect(theirs.map((p) => p.detail)).toEqual([
      expect.stringMatching(/^the baseline kernel config /),
      expect.stringMatching(/^baseline config fragment not found/),
    ]);
  });
});
