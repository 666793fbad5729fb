import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BootTrace } from '../../src/boot/types.js';

export interface BootFixture {
  captured: { how: string; tool: string; qemu: string; date: string };
  trace: BootTrace;
}

/** Boots captured with scripts/capture-trace.ts; each file says in `captured.how` how it was made. */
export function loadBootFixture(name: string): BootFixture {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'boots', `${name}.json`), 'utf8')) as BootFixture;
}
