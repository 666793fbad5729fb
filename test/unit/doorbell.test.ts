import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ringProgram } from '../../src/agent/ring.js';
import { agentScript, doorbellRing } from '../../src/agent/script.js';
import { decodeDebugcon, markForCode } from '../../src/boot/doorbell.js';
import { qemuBackend } from '../../src/boot/qemu.js';
import type { BootTrace } from '../../src/boot/types.js';
import { measurePass } from '../../src/measure/measure-pass.js';

describe('debugcon doorbell', () => {
  it("decodes only the agent's codes; SeaBIOS's debug text on the same port is not a ring", () => {
    const chunk = Buffer.concat([Buffer.from('SeaBIOS (version 1.16.2)\nBooting from ROM..\n'), Buffer.from([0x01])]);
    expect(decodeDebugcon(chunk, 10)).toEqual([{ t: 10, mark: 'init', text: 'doorbell: init (debugcon 0x01)' }]);
    expect(decodeDebugcon(Buffer.from([0x02]), 20)).toEqual([
      { t: 20, mark: 'ready', text: 'doorbell: ready (debugcon 0x02)' },
    ]);
    expect(markForCode('port80', 0x61)).toBe('ready');
    expect(markForCode('port80', 0x02)).toBeUndefined();
  });

  it('QEMU gets the device and the FIFO as fd 3 only with doorbell: true', () => {
    const base = {
      kernel: '/k',
      cmdline: 'console=ttyS0 quiet',
      cpus: 1,
      memoryMiB: 256,
      machine: 'pc' as const,
      accel: 'tcg' as const,
    };
    const plain = qemuBackend.command('qemu-system-x86_64', base);
    expect(plain.args.join(' ')).not.toContain('debugcon');
    expect(plain.doorbell).toBeUndefined();
    const rung = qemuBackend.command('qemu-system-x86_64', { ...base, doorbell: true });
    expect(rung.args).toEqual(
      expect.arrayContaining([
        '-chardev',
        'file,id=doorbell,path=/dev/fd/3',
        '-device',
        'isa-debugcon,iobase=0x402,chardev=doorbell',
      ]),
    );
    expect(rung.cmdline).toBe('console=ttyS0 quiet panic=-1 BOOT_BUDGET_DOORBELL=debugcon');
    expect(rung.doorbell?.channel).toBe('fd3');
  });

  it('the agent rings before each marker, through the ring programs for ports and devmem for the boot timer', () => {
    const script = agentScript([]);
    expect(script.indexOf(doorbellRing('init'))).toBeLessThan(script.indexOf('boot-budget:init'));
    expect(script.indexOf(doorbellRing('ready'))).toBeLessThan(script.indexOf('boot-budget:ready'));
    expect(doorbellRing('ready')).toContain("debugcon) /bin/boot-budget-ring-402 '\x02';;");
    expect(doorbellRing('ready')).toContain("port80) /bin/boot-budget-ring-80 'a';;");
    expect(doorbellRing('ready')).toContain('boot-timer) /bin/busybox devmem 0xc0000000 8 123;;');
    expect(doorbellRing('init')).not.toContain('boot-timer');
  });

  it('the ring program is a static x86-64 ELF that readelf accepts, with the port in its code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'boot-budget-ring-'));
    try {
      const file = join(dir, 'ring');
      writeFileSync(file, ringProgram(0x402));
      const header = execFileSync('readelf', ['-hl', file], { encoding: 'utf8' });
      expect(header).toMatch(/Type:\s+EXEC/);
      expect(header).toMatch(/Machine:\s+Advanced Micro Devices X86-64/);
      expect(header).not.toMatch(/INTERP/);
      // mov edi, 0x402 and mov dx, 0x402 around `out dx, al`.
      expect(ringProgram(0x402).includes(Buffer.from([0xbf, 0x02, 0x04]))).toBe(true);
      expect(ringProgram(0x402).includes(Buffer.from([0x66, 0xba, 0x02, 0x04, 0xee]))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('doorbell events on the timeline', () => {
  const trace = (doorbell?: BootTrace['doorbell']): BootTrace => ({
    accel: 'tcg',
    argv: [],
    lines: [
      { t: 1000, text: '[    0.500000] Run /init as init process' },
      { t: 1100, text: 'boot-budget:init' },
      { t: 1300, text: 'boot-budget:ready' },
      { t: 1310, text: 'boot-budget:dmesg-begin' },
      { t: 1320, text: '<6>[    0.500000] Run /init as init process' },
      { t: 1330, text: '<14>[    0.790000] boot-budget:ready' },
      { t: 1340, text: 'boot-budget:dmesg-end' },
    ],
    exitT: 1400,
    outcome: { kind: 'exited', code: 0, signal: null },
    stderrTail: '',
    reached: 'shutdown',
    truncatedBytes: 0,
    ...(doorbell ? { doorbell } : {}),
  });

  it('adds a doorbell stage from spawn to the first ready ring, and the rings as events', () => {
    const measured = measurePass(
      trace([
        { t: 1090, mark: 'init', text: 'doorbell: init (debugcon 0x01)' },
        { t: 1290, mark: 'ready', text: 'doorbell: ready (debugcon 0x02)' },
      ]),
      [],
    );
    expect(measured.stages.find((s) => s.name === 'doorbell')).toMatchObject({ startT: 0, endT: 1290, ms: 1290 });
    expect(measured.events.filter((e) => e.source === 'doorbell').map((e) => e.text)).toEqual([
      'doorbell: init (debugcon 0x01)',
      'doorbell: ready (debugcon 0x02)',
    ]);
  });

  it('has no doorbell stage without a ready ring', () => {
    expect(measurePass(trace(), []).stages.map((s) => s.name)).not.toContain('doorbell');
    expect(
      measurePass(trace([{ t: 5, text: 'doorbell: Firmware code 0x00' }]), []).stages.map((s) => s.name),
    ).not.toContain('doorbell');
  });
});
