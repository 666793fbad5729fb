/**
 * The critical chain to a unit, as `systemd-analyze critical-chain` computes it (src/analyze/analyze-critical-chain.c,
 * with its default fuzz of 0): from the unit, follow the `After=` dependency that became active last, provided it
 * became active at all and before the end of the boot; repeat until a unit has none. Each link is the reason the one
 * before it could not start sooner. Where systemd prints several dependencies that tie, the chain takes the first in
 * `After=` order, as systemd prints them. systemd stops at a unit it has already printed; so does this.
 *
 * One deliberate difference: systemd-analyze only counts units that became active, which leaves out every oneshot
 * service without RemainAfterExit (it goes from activating straight back to inactive), although its target waited for
 * it to finish. Here such a unit counts as reached when it finished (reachedUs), so a slow oneshot shows on the chain.
 */
import { activationUs, type ChainLink, reachedUs, type UnitTimes } from './unit-times.js';

export function criticalChain(
  target: string,
  units: readonly UnitTimes[],
  userspaceUs: number,
  /** The end of the boot: units active after it are not part of the chain (systemd's times_in_range). */
  endUs: number,
): ChainLink[] {
  const byName = new Map(units.map((u) => [u.name, u]));
  const link = (u: UnitTimes): ChainLink => ({
    name: u.name,
    atMs: (reachedUs(u) - userspaceUs) / 1000,
    ms: activationUs(u) / 1000,
  });
  const first = byName.get(target);
  if (!first) return [];
  const chain = [link(first)];
  const seen = new Set([first.name]);
  let current = first;
  while (true) {
    let next: UnitTimes | undefined;
    for (const name of current.after) {
      const dep = byName.get(name);
      const reached = dep ? reachedUs(dep) : 0;
      if (!dep || reached <= 0 || reached > endUs) continue;
      if (!next || reached > reachedUs(next)) next = dep;
    }
    if (!next || seen.has(next.name)) break;
    chain.push(link(next));
    seen.add(next.name);
    current = next;
  }
  return chain;
}
