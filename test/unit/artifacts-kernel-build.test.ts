import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildKernel } from '../../src/artifacts/kernel/build.js';
import type { KernelBuildSpec } from '../../src/scenario/types.js';

// The build pipeline (configure, merge, olddefconfig, compile, cache) run by real make on a stand-in kernel tree whose
// Makefile mimics the targets boot-budget calls; the real kernel is built in test/e2e/artifacts.test.ts.

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fakeTree(
  bzImageRecipe = '@echo "  CC      init/main.o"; mkdir -p $(O)/arch/x86/boot; cp $(O)/.config $(O)/arch/x86/boot/bzImage',
) {
  const base = mkdtempSync(join(tmpdir(), 'boot-budget-kbuild-'));
  dirs.push(base);
  const tree = join(base, 'linux');
  mkdirSync(tree);
  writeFileSync(join(tree, 'Kconfig'), '');
  writeFileSync(
    join(tree, 'Makefile'),
    [
      'tinyconfig:',
      '\techo $@ >> $(O)/../calls.log',
      "\tprintf '# Linux/x86 6.1.99 Kernel Configuration\\nCONFIG_A=y\\n# CONFIG_B is not set\\n' > $(O)/.config",
      'olddefconfig:',
      '\techo $@ >> $(O)/../calls.log',
      // Kconfig drops an option whose dependencies are unmet; this one always is.
      "\tsed -i '/CONFIG_DROPPED/d' $(O)/.config",
      'bzImage:',
      '\techo $@ >> $(O)/../calls.log',
      `\t${bzImageRecipe}`,
      '',
    ].join('\n'),
  );
  return { base, tree };
}

function spec(tree: string, fragments: KernelBuildSpec['fragments']): { kind: 'build'; build: KernelBuildSpec } {
  return {
    kind: 'build',
    build: {
      source: { kind: 'dir', path: tree },
      config: { kind: 'target', name: 'tinyconfig' },
      fragments,
      makeArgs: [],
      target: 'bzImage',
    },
  };
}

describe('kernel: {build}', () => {
  it('configures, merges fragments, warns about dropped options, builds, then reuses both without make', async () => {
    const { base, tree } = fakeTree();
    const cacheDir = join(base, 'cache');
    const logs: string[] = [];
    const ctx = { cacheDir, log: (m: string) => logs.push(m) };
    const s = spec(tree, [{ kind: 'inline', text: 'CONFIG_B=y\nCONFIG_DROPPED=y' }]);

    const first = await buildKernel.resolve(s, ctx);
    expect(readFileSync(first.path, 'utf8')).toBe('# Linux/x86 6.1.99 Kernel Configuration\nCONFIG_A=y\nCONFIG_B=y\n');
    expect(first.description).toMatch(
      /^linux 6\.1\.99 tinyconfig\+1 fragment\(s\) bzImage \(0 KiB\) from .*linux, built in \d+ s$/,
    );
    expect(logs).toContain(
      'warning: kconfig: Value requested for CONFIG_DROPPED not in final .config: requested "CONFIG_DROPPED=y", actual "# CONFIG_DROPPED is not set"',
    );
    expect(logs.some((l) => /^building bzImage: 1\/~\d+ objects, 0m\d\ds$/.test(l))).toBe(true);
    expect(readFileSync(join(cacheDir, 'work', 'calls.log'), 'utf8')).toBe('tinyconfig\nolddefconfig\nbzImage\n');
    expect(readFileSync(join(first.path, '..', 'build.log'), 'utf8')).toMatch(/\$ make O=.* -j \d+ bzImage/);

    logs.length = 0;
    const second = await buildKernel.resolve(s, ctx);
    expect(second.path).toBe(first.path);
    expect(second.description).toMatch(/, cached$/);
    expect(readFileSync(join(cacheDir, 'work', 'calls.log'), 'utf8')).toBe('tinyconfig\nolddefconfig\nbzImage\n');
    // The dropped-option warning is kept with the cached .config, so a cached run still says it.
    expect(logs.filter((l) => l.includes('CONFIG_DROPPED'))).toHaveLength(1);

    // A changed fragment is a different .config: configured and built again.
    await buildKernel.resolve(spec(tree, [{ kind: 'inline', text: '# CONFIG_A is not set' }]), ctx);
    expect(
      readFileSync(join(cacheDir, 'work', 'calls.log'), 'utf8')
        .split('\n')
        .filter(Boolean),
    ).toHaveLength(6);
  });

  it('a failed build shows the tail of its log and where the full log is', async () => {
    const { base, tree } = fakeTree(
      '@echo "  CC      kernel/fork.o"; echo "kernel/fork.c:1:1: error: expected something" >&2; exit 2',
    );
    const cacheDir = join(base, 'cache');
    const error = await buildKernel
      .resolve(spec(tree, []), { cacheDir, log: () => undefined })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'InfraError',
      message: expect.stringMatching(/^building bzImage failed \(make -j \d+ bzImage exited with status 2\)\.$/),
    });
    const hint = (error as { hint: string }).hint;
    expect(hint).toMatch(/Last lines of the build log:\n[\s\S]*kernel\/fork\.c:1:1: error: expected something/);
    const log = /Full log: (\S+)$/.exec(hint)![1]!;
    expect(existsSync(log)).toBe(true);
    expect(existsSync(join(cacheDir, 'store', 'kernel-build'))).toBe(true);
    expect(readFileSync(log, 'utf8')).toMatch(/error: expected something/);
  });
});
