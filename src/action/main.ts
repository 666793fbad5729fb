import * as core from '@actions/core';
import { cleanupNow } from '../boot/processes.js';
import { describeError } from '../errors.js';
import { runAction } from './run-action.js';
import { readActionSettings } from './settings.js';

// A cancelled job sends SIGINT, then SIGTERM: leave no QEMU behind on the runner.
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    cleanupNow();
    process.exit(code);
  });
}

try {
  const outcome = await runAction(await readActionSettings());
  if (outcome.failure) core.setFailed(outcome.failure);
} catch (error) {
  cleanupNow();
  core.setFailed(describeError(error));
}
