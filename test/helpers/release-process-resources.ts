/**
 * A test file that boots in-process (runPass in the test worker) leaves what boot-budget keeps for the life of its
 * process: the directory of reusable FIFOs (src/boot/fifo.ts). The CLI and the Action release it when they exit or are
 * signalled; vitest ends its workers without an 'exit' event, so each file releases it here, as a host process must.
 */
import { afterAll } from 'vitest';
import { cleanupNow } from '../../src/boot/processes.js';

afterAll(() => cleanupNow());
