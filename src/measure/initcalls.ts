/**
 * Initcalls from `initcall_debug`. The kernel logs each one twice, at KERN_DEBUG (so `quiet` keeps them off the
 * console, but the agent's log dump has them):
 *
 *   calling  crypto_algapi_init+0x0/0x7e @ 1
 *   initcall crypto_algapi_init+0x0/0x7e returned 0 after 187163 usecs
 *
 * and, for a module, with its name in brackets after the symbol (`virtio_blk_init+0x0/0x1000 [virtio_blk]`).
 */
import type { BootEvent } from './types.js';

export interface Initcall {
  /** The function, without its `+offset/size`, e.g. `crypto_algapi_init`. */
  name: string;
  /** The module it came from, for `[module]` initcalls; built-in ones have none. */
  module?: string;
  /** Host time of the `calling` record (or end − duration when that record was lost). */
  startT: number;
  /** Host time of the `returned` record. */
  endT: number;
  /** The kernel's own measurement, from `after N usecs`; more precise than the difference of log timestamps. */
  ms: number;
  returned: number;
}

const CALLING = /^calling {1,2}([\w.$]+)\+0x[\da-f]+\/0x[\da-f]+(?: \[([\w-]+)\])? @ \d+/;
const RETURNED = /^initcall ([\w.$]+)\+0x[\da-f]+\/0x[\da-f]+(?: \[([\w-]+)\])? returned (-?\d+) after (\d+) usecs/;

/** The label a span edge or a report uses for an initcall. */
export function initcallLabel(call: Pick<Initcall, 'name' | 'module'>): string {
  return call.module ? `${call.name} [${call.module}]` : call.name;
}

/**
 * Pairs `calling` and `returned` records in log order. Several modules may export an initcall of the same name
 * (`init_module`, `init`), and module initcalls can interleave, so each (name, module) keeps a queue of open calls.
 */
export function parseInitcalls(events: readonly BootEvent[]): Initcall[] {
  const open = new Map<string, number[]>();
  const calls: Initcall[] = [];
  for (const event of events) {
    if (event.origin !== 'kernel') continue;
    const calling = CALLING.exec(event.text);
    if (calling) {
      const key = `${calling[1]}|${calling[2] ?? ''}`;
      const queue = open.get(key) ?? [];
      queue.push(event.t);
      open.set(key, queue);
      continue;
    }
    const returned = RETURNED.exec(event.text);
    if (!returned) continue;
    const [, name, module, status, usecs] = returned as unknown as [string, string, string | undefined, string, string];
    const ms = Number(usecs) / 1000;
    const startT = open.get(`${name}|${module ?? ''}`)?.shift() ?? event.t - ms;
    calls.push({ name, ...(module ? { module } : {}), startT, endT: event.t, ms, returned: Number(status) });
  }
  return calls;
}

/** The slowest `n` initcalls that ran inside [startT, endT], slowest first. */
export function slowestInitcalls(calls: readonly Initcall[], n: number, startT = -Infinity, endT = Infinity): Initcall[] {
  return calls
    .filter((c) => c.endT >= startT && c.endT <= endT)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n);
}
