import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO, TEST_CACHE_DIR } from './cli.js';

export interface ActionRun {
  code: number | null;
  stdout: string;
  /** Workflow commands the bundle printed (`::error …`), debug ones left out. */
  commands: string[];
  summary: string;
  outputs: Record<string, string>;
  workspace: string;
}

/** `name<<delimiter\nvalue\ndelimiter` blocks, as @actions/core writes them to GITHUB_OUTPUT. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const block = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(block)) outputs[match[1]!] = match[3]!;
  return outputs;
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

/**
 * A workspace with the given files, and a runner for the BUILT action bundle: inputs as INPUT_* variables, summary
 * and outputs in files, exactly as GitHub's runner provides them. Nothing is mocked.
 */
export function actionWorkspace(files: Record<string, string>): {
  workspace: string;
  run: (inputs: Record<string, string>) => Promise<ActionRun>;
  cleanup: () => void;
} {
  const root = mkdtempSync(join(tmpdir(), 'boot-budget-action-'));
  const workspace = join(root, 'workspace');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(workspace, name)), { recursive: true });
    writeFileSync(join(workspace, name), text);
  }
  mkdirSync(workspace, { recursive: true });
  let runs = 0;
  const run = (inputs: Record<string, string>) =>
    new Promise<ActionRun>((resolve) => {
      runs++;
      const summaryFile = join(root, `summary-${runs}.md`);
      const outputFile = join(root, `output-${runs}.txt`);
      writeFileSync(summaryFile, '');
      writeFileSync(outputFile, '');
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: workspace,
        GITHUB_STEP_SUMMARY: summaryFile,
        GITHUB_OUTPUT: outputFile,
        // The cache the other end-to-end tests fill, so the kernel is not downloaded again.
        XDG_CACHE_HOME: join(TEST_CACHE_DIR, 'xdg'),
        INPUT_INSTALL: 'false',
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
        }),
      );
    });
  return { workspace, run, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
