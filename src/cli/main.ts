#!/usr/bin/env node
import { cleanupNow } from '../boot/processes.js';
import { cleanUpOnTermination } from '../core/signals.js';
import { VERSION } from '../version.js';
import { runCli } from './cli.js';

// A signal must not leave QEMU running or temp dirs behind.
cleanUpOnTermination((signal, code) => {
  process.stderr.write(`\nboot-budget: ${signal}, stopped; no hypervisor left running.\n`);
  process.exit(code);
});

try {
  process.exitCode = await runCli({
    argv: process.argv.slice(2),
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    version: VERSION,
  });
} catch (error) {
  cleanupNow();
  process.stderr.write(`boot-budget: internal error: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 3;
}
