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
 * Pairs `calling` and `returned` records in log order, one record at a time. Several modules may export an initcall of
 * the same name (`init_module`, `init`), and module initcalls can interleave, so each symbol keeps a queue of open
 * calls. Times are on whatever clock the caller feeds (host or guest).
 */
export class InitcallPairer {
  /** Open calls by the symbol as printed (`name+0x0/0x7e [module]`), which a call's two records share. */
  private readonly open = new Map<string, number[]>();
  /**
   * The latest `calling`, kept out of the map: built-in initcalls run one at a time, so nearly every `returned` closes
   * the call just opened, and a string compare is all it takes.
   */
  private latest: { key: string; t: number } | null = null;

  /** A finished initcall when `text` is a `returned` record; the caller has checked that the record is the kernel's. */
  push(text: string, t: number): Initcall | null {
    // Most records are neither; one character code decides before any search runs.
    const first = text.charCodeAt(0);
    if (first === 0x63 /* c */) {
      if (!CALLING.test(text)) return null;
      if (this.latest) this.opened(this.latest.key, this.latest.t);
      this.latest = { key: text.slice(text.charCodeAt(8) === 0x20 ? 9 : 8, text.indexOf(' @ ')), t };
      return null;
    }
    if (first !== 0x69 /* i */) return null;
    const returned = RETURNED.exec(text);
    if (returned === null) return null;
    const name = returned[1]!;
    const module = returned[2];
    const ms = Number(returned[4]) / 1000;
    const startT = this.closed(text.slice(9, text.indexOf(' returned '))) ?? t - ms;
    const call: Initcall = { name, startT, endT: t, ms, returned: Number(returned[3]) };
    if (module) call.module = module;
    return call;
  }

  private opened(key: string, t: number): void {
    const queue = this.open.get(key);
    if (queue) queue.push(t);
    // Past this many symbols open at once, a log is not a boot's: the oldest open calls are forgotten, and their
    // returns measured from `after N usecs` alone.
    else if (this.open.size < MAX_OPEN_SYMBOLS) this.open.set(key, [t]);
    else this.open.clear();
  }

  /** The oldest open call of `key`: first in the map, which holds calls opened before the latest one. */
  private closed(key: string): number | undefined {
    const queue = this.open.size > 0 ? this.open.get(key) : undefined;
    if (queue) {
      const t = queue.shift();
      if (queue.length === 0) this.open.delete(key);
      return t;
    }
    if (this.latest?.key === key) {
      const t = this.latest.t;
      this.latest = null;
      return t;
    }
    return undefined;
  }
}

/** Distinct initcall symbols remembered while pairing; see InitcallPairer.opened. */
const MAX_OPEN_SYMBOLS = 65_536;

/** Every initcall among a pass's events. */
export function parseInitcalls(events: readonly BootEvent[]): Initcall[] {
  const pairer = new InitcallPairer();
  const calls: Initcall[] = [];
  for (const event of events) {
    if (event.origin !== 'kernel') continue;
    const call = pairer.push(event.text, event.t);
    if (call) calls.push(call);
  }
  return calls;
}
