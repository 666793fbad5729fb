import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCliArgs } from '../../src/cli/args.js';
import { checkScenarioFile, loadScenarios } from '../../src/scenario/load.js';
import { resolveReal, workspaceRoot } from '../../src/scenario/confine.js';

// A scenario from a pull request must not reach files outside the workspace: not by an absolute path, not by `..`,
// not through a symlink committed into the repository, not even to learn whether a host file exists.

let root: string;
let ws: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'boot-budget-confine-'));
  ws = join(root, 'ws');
  outside = join(root, 'secrets');
  mkdirSync(join(ws, '.git'), { recursive: true });
  mkdirSync(join(ws, 'scenarios'), { recursive: true });
  mkdirSync(join(ws, 'tree'), { recursive: true });
  mkdirSync(join(outside, 'ssh'), { recursive: true });
  writeFileSync(join(outside, 'ssh', 'id_rsa'), 'PRIVATE KEY');
  writeFileSync(join(ws, 'bzImage'), 'kernel');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const scenario = (kernel: string, rootfs = '  busybox: {}') => `name: s\nkernel:\n${kernel}\nrootfs:\n${rootfs}\n`;

async function problems(text: string, options = {}) {
  writeFileSync(join(ws, 'scenarios', 's.yaml'), text);
  const check = await checkScenarioFile('scenarios/s.yaml', ws, options);
  return check.ok ? [] : check.errors.map((e) => `${e.line}:${e.column} ${e.keyPath}: ${e.detail}`);
}

describe('scenario paths stay inside the workspace', () => {
  it('finds the workspace at the enclosing Git checkout', () => {
    expect(workspaceRoot(join(ws, 'scenarios'))).toBe(ws);
  });

  it('accepts paths inside, relative to the scenario file', async () => {
    expect(await problems(scenario('  path: ../bzImage', '  initramfs: ../tree'))).toEqual([]);
  });

  it('refuses an absolute path outside, at its key, naming the flag that allows it', async () => {
    const [error] = await problems(scenario('  apt: linux-image-cloud-amd64', `  initramfs: ${outside}/ssh`));
    expect(error).toMatch(
      /^5:14 rootfs\.initramfs: the rootfs layer .*secrets\/ssh is outside the workspace .*\/ws; .*--allow-outside/,
    );
  });

  it('refuses a path that climbs out with ..', async () => {
    expect((await problems(scenario('  path: ../../secrets/ssh/id_rsa')))[0]).toMatch(
      /^3:9 kernel\.path: the kernel image .* is outside the workspace/,
    );
  });

  it('refuses a symlink inside the workspace that leads outside, and says so', async () => {
    symlinkSync(join(outside, 'ssh'), join(ws, 'tree', 'ssh'));
    symlinkSync(join(outside, 'ssh', 'id_rsa'), join(ws, 'kernel-link'));
    const [kernel] = await problems(scenario('  path: ../kernel-link'));
    expect(kernel).toMatch(/outside the workspace/);
    expect(kernel).toMatch(/a symlink leads to .*secrets\/ssh\/id_rsa/);
    expect((await problems(scenario('  apt: linux-image-cloud-amd64', '  initramfs: ../tree/ssh')))[0]).toMatch(
      /outside the workspace/,
    );
  });

  it('does not reveal whether a file outside exists: dangling links and missing files read the same', async () => {
    symlinkSync('/nonexistent/boot-budget/secret', join(ws, 'dangling'));
    const dangling = await problems(scenario('  path: ../dangling'));
    const missing = await problems(scenario('  path: /nonexistent/boot-budget/other'));
    expect(dangling[0]).toMatch(/outside the workspace/);
    expect(missing[0]).toMatch(/outside the workspace/);
    expect(await resolveReal(join(ws, 'dangling'))).toBe('/nonexistent/boot-budget/secret');
  });

  it('lets the person running boot-budget allow it', async () => {
    expect(await problems(scenario(`  path: ${outside}/ssh/id_rsa`), { allowOutside: true })).toEqual([]);
    expect(parseCliArgs(['run', 'x.yaml', '--allow-outside'])).toMatchObject({ allowOutside: true });
    expect(parseCliArgs(['run', 'x.yaml'])).not.toHaveProperty('allowOutside');
  });

  it('judges a symlinked scenario file by where it sits, so a committed link cannot widen its reach', async () => {
    // Were the link judged by its target, the target's directory (secrets/) would be trusted.
    writeFileSync(join(outside, 'evil.yaml'), scenario(`  path: ${outside}/ssh/id_rsa`));
    symlinkSync(join(outside, 'evil.yaml'), join(ws, 'scenarios', 'evil.yaml'));
    const { errors } = await loadScenarios(['scenarios/'], ws);
    expect(errors.map((e) => e.detail).join('\n')).toMatch(/outside the workspace/);
  });

  it('trusts the directory of a scenario file named on the command line from outside the workspace', async () => {
    writeFileSync(join(outside, 'mine.yaml'), scenario('  path: ssh/id_rsa'));
    const { errors } = await loadScenarios([join(outside, 'mine.yaml')], ws);
    expect(errors).toEqual([]);
  });
});
