import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { withParentDeathSignal } from '../../src/boot/processes.js';

export const REPO = resolve(import.meta.dirname, '..', '..');

/**
 * Kernels and initramfs images are reused across test runs; the cache is part of the product, not a leftover. It lives
 * in the user's cache dir rather than in node_modules, which `npm ci` deletes (every CI run on a reused machine would
 * download the kernel again and rebuild the tiny kernel). On a fresh machine it is simply empty and filled by the
 * first run. BOOT_BUDGET_TEST_CACHE moves it (a CI cache mount, a scratch disk).
 */
export const TEST_CACHE_DIR = resolve(
  process.env.BOOT_BUDGET_TEST_CACHE ||
    join(
      process.env.XDG_CACHE_HOME ? resolve(process.env.XDG_CACHE_HOME) : join(homedir(), '.cache'),
      'boot-budget-test',
    ),
);

/** CLI arguments that point a run at TEST_CACHE_DIR. */
export const CACHE_ARGS: readonly string[] = ['--cache-dir', TEST_CACHE_DIR];

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliHandle {
  child: ReturnType<typeof spawn>;
  done: Promise<CliRun>;
}

/** The built CLI bundle, which `npx boot-budget` runs; .ci/run builds it before the tests (locally: npm run build). */
export const CLI_BUNDLE = join(REPO, 'dist', 'cli', 'index.js');

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run the built bundle (dist/cli/index.js) instead of src/ through tsx. */
  bundle?: boolean;
}

/**
 * Runs the CLI as a real process (real exit code, real signals): from source as the bundle's entry point does, or the
 * built bundle itself with `bundle: true`.
 */
export function startCli(args: string[], options: CliOptions = {}): CliHandle {
  const started = Date.now();
  const entry = options.bundle ? [CLI_BUNDLE] : ['--import', 'tsx', join(REPO, 'src', 'cli', 'main.ts')];
  // Dead with the test run (or bench) that started it, like the hypervisors it starts are dead with it.
  const cli = withParentDeathSignal(process.execPath, [...entry, ...args]);
  const child = spawn(cli.file, cli.args, {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolvePromise) => {
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
  return { child, done };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return startCli(args, options).done;
}

/** The built bundle, as users run it. */
export function runBundle(args: string[], options: Omit<CliOptions, 'bundle'> = {}): Promise<CliRun> {
  return startCli(args, { ...options, bundle: true }).done;
}

/**
 * Marks every process this test process starts (the CLI, the Action bundle, and the hypervisors they start inherit
 * it), so that the no-leftover check sees this run's hypervisors only. The test cache is shared by every test run on
 * the machine, so its path alone would also match another run's boots; an orphaned hypervisor keeps its environment,
 * so a real leftover of this run is still caught.
 */
export const TEST_RUN_MARK = `BOOT_BUDGET_TEST_RUN=${(process.env.BOOT_BUDGET_TEST_RUN ??= `${process.pid}-${Date.now()}`)}`;

function startedByThisRun(pid: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(TEST_RUN_MARK);
  } catch {
    // Gone, or another user's: not this run's either way (our own children are always readable).
    return false;
  }
}

/** This run's hypervisor processes whose command line mentions `needle` (a test's own temp or cache path). */
export function hypervisorsMentioning(needle: string): string[] {
  try {
    return execFileSync('pgrep', ['-a', '-f', 'qemu-system'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(needle) && !line.includes('pgrep'))
      .filter((line) => startedByThisRun(line.split(' ')[0]!));
  } catch (error) {
    // pgrep exits 1 when nothing matches; anything else (no pgrep at all) must fail the check, not pass it.
    if ((error as { status?: number }).status === 1) return [];
    throw error;
  }
}

/** A temporary directory of scenario files, removed by the returned function. */
export function scenarioDir(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'boot-budget-e2e-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
