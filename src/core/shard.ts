import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

export interface Shard {
  /** 1-based, as users write it: `2/3` is the second of three. */
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new UsageError(`shard "${text}" is not of the form i/n with 1 ≤ i ≤ n, e.g. 2/3`);
  }
  return { index, count };
}

/**
 * Which shard a scenario belongs to, from a hash of its name alone: adding or removing a scenario never moves the
 * others to another shard, so a matrix job's history stays comparable.
 */
function shardOf(name: string, count: number): number {
  const digest = createHash('sha256').update(name, 'utf8').digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

export function selectShard<T extends { name: string }>(items: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...items];
  return items.filter((item) => shardOf(item.name, shard.count) === shard.index);
}
