import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_ARGS, runCli } from '../helpers/cli.js';
import { expectNoHypervisorsAfterEach, testDir } from '../helpers/vitest-dirs.js';

expectNoHypervisorsAfterEach();

const valid = (name: string) => `name: ${name}
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
`;

describe('CLI without booting', () => {
  it('validates good scenarios with exit 0', async () => {
    const run = await runCli(['validate', 'scenarios/', 'scenarios/kvm/']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ok scenarios\/debian-cloud-busybox\.yaml/);
  });

  it('reports every bad scenario with file:line:column and key, exits 2 and boots nothing', async () => {
    const dir = testDir({
      'a.yaml': `${valid('a')}cmdlin: quiet\n`,
      'b.yaml': `${valid('b')}budgets:\n  kernel: 400\n`,
    });
    for (const command of [['validate', dir], [dir]]) {
      const run = await runCli([...command, ...CACHE_ARGS]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`a.yaml:6:1: cmdlin: unknown key "cmdlin"; did you mean "cmdline"?`);
      expect(run.stderr).toMatch(/b\.yaml:7:11: budgets\.kernel: "400" has no unit/);
      expect(run.stderr).toMatch(/2 scenario errors; nothing was booted/);
    }
  });

  it('rejects bad usage with exit 2 and the usage text', async () => {
    const run = await runCli(['--passes', 'zero']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--passes takes a whole number of at least 1/);
    const unknown = await runCli(['--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Usage:/);
    const missing = await runCli(['no/such/dir']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no\/such\/dir/);
  });

  it('exits 2 when --filter matches nothing', async () => {
    const run = await runCli(['validate', 'scenarios/', '--filter', 'nothing-like-this']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/matches none of: debian-cloud-busybox/);
  });
});

describe('CLI with a hypervisor that fails', () => {
  it('reports a non-zero QEMU exit with what QEMU said, as exit 3', async () => {
    const dir = testDir();
    // Not a kernel: QEMU refuses to load it and exits with status 1.
    writeFileSync(join(dir, 'not-a-kernel'), 'this is not a bzImage\n');
    writeFileSync(
      join(dir, 'bad-kernel.yaml'),
      `name: bad-kernel\nkernel:\n  path: not-a-kernel\nrootfs:\n  busybox: {}\nkvm: off\npasses: 1\nwarmup: 0\n`,
    );
    const json = join(dir, 'results.json');
    const run = await runCli([dir, '--json', json, ...CACHE_ARGS]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(
      /the hypervisor exited \(status 1\) before the ready marker; last stage reached: firmware/,
    );
    expect(run.stdout).toMatch(/Hypervisor said: .*kernel/i);
    const results = JSON.parse(readFileSync(json, 'utf8'));
    expect(results.scenarios[0]).toMatchObject({ verdict: 'error', accel: 'tcg' });
    expect(results.scenarios[0].error).toMatch(/status 1/);
  });
});
