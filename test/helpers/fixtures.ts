import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BootTrace } from '../../src/boot/types.js';
import type { PassContext } from '../../src/measure/types.js';
import { scenarioVerdict } from '../../src/judge/budgets.js';
import type { ScenarioResult, StageResult } from '../../src/judge/types.js';

export interface BootFixture {
  captured: {
    how: string;
    tool: string;
    qemu: string;
    date: string;
    /** The scenario booted (test/fixtures/boots/scenarios/<name>.yaml), and what the product resolved it to. */
    scenario: string;
    kernel: string;
    rootfs: string;
    firmware: string;
    cmdline: string;
    host: string;
    /** The host's 1-minute load average before and after the boot: how far to trust the fixture's times. */
    loadAverage: string;
  };
  trace: BootTrace;
}

/** Boots captured with scripts/capture-boot.ts from test/fixtures/boots/scenarios/; each file says in `captured.how` how it was made. */
export function loadBootFixture(name: string): BootFixture {
  return JSON.parse(
    readFileSync(join(import.meta.dirname, '..', 'fixtures', 'boots', `${name}.json`), 'utf8'),
  ) as BootFixture;
}

/** What a fixture was booted with, read from the QEMU argv it recorded: machine, cmdline and firmware. */
export function passContextOf(argv: readonly string[]): PassContext {
  const append = argv.indexOf('-append');
  return {
    machine: argv[argv.indexOf('-machine') + 1] as PassContext['machine'],
    // A whole-disk boot has no -append: its command line is in the image's loader entry.
    ...(append >= 0 ? { cmdline: argv[append + 1]! } : {}),
    firmware: argv.some((a) => a.includes('OVMF_CODE')) ? 'uefi' : argv.includes('-bios') ? 'qboot' : 'default',
  };
}

/**
 * A scenario's result around judged `stages`, as the bundled scenario gives it on this machine's QEMU under TCG
 * (the fixtures' setup); the verdict follows from the stages unless `overrides` sets it.
 */
export function scenarioResult(
  name: string,
  stages: StageResult[],
  overrides: Partial<ScenarioResult> = {},
): ScenarioResult {
  return {
    name,
    file: `scenarios/${name}.yaml`,
    accel: 'tcg',
    hypervisor: 'qemu',
    hypervisorVersion: '7.2.22',
    machine: 'pc',
    cmdline: 'console=ttyS0 quiet panic=-1',
    kernel: 'linux-image-6.1.0-56-cloud-amd64',
    rootfs: 'busybox initramfs',
    hostCpus: 2,
    warmup: 1,
    passes: 1,
    stages,
    verdict: scenarioVerdict(stages),
    ...overrides,
  };
}
