import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentScript } from '../../src/agent/script.js';
import { CACHE_ARGS, CLI_BUNDLE, runBundle, scenarioDir, TEST_CACHE_DIR } from '../helpers/cli.js';
import { cloudKernel } from '../helpers/debian-kernel.js';
import { expectNoHypervisorsAfterEach, testDir } from '../helpers/vitest-dirs.js';

// What users run: the built bundle dist/cli/index.js (what `npx boot-budget` starts), each command at least once, with
// the README's behaviours that had no test of their own folded into as few real boots as possible (passes 1 or 2,
// warmup 0: each TCG boot costs ~5 s on an idle 2-core machine). .ci/run builds dist/ before the tests.

expectNoHypervisorsAfterEach();

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** R-7 quantile (numpy's default), worked out here rather than with the product's own function. */
function p90(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  const position = (s.length - 1) * 0.9;
  const low = Math.floor(position);
  return s[low]! + (s[Math.min(low + 1, s.length - 1)]! - s[low]!) * (position - low);
}

interface StageJson {
  samples: number[];
  median: number;
  verdict: string;
  budget: { max: number; level: string; statistic: string; value: number } | null;
  span: { from: string; to: string } | null;
  initcalls?: Array<{ name: string; mean: number }>;
}
interface ScenarioJson {
  name: string;
  verdict: string;
  error?: string;
  machine: string;
  firmware: string;
  cmdline: string;
  rootfs: string;
  kernel: string;
  stages: Record<string, StageJson>;
  baseline?: { kernel: string; stages: Record<string, StageJson> };
  comparison?: { verdict: string; stages: Record<string, { verdict: string }> };
}

/**
 * Whether this process may make a private mount namespace (root with unshare). The qboot-missing fallback test hides
 * /usr/share/qemu/qboot.rom in one, so the host's file is never touched. Machine-dependent: on this project's machines
 * the tests run as root and it works; in an unprivileged container it does not, and that test is skipped by name.
 */
const canUnshare =
  spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { stdio: 'ignore' }).status === 0;

let first: { dir: string; json: string; scenarios: Record<string, ScenarioJson> } | undefined;

