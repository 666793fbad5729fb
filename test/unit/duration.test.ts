import { describe, expect, it } from 'vitest';
import { DURATION_PATTERN, formatMs, MEMORY_PATTERN, parseDuration, parseMemory } from '../../src/scenario/duration.js';

describe('parseDuration', () => {
  it.each([
    ['150ms', 150],
    ['1.5s', 1500],
    ['1s', 1000],
    ['0s', 0],
    ['.5s', 500],
    ['800us', 0.8],
    ['800µs', 0.8], // U+00B5 micro sign
    ['800μs', 0.8], // U+03BC Greek mu
    ['0.25ms', 0.25],
    ['10min', 600_000],
    ['1.5min', 90_000],
  ])('%s → %f ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it('requires a unit and says how to write one', () => {
    expect(() => parseDuration('400')).toThrow(/^"400" has no unit; durations need one: write 150ms, 1\.5s or 800us$/);
    expect(() => parseDuration('1.5')).toThrow(/no unit/);
  });

  it('rejects negative durations', () => {
    expect(() => parseDuration('-5ms')).toThrow(/negative/);
    expect(() => parseDuration('-5')).toThrow(/negative/);
  });

  it('rejects a space between number and unit', () => {
    expect(() => parseDuration('150 ms')).toThrow(/space/);
  });

  it('names an unknown unit', () => {
    expect(() => parseDuration('2m')).toThrow(/unknown unit "m"/);
    expect(() => parseDuration('1sec')).toThrow(/unknown unit "sec"/);
    expect(() => parseDuration('1S')).toThrow(/unknown unit "S"/);
  });

  it('rejects garbage and empty strings', () => {
    expect(() => parseDuration('')).toThrow(/empty/);
    expect(() => parseDuration('fast')).toThrow(/not a duration/);
    expect(() => parseDuration('1.2.3s')).toThrow(/not a duration/);
    expect(() => parseDuration(' 1s')).toThrow();
  });

  it('agrees with DURATION_PATTERN, which the JSON Schema uses', () => {
    const pattern = new RegExp(DURATION_PATTERN);
    for (const text of ['150ms', '1.5s', '800us', '800µs', '.5s']) expect(pattern.test(text)).toBe(true);
    for (const text of ['400', '-5ms', '150 ms', '2m', '']) expect(pattern.test(text)).toBe(false);
  });
});

describe('formatMs', () => {
  it.each([
    [0.85, '0.85 ms'],
    [0, '0.00 ms'],
    [0.994, '0.99 ms'],
    [0.999, '1 ms'],
    [1, '1 ms'],
    [412.4, '412 ms'],
    [999.4, '999 ms'],
    [999.7, '1.00 s'],
    [1000, '1.00 s'],
    [1523, '1.52 s'],
    [61_000, '61.00 s'],
    [-412, '-412 ms'],
  ])('%f → %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});

describe('parseMemory', () => {
  it.each([
    ['256M', 256],
    ['1G', 1024],
    ['512MiB', 512],
    ['2GiB', 2048],
    ['1.5G', 1536],
  ])('%s → %i MiB', (text, mib) => {
    expect(parseMemory(text)).toBe(mib);
  });

  it('requires a unit', () => {
    expect(() => parseMemory('256')).toThrow(/no unit.*256M/);
  });

  it('rejects other units, fractions of a MiB and zero', () => {
    expect(() => parseMemory('256MB')).toThrow(/unknown unit "MB"/);
    expect(() => parseMemory('256k')).toThrow(/unknown unit "k"/);
    expect(() => parseMemory('1.5M')).toThrow(/whole number of MiB/);
    expect(() => parseMemory('0M')).toThrow(/less than 1 MiB/);
    expect(() => parseMemory('-1G')).toThrow(/negative/);
    expect(() => parseMemory('256 M')).toThrow(/space/);
  });

  it('agrees with MEMORY_PATTERN, which the JSON Schema uses', () => {
    const pattern = new RegExp(MEMORY_PATTERN);
    for (const text of ['256M', '1G', '512MiB', '2GiB']) expect(pattern.test(text)).toBe(true);
    for (const text of ['256', '256MB', '-1G']) expect(pattern.test(text)).toBe(false);
  });
});
