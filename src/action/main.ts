import * as core from '@actions/core';
import { cleanupNow } from '../boot/processes.js';
import { cleanUpOnTermination } from '../core/signals.js';
import { describeError } from '../errors.js';
import { runAction } from './run-action.js';
import { readActionSettings } from './settings.js';

// A cancelled job must leave no QEMU behind on the runner.
cleanUpOnTermination((_signal, code) => process.exit(code));

try {
  const outcome = await runAction(await readActionSettings());
  if (outcome.failure) core.setFailed(outcome.failure);
} catch (error) {
  cleanupNow();
  core.setFailed(describeError(error));
}
