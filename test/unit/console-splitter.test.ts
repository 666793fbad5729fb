import { describe, expect, it } from 'vitest';
import { ConsoleSplitter } from '../../src/boot/console.js';

describe('ConsoleSplitter', () => {
  it('stamps each line with the arrival time of its first byte, not of its newline', () => {
    const splitter = new ConsoleSplitter();
    // QEMU writes one byte at a time; a line spread over chunks keeps the first chunk's time.
    splitter.push(Buffer.from('Lin'), 10);
    splitter.push(Buffer.from('ux version\r\nsec'), 25);
    splitter.push(Buffer.from('ond\r\n'), 40);
    splitter.push(Buffer.from('third\nfourth\n'), 55);
    expect(splitter.lines).toEqual([
      { t: 10, text: 'Linux version' },
      { t: 25, text: 'second' },
      { t: 55, text: 'third' },
      { t: 55, text: 'fourth' },
    ]);
  });

  it('starts a line at its first byte after a bare carriage return, which GRUB leaves before the kernel', () => {
    const splitter = new ConsoleSplitter();
    // GRUB's last output before it jumps to the kernel ends with a lone CR; the agent's marker follows seconds later.
    splitter.push(Buffer.from('Booting in blind mode\r\n'), 100);
    splitter.push(Buffer.from('\r'), 101);
    splitter.push(Buffer.from('boot-budget:init\r\n'), 5000);
    // A CR inside a line does not move its start.
    splitter.push(Buffer.from('a\rb'), 6000);
    splitter.push(Buffer.from('c\n'), 7000);
    expect(splitter.lines).toEqual([
      { t: 100, text: 'Booting in blind mode' },
      { t: 5000, text: 'boot-budget:init' },
      { t: 6000, text: 'abc' },
    ]);
  });

  it('keeps UTF-8 characters split across chunks intact', () => {
    const splitter = new ConsoleSplitter();
    const bytes = Buffer.from('µs ✓\n');
    splitter.push(bytes.subarray(0, 1), 1);
    splitter.push(bytes.subarray(1), 2);
    expect(splitter.lines[0]!.text).toBe('µs ✓');
  });

  it('flushes an unterminated last line at the end', () => {
    const splitter = new ConsoleSplitter();
    splitter.push(Buffer.from('Kernel panic - not syncing: no init'), 7);
    splitter.end();
    expect(splitter.lines).toEqual([{ t: 7, text: 'Kernel panic - not syncing: no init' }]);
  });

  it('stops keeping output past its limit and counts what it dropped', () => {
    const splitter = new ConsoleSplitter(() => {}, 10);
    splitter.push(Buffer.from('0123456789\n'), 1);
    splitter.push(Buffer.from('dropped\n'), 2);
    expect(splitter.lines.map((l) => l.text)).toEqual(['0123456789']);
    expect(splitter.truncatedBytes).toBe(8);
  });
});
