import { cleanupNow } from '../boot/processes.js';

/** 128 + the signal's number: the shell's convention for a process a signal ended. */
const TERMINATION_SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const;

export type TerminationSignal = (typeof TERMINATION_SIGNALS)[number][0];

/**
 * On SIGINT or SIGTERM (Ctrl-C; a cancelled Actions job sends SIGINT, then SIGTERM), kill every hypervisor and remove
 * every temp dir, then hand over to `finish`, where the entry point says what happened and exits with `code`.
 */
export function cleanUpOnTermination(finish: (signal: TerminationSignal, code: number) => void): void {
  for (const [signal, code] of TERMINATION_SIGNALS) {
    process.on(signal, () => {
      cleanupNow();
      finish(signal, code);
    });
  }
}
