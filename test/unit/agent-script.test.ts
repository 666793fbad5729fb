import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Marker } from '../../src/agent/protocol.js';
import { agentScript, doorbellRing, shellQuote } from '../../src/agent/script.js';

/** Runs `script` with the host's /bin/sh and returns what it printed. */
function sh(script: string): string {
  const result = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { HOME: '/home/someone' } });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe('shellQuote', () => {
  const tricky = [
    '',
    'plain',
    "it's",
    "''",
    'echo "$HOME" `id` $(id) \\n \\',
    "a'b\"c$HOME'\\'",
    'two\nlines',
    '  leading and trailing  ',
    '*?[a-z] ~ # ; & | < > ( ) { }',
    '-n',
  ];

  it.each(tricky)('gives %j back unchanged to the shell', (s) => {
    expect(sh(`printf %s ${shellQuote(s)}`)).toBe(s);
  });

  it('keeps a run line intact through `sh -c`', () => {
    const line = `printf '%s|' "it's" "$HOME"`;
    expect(sh(`sh -c ${shellQuote(line)}`)).toBe("it's|/home/someone|");
  });

  it('refuses NUL, which no shell word can hold', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('agentScript', () => {
  const run = ['sleep 0.3', `echo "it's $HOME"`, 'false'];
  const script = agentScript(run);
  const lines = script.split('\n');
  const indexOf = (needle: string) => {
    const i = lines.findIndex((line) => line.includes(needle));
    expect(i, needle).toBeGreaterThanOrEqual(0);
    return i;
  };

  it('starts with the busybox shebang and mounts the pseudo-filesystems first', () => {
    expect(lines[0]).toBe('#!/bin/busybox sh');
    expect(indexOf('mount -t proc proc /proc')).toBeLessThan(indexOf(Marker.init));
    expect(indexOf('mount -t sysfs sysfs /sys')).toBeLessThan(indexOf(Marker.init));
    expect(lines[indexOf('mount -t devtmpfs')]).toMatch(/2>\/dev\/null$/);
  });

  it('puts the steps in protocol order', () => {
    const order = [
      indexOf(Marker.init),
      ...run.map((line) => indexOf(`sh -c ${shellQuote(line)}`)),
      indexOf(Marker.ready),
      indexOf(Marker.dmesgBegin),
      indexOf('/bin/busybox dmesg'),
      indexOf(Marker.dmesgEnd),
      indexOf('BOOT_BUDGET_END'),
      indexOf('/bin/busybox reboot -f'),
      lines.lastIndexOf('/bin/busybox poweroff -f'),
    ];
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
  });

  it('writes each timed marker to kmsg at KERN_INFO, then to the console', () => {
    for (const marker of [Marker.init, Marker.ready]) {
      const kmsg = lines.indexOf(`echo ${shellQuote(`<6>${marker}`)} > /dev/kmsg`);
      const onConsole = lines.indexOf(`echo ${shellQuote(marker)} > /dev/console`);
      expect(kmsg, marker).toBeGreaterThanOrEqual(0);
      expect(onConsole, marker).toBe(kmsg + 1);
    }
  });

  it('reports a failed run line by its 1-based number and status', () => {
    const line = lines[indexOf(`sh -c ${shellQuote('false')}`)]!;
    expect(line).toContain(`|| echo ${shellQuote(Marker.runFailed)} 3 $? > /dev/console`);
    // The same construction, on the host and with stdout instead of the console, prints the marker and carries on.
    const fragment = `sh -c ${shellQuote('exit 7')} </dev/null || echo ${shellQuote(Marker.runFailed)} 2 $?; echo next`;
    expect(sh(fragment)).toBe(`${Marker.runFailed} 2 7\nnext\n`);
  });

  it('runs nothing between the markers when there are no run lines', () => {
    const empty = agentScript([]).split('\n');
    const init = empty.findIndex((l) => l.includes(Marker.init) && l.includes('/dev/console'));
    // Only the ready doorbell, which is a builtin `case` when the host named no doorbell.
    expect(empty[init + 1]).toBe(doorbellRing('ready'));
    expect(empty[init + 2]).toContain(`<6>${Marker.ready}`);
  });
});
