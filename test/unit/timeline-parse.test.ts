import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePrintk } from '../../src/measure/timeline.js';
import { loadBootFixture } from '../helpers/fixtures.js';

/** The first parsePrintk, before it was tuned for speed (match read by index, powers of ten from a table). */
const PRINTK_LINE = /^(?:<(\d+)>)?\[\s*(\d+)\.(\d+)\]\s?(.*)$/;

function byRegex(line: string) {
  const match = PRINTK_LINE.exec(line);
  if (!match) return null;
  const [, priority, seconds, fraction, text] = match;
  const origin = priority !== undefined && Number(priority) >> 3 !== 0 ? 'user' : 'kernel';
  const guestT = Number(seconds) * 1000 + (Number(fraction) / 10 ** fraction!.length) * 1000;
  return { guestT, text: text ?? '', origin };
}

/** Characters printk lines are made of, every `\s`, and line terminators. */
const printkish = fc.oneof(
  fc.constantFrom(...'<>[].0123456789 abc:'),
  fc.constantFrom(
    '\t',
    '\n',
    '\r',
    '\v',
    '\f',
    '\u00a0',
    '\u1680',
    '\u2000',
    '\u200a',
    '\u2028',
    '\u2029',
    '\u202f',
    '\u205f',
    '\u3000',
    '\ufeff',
    '\u200b',
    '٣',
  ),
);

describe('parsePrintk', () => {
  it('reads every line of the captured boots as the first version did', () => {
    for (const name of ['cloud-initcalls-pc', 'cloud-verbose', 'cloud-quiet-sleep1', 'cloud-panic']) {
      for (const line of loadBootFixture(name).trace.lines) expect(parsePrintk(line.text)).toEqual(byRegex(line.text));
    }
  });

  it('agrees with it on 20,000 random printk-like lines', () => {
    const line = fc.oneof(
      fc.string({ unit: printkish, maxLength: 40 }),
      fc
        .tuple(
          fc.option(fc.nat()),
          fc.string({ unit: printkish, maxLength: 6 }),
          fc.nat(),
          fc.string({ unit: fc.constantFrom('0', '1', '9'), maxLength: 20 }),
          fc.string({ unit: printkish, maxLength: 3 }),
          fc.string({ unit: printkish, maxLength: 20 }),
        )
        .map(([p, pad, s, f, after, text]) => `${p === null ? '' : `<${p}>`}[${pad}${s}.${f}]${after}${text}`),
    );
    fc.assert(
      fc.property(line, (text) => {
        expect(parsePrintk(text)).toEqual(byRegex(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads priorities, long fractions and numbers past 15 digits', () => {
    expect(parsePrintk('<14>[    2.500000] boot-budget:init')).toEqual({
      guestT: 2500,
      text: 'boot-budget:init',
      origin: 'user',
    });
    expect(parsePrintk('[1.5] x')).toEqual({ guestT: 1500, text: 'x', origin: 'kernel' });
    expect(parsePrintk('[12345678901234567890.1234567890123456789]')).toEqual(
      byRegex('[12345678901234567890.1234567890123456789]'),
    );
    expect(parsePrintk('[ 1.0] a\u2028b')).toBeNull();
  });
});
