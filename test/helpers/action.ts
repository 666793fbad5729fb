import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO, TEST_CACHE_DIR, TEST_RUN_MARK } from './cli.js';

export interface ActionRun {
  code: number | null;
  stdout: string;
  /** Workflow commands the bundle printed (`::error …`), debug ones left out. */
  commands: string[];
  summary: string;
  outputs: Record<string, string>;
  workspace: string;
  /**
   * What the bundle tried to run as root (apt-get, the /dev/kvm udev rule), `sudo -n` left out. The commands it would
   * use are recording fakes first on PATH that change nothing and exit 1, so a test never touches its machine.
   */
  hostCommands: string[];
}

/**
 * The commands the Action's host actions run as root (src/action/host.ts), faked so that the machine is never
 * changed. The product's own read-only uses of the same tools go through: `apt-get download` (the apt kernel source),
 * and `env` starting anything but apt-get.
 */
const HOST_FAKES: Record<string, string> = {
  sudo: 'record "$@"',
  udevadm: 'record "$@"',
  tee: 'record "$@"',
  'apt-get': `case "$1" in download|source|changelog) exec /usr/bin/apt-get "$@";; esac\nrecord "$@"`,
  env: `case " $* " in *" apt-get "*) record "$@";; esac\nexec /usr/bin/env "$@"`,
};

function fakeHostCommands(dir: string, log: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(HOST_FAKES)) {
    const file = join(dir, name);
    const record = `record() { printf '%s\\n' "${name} $*" >> '${log}'; exit 1; }`;
    writeFileSync(file, `#!/bin/sh\n${record}\n${body}\n`);
    chmodSync(file, 0o755);
  }
}

/** `name<<delimiter\nvalue\ndelimiter` blocks, as @actions/core writes them to GITHUB_OUTPUT. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const block = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(block)) outputs[match[1]!] = match[3]!;
  return outputs;
}

function hostCommandsOf(log: string): string[] {
  if (!existsSync(log)) return [];
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  rmSync(log);
  return lines.map((line) => line.replace(/^sudo -n /, ''));
}

/**
 * A one-pass scenario of the cloud kernel and a busybox initramfs under TCG. `extra` starts on line 9, so the lines
 * that tests expect in annotations are 8 plus the line within `extra`.
 */
export function actionScenario(name: string, extra = ''): string {
  return `name: ${name}
kernel:
  apt: linux-image-cloud-amd64
rootfs:
  busybox: {}
kvm: off
passes: 1
warmup: 0
${extra}`;
}

export interface ActionRunOptions {
  /** More of the runner's environment (GITHUB_EVENT_NAME, GITHUB_REF, …). */
  env?: NodeJS.ProcessEnv;
  /** Packages a fake dpkg-query first on PATH reports as not installed, so that `install` has something to do. */
  missingPackages?: string[];
}

/**
 * A workspace with the given files, and a runner for the BUILT action bundle: inputs as INPUT_* variables, summary
 * and outputs in files, as GitHub's runner provides them. What differs from a real runner, exactly:
 * - the commands the Action runs as root (apt-get, tee of the udev rule, udevadm; `sudo`) are recording fakes that
 *   exit 1 (`hostCommands`), and `missingPackages` adds a fake dpkg-query;
 * - no cache service: ACTIONS_CACHE_URL, ACTIONS_RESULTS_URL and ACTIONS_RUNTIME_TOKEN are unset, so @actions/cache
 *   reports itself unavailable. The `cache` input then only keeps the local cache, and a `baseline` that plans a
 *   restore or a save says in the summary that the cache is not available. Saving and restoring through the cache
 *   are tested in-process with injected cache functions (test/unit/cache-actions-adapter.test.ts,
 *   test/unit/compare.test.ts), never against GitHub's service;
 * - GITHUB_EVENT_NAME, GITHUB_REF and GITHUB_EVENT_PATH are unset unless `env` sets them: a "local" run plans no
 *   baseline at all;
 * - `install` is false unless an input sets it.
 */
export function actionWorkspace(files: Record<string, string>): {
  workspace: string;
  run: (inputs: Record<string, string>, options?: ActionRunOptions) => Promise<ActionRun>;
  cleanup: () => void;
} {
  const root = mkdtempSync(join(tmpdir(), 'boot-budget-action-'));
  const workspace = join(root, 'workspace');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(workspace, name)), { recursive: true });
    writeFileSync(join(workspace, name), text);
  }
  mkdirSync(workspace, { recursive: true });
  const fakeBin = join(root, 'host-bin');
  fakeHostCommands(fakeBin, join(root, 'host-commands.log'));
  let runs = 0;
  const run = (inputs: Record<string, string>, options: ActionRunOptions = {}) =>
    new Promise<ActionRun>((resolve) => {
      runs++;
      const bin = join(root, `bin-${runs}`);
      mkdirSync(bin);
      if (options.missingPackages?.length) {
        const names = options.missingPackages.join(' ');
        const fake = join(bin, 'dpkg-query');
        // dpkg-query -W -f '${Status}' NAME: the last argument is the package.
        writeFileSync(
          fake,
          `#!/bin/sh\nfor last; do :; done\ncase " ${names} " in *" $last "*) printf 'unknown ok not-installed'; exit 0;; esac\nexec /usr/bin/dpkg-query "$@"\n`,
        );
        chmodSync(fake, 0o755);
      }
      const summaryFile = join(root, `summary-${runs}.md`);
      const outputFile = join(root, `output-${runs}.txt`);
      writeFileSync(summaryFile, '');
      writeFileSync(outputFile, '');
      const env: NodeJS.ProcessEnv = {
        PATH: `${bin}:${fakeBin}:${process.env.PATH}`,
        HOME: process.env.HOME,
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: workspace,
        GITHUB_STEP_SUMMARY: summaryFile,
        GITHUB_OUTPUT: outputFile,
        // The cache the other end-to-end tests fill, so the kernel is not downloaded again.
        XDG_CACHE_HOME: join(TEST_CACHE_DIR, 'xdg'),
        INPUT_INSTALL: 'false',
        // So that the no-leftover check knows this run's hypervisors (test/helpers/cli.ts).
        BOOT_BUDGET_TEST_RUN: TEST_RUN_MARK.split('=')[1],
        ...options.env,
      };
      for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
      const child = spawn(process.execPath, [join(REPO, 'dist', 'action', 'index.js')], {
        cwd: workspace,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (code) =>
        resolve({
          code,
          stdout,
          commands: stdout.split('\n').filter((l) => l.startsWith('::') && !l.startsWith('::debug::')),
          summary: readFileSync(summaryFile, 'utf8'),
          outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
          workspace,
          hostCommands: hostCommandsOf(join(root, 'host-commands.log')),
        }),
      );
    });
  return { workspace, run, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