describe('the CLI bundle, as users run it', () => {
  let shared: ReturnType<typeof scenarioDir>;
  beforeAll(() => {
    shared = scenarioDir({});
  });
  afterAll(() => shared.cleanup());
  beforeAll(async () => {
    if (!existsSync(CLI_BUNDLE)) throw new Error(`${CLI_BUNDLE} is missing: run npm run build before the tests`);
    await cloudKernel();
  }, 600_000);

  it('validate: checks scenarios without booting', async () => {
    const run = await runBundle(['validate', 'scenarios/']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/debian-cloud-busybox/);
  });

  it('run: q35 on SeaBIOS with initcalls and a ready regex, budgets on mean, p90 and max, --svg and --junit; a qcow2 disk', {
    timeout: 600_000,
  }, async () => {
    // Kept for the next test, which merges and compares what this run wrote.
    const dir = shared.dir;
    // A qcow2 disk: an ext4 image with the agent as /init, converted with qemu-img.
    const tree = join(dir, 'tree');
    for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp']) mkdirSync(join(tree, d), { recursive: true });
    copyFileSync('/bin/busybox', join(tree, 'bin', 'busybox'));
    writeFileSync(join(tree, 'init'), agentScript(['echo from-the-qcow2-disk']), { mode: 0o755 });
    execFileSync('mke2fs', ['-q', '-t', 'ext4', '-d', tree, '-E', 'root_owner=0:0', join(dir, 'raw.img'), '32M']);
    execFileSync('qemu-img', ['convert', '-O', 'qcow2', join(dir, 'raw.img'), join(dir, 'disk.qcow2')]);
    const before = sha256(join(dir, 'disk.qcow2'));
    writeFileSync(
      join(dir, 'q35.yaml'),
      `name: q35-seabios
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
machine: q35
firmware: default
initcalls: true
run:
  - echo app-is-up; sleep 5
ready: /^app-is-up$/
passes: 2
warmup: 0
timeout: 120s
budgets:
  kernel: { max: 600s, statistic: mean }
  userspace: { max: 600s, statistic: p90 }
  total: { max: 1ms, statistic: max, level: warn }
`,
    );
    writeFileSync(
      join(dir, 'qcow2.yaml'),
      `name: qcow2-disk
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  disk: { image: disk.qcow2, format: qcow2 }
cmdline: console=ttyS0 quiet rw init=/init
passes: 1
warmup: 0
timeout: 120s
`,
    );
    const json = join(dir, 'results.json');
    const svg = join(dir, 'chart.svg');
    const junit = join(dir, 'junit.xml');
    const run = await runBundle(['run', dir, '--json', json, '--svg', svg, '--junit', junit, ...CACHE_ARGS]);
    // Only a warn-level budget is exceeded, so the run passes.
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const results = JSON.parse(readFileSync(json, 'utf8')) as { scenarios: ScenarioJson[] };
    const byName = Object.fromEntries(results.scenarios.map((s) => [s.name, s]));
    first = { dir, json, scenarios: byName };

    const q35 = byName['q35-seabios']!;
    expect(q35.error).toBeUndefined();
    expect(q35.machine).toBe('q35');
    expect(q35.firmware).toBe('seabios');
    expect(q35.cmdline).toMatch(/initcall_debug log_buf_len=4M/);
    expect(q35.stages.kernel!.initcalls!.length).toBeGreaterThan(0);
    // ready: /regex/ ends userspace at the matching line, before the 5 s sleep that precedes the agent's own marker.
    for (const ms of q35.stages.userspace!.samples) expect(ms).toBeLessThan(5000);
    expect(q35.stages.userspace!.span!.to).not.toBe('boot-budget:ready');
    // Each budget judged its own statistic over the two samples, worked out here from the samples.
    const { kernel, userspace, total } = q35.stages as Record<string, StageJson>;
    expect(kernel!.samples).toHaveLength(2);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(kernel!.budget!.statistic).toBe('mean');
    expect(kernel!.budget!.value).toBeCloseTo(mean(kernel!.samples), 0);
    expect(userspace!.budget!.statistic).toBe('p90');
    expect(userspace!.budget!.value).toBeCloseTo(p90(userspace!.samples), 0);
    expect(total!.budget!.statistic).toBe('max');
    expect(total!.budget!.value).toBeCloseTo(Math.max(...total!.samples), 0);
    expect([kernel!.verdict, userspace!.verdict, total!.verdict]).toEqual(['pass', 'pass', 'warn']);

    const qcow2 = byName['qcow2-disk']!;
    expect(qcow2.error).toBeUndefined();
    expect(qcow2.rootfs).toMatch(/^disk disk\.qcow2 \(qcow2, snapshot=on: never written\)/);
    expect(sha256(join(dir, 'disk.qcow2'))).toBe(before);

    // --svg and --junit were written by the bundle.
    const chart = readFileSync(svg, 'utf8');
    expect(chart).toMatch(/^(<\?xml[^>]*>\s*)?<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(chart).toMatch(/q35-seabios/);
    const xml = readFileSync(junit, 'utf8');
    // One testcase per scenario × budgeted stage: three, all on q35-seabios.
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml).toMatch(/<testcase [^>]*name="[^"]*total/);
  });

  it('merge, compare, cache and doctor on what the run left', { timeout: 300_000 }, async () => {
    expect(first, 'needs the run above').toBeDefined();
    const { dir, json } = first!;
    // Two shard files, one scenario each, merged back into one.
    const whole = JSON.parse(readFileSync(json, 'utf8'));
    for (const [i, scenario] of whole.scenarios.entries())
      writeFileSync(join(dir, `shard-${i}.json`), JSON.stringify({ ...whole, scenarios: [scenario] }));
    const mergedFile = join(dir, 'merged.json');
    const merge = await runBundle([
      'merge',
      join(dir, 'shard-0.json'),
      join(dir, 'shard-1.json'),
      '--json',
      mergedFile,
    ]);
    expect(merge.code, merge.stdout + merge.stderr).toBe(0);
    const merged = JSON.parse(readFileSync(mergedFile, 'utf8'));
    expect(merged.scenarios.map((s: ScenarioJson) => s.name).sort()).toEqual(['q35-seabios', 'qcow2-disk']);

    // A run compared with itself: every stage unchanged, exit 0.
    const compare = await runBundle(['compare', json, json]);
    expect(compare.code, compare.stdout + compare.stderr).toBe(0);
    expect(compare.stdout).toMatch(/q35-seabios/);
    expect(compare.stdout).toMatch(/NO CHANGE q35-seabios: no stage differs from base/);
    expect(compare.stdout).toMatch(/NO CHANGE qcow2-disk/);
    expect(compare.stdout).not.toMatch(/✗ regression/);

    const list = await runBundle(['cache', 'list', ...CACHE_ARGS]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^kernel-apt +[0-9a-f]{12} .*linux-image-/m);
    expect(list.stdout).toContain(TEST_CACHE_DIR);

    const doctor = await runBundle(['doctor', ...CACHE_ARGS]);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    expect(doctor.stdout).toMatch(/qemu/);
    expect(doctor.stdout).toMatch(/kvm/i);
  });

  it('run --baseline-kernel: every scenario as an A/B against the given kernel', { timeout: 600_000 }, async () => {
    const dir = testDir({
      'ab.yaml': `name: ab-kernel
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
passes: 1
max-passes: 1
warmup: 0
timeout: 120s
`,
    });
    const json = join(dir, 'results.json');
    const kernel = (await cloudKernel()).path;
    const run = await runBundle(['run', dir, '--baseline-kernel', kernel, '--json', json, ...CACHE_ARGS]);
    expect(run.stderr).not.toMatch(/internal error/);
    // One pass a side cannot reach any p-value threshold, so no regression can be declared: exit 0.
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toMatch(/ab-kernel A: pass 1\/1/);
    expect(run.stderr).toMatch(/ab-kernel B: pass 1\/1/);
    const s = (JSON.parse(readFileSync(json, 'utf8')) as { scenarios: ScenarioJson[] }).scenarios[0]!;
    expect(s.baseline?.kernel).toContain(kernel);
    expect(s.kernel).toMatch(/^linux-image-.*\(apt/);
    expect(s.comparison?.verdict).not.toBe('regression');
    expect(Object.keys(s.comparison!.stages)).toEqual(expect.arrayContaining(['kernel', 'userspace', 'total']));
    expect(statSync(json).size).toBeGreaterThan(0);
  });

  it.runIf(canUnshare)(
    'run: firmware qboot on a host without qboot.rom boots SeaBIOS and says so (private mount namespace)',
    {
      timeout: 300_000,
    },
    async () => {
      const dir = testDir({
        'fallback.yaml': `name: qboot-missing
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
machine: pc
firmware: qboot
passes: 1
warmup: 0
timeout: 120s
`,
      });
      // A copy of QEMU's data dir without qboot.rom, bound over the real one in this process's own mount namespace.
      const share = join(dir, 'qemu-share');
      execFileSync('cp', ['-a', '/usr/share/qemu/.', share]);
      execFileSync('rm', ['-f', join(share, 'qboot.rom')]);
      const json = join(dir, 'results.json');
      const script = `mount --bind "$1" /usr/share/qemu && shift && exec "$@"`;
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(
          'unshare',
          [
            '--mount',
            '--propagation',
            'private',
            'sh',
            '-c',
            script,
            'sh',
            share,
            process.execPath,
            CLI_BUNDLE,
            'run',
            dir,
            '--json',
            json,
            ...CACHE_ARGS,
          ],
          { env: { ...process.env, NO_COLOR: '1' } },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout + run.stderr).toMatch(
        /firmware: qboot was asked for but \/usr\/share\/qemu\/qboot\.rom is missing; booting with the machine's SeaBIOS/,
      );
      const scenario = (JSON.parse(readFileSync(json, 'utf8')) as { scenarios: ScenarioJson[] }).scenarios[0]!;
      expect(scenario.firmware).toBe('seabios');
      // The host's own file was never hidden from anyone else.
      expect(existsSync('/usr/share/qemu/qboot.rom')).toBe(true);
    },
  );
});
