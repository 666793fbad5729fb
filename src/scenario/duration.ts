/**
 * Durations and memory sizes as people write them in scenarios. Units are mandatory: a bare `400` in a budget could
 * mean milliseconds or seconds, and guessing wrong turns a budget into one that always passes or always fails.
 */

// µ has two code points that look the same: U+00B5 (micro sign, what keyboards type) and U+03BC (Greek mu).
// `min` as systemd writes it (`1min 30s` in its own output); a bare `m` stays an error: minutes or milli?
const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, us: 0.001, µs: 0.001, μs: 0.001 };

const NUMBER = '\\d+(?:\\.\\d+)?|\\.\\d+';

/** JSON Schema / RegExp source for a valid duration; `parseDuration` accepts exactly these strings. */
export const DURATION_PATTERN = `^(${NUMBER})(${Object.keys(DURATION_UNIT_MS).join('|')})$`;

/** JSON Schema / RegExp source for a memory size; `parseMemory` also requires a whole number of MiB. */
export const MEMORY_PATTERN = `^(${NUMBER})(M|MiB|G|GiB)$`;

const DURATION_EXAMPLES = 'write 150ms, 1.5s or 800us';
const MEMORY_EXAMPLES = 'write 256M, 1G, 512MiB or 2GiB';

const durationRe = new RegExp(DURATION_PATTERN);
const bareNumberRe = new RegExp(`^[-+]?(?:${NUMBER})$`);
const spacedRe = new RegExp(`^[-+]?(?:${NUMBER})\\s+\\S+$`);
const numberThenUnitRe = new RegExp(`^(?:${NUMBER})([A-Za-zµμ]+)$`);

/**
 * No boot takes a day. Past ~24.8 days Node's timers overflow and fire after 1 ms, so an absurd `timeout` would abandon
 * every boot at once instead of never.
 */
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

/** Parses `150ms`, `1.5s`, `10min`, `800us` or `800µs` into milliseconds. Throws an Error with a message for people otherwise. */
export function parseDuration(text: string): number {
  const match = durationRe.exec(text);
  if (match) {
    const ms = Number(match[1]) * DURATION_UNIT_MS[match[2]!]!;
    if (!(ms <= MAX_DURATION_MS)) throw new Error(`"${text}" is too long; a duration can be at most 24 hours (86400s)`);
    return ms;
  }

  const trimmed = text.trim();
  if (trimmed === '') throw new Error(`empty duration; ${DURATION_EXAMPLES}`);
  if (/^-\.?\d/.test(trimmed)) throw new Error(`"${text}" is negative; durations cannot be negative`);
  if (bareNumberRe.test(trimmed)) {
    // No guess at the unit: a bare 60 is seconds in a timeout and milliseconds in a kernel budget.
    throw new Error(`"${text}" has no unit; durations need one: ${DURATION_EXAMPLES}`);
  }
  if (spacedRe.test(trimmed)) {
    throw new Error(`"${text}" has a space before its unit; ${DURATION_EXAMPLES} (no space)`);
  }
  const unit = numberThenUnitRe.exec(trimmed)?.[1];
  if (unit !== undefined)
    throw new Error(`"${text}" has an unknown unit "${unit}"; use ms, s, min or us: ${DURATION_EXAMPLES}`);
  throw new Error(`"${text}" is not a duration; ${DURATION_EXAMPLES}`);
}

/**
 * Milliseconds for people: `0.85 ms` below 1 ms, `412 ms` below 1 s, `1.52 s` above. Negative values (differences)
 * keep their sign.
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  if (ms < 0) return `-${formatMs(-ms)}`;
  // Thresholds compare the rounded value, so 999.7 ms prints as `1.00 s` rather than `1000 ms`.
  if (Number(ms.toFixed(2)) < 1) return `${ms.toFixed(2)} ms`;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

const MEMORY_UNIT_MIB: Record<string, number> = { M: 1, MiB: 1, G: 1024, GiB: 1024 };
export const MAX_MEMORY_MIB = 16 * 1024 * 1024;
const memoryRe = new RegExp(MEMORY_PATTERN);

/**
 * Parses `256M`, `1G`, `512MiB` or `2GiB` into MiB. `M` and `G` are binary units, as in QEMU's `-m`. The result must be a
 * whole number of MiB because that is what QEMU takes.
 */
export function parseMemory(text: string): number {
  const match = memoryRe.exec(text);
  if (match) {
    const mib = Number(match[1]) * MEMORY_UNIT_MIB[match[2]!]!;
    if (mib < 1) throw new Error(`"${text}" is less than 1 MiB`);
    // QEMU's own limit on x86-64 guests is far below this; past it the number is a typo, not a machine.
    if (!(mib <= MAX_MEMORY_MIB))
      throw new Error(`"${text}" is more than ${MAX_MEMORY_MIB / 1024}G; ${MEMORY_EXAMPLES}`);
    if (!Number.isInteger(mib)) throw new Error(`"${text}" is not a whole number of MiB (${mib} MiB)`);
    return mib;
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new Error(`empty memory size; ${MEMORY_EXAMPLES}`);
  if (/^-\.?\d/.test(trimmed)) throw new Error(`"${text}" is negative; ${MEMORY_EXAMPLES}`);
  if (bareNumberRe.test(trimmed)) {
    throw new Error(`"${text}" has no unit; memory sizes need one: ${MEMORY_EXAMPLES} (did you mean ${trimmed}M?)`);
  }
  if (spacedRe.test(trimmed)) throw new Error(`"${text}" has a space before its unit; ${MEMORY_EXAMPLES} (no space)`);
  const unit = numberThenUnitRe.exec(trimmed)?.[1];
  if (unit !== undefined)
    throw new Error(`"${text}" has an unknown unit "${unit}"; use M, MiB, G or GiB: ${MEMORY_EXAMPLES}`);
  throw new Error(`"${text}" is not a memory size; ${MEMORY_EXAMPLES}`);
}
