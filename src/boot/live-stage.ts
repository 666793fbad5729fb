import { Marker } from '../agent/protocol.js';

/**
 * The stage a boot has reached, judged live from console lines alone. It drives progress display and names where a
 * boot stopped when it times out; the exact stage boundaries come later from the measure step.
 */
export type LiveStage = 'firmware' | 'kernel' | 'userspace' | 'ready' | 'shutdown';

const PRINTK_PREFIX = /^\[\s*\d+\.\d+\]/;

export function advanceLiveStage(current: LiveStage, text: string, readyRegex?: RegExp): LiveStage {
  if (text.startsWith(Marker.dmesgBegin)) return 'shutdown';
  if (current === 'shutdown') return current;
  if (text.startsWith(Marker.ready) || readyRegex?.test(text)) return 'ready';
  if (current === 'ready') return current;
  if (text.startsWith(Marker.init) || /Run \/\S+ as init process/.test(text)) return 'userspace';
  if (current === 'userspace') return current;
  if (PRINTK_PREFIX.test(text) || /Linux version|Decompressing Linux|Booting the kernel/.test(text)) return 'kernel';
  return current;
}

export const PANIC_PATTERN = /Kernel panic - not syncing/;

/** The line without printk's `[    1.234567] ` timestamp, for messages to people. */
export function withoutPrintkTime(text: string): string {
  return text.replace(PRINTK_PREFIX, '').trim();
}
