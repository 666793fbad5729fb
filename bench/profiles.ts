/**
 * Profiles: the bundled scenario on pc with SeaBIOS, q35, microvm, and pc/q35 with qboot
 * (`firmware: qboot`, i.e. -bios /usr/share/qemu/qboot.rom), all on the same accelerator. Profiles are interleaved
 * round by round, each round in a rotated order, so that machine load drifts over all of them alike. Ratios are
 * medians against pc + SeaBIOS, the schema's historical default.
 *
 *   npx tsx bench/profiles.ts [--quick] [--rounds N]
 */
import { existsSync } from 'node:fs';
import { runPass } from '../src/boot/pass-runner.js';
import { QBOOT_ROM } from '../src/boot/qemu.js';
import type { HypervisorCommand } from '../src/boot/types.js';
import { measurePass } from '../src/measure/measure-pass.js';
import type { Scenario } from '../src/scenario/types.js';
import {
  benchAccel,
  bundledCommand,
  fmtMs,
  fmtRatio,
  median,
  note,
  quick,
  table,
  writeResult,
  type Profile,
} from './lib.js';

const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : quick ? 1 : 8;

const PROFILES: Profile[] = [
  { label: 'pc + SeaBIOS', machine: 'pc', firmware: 'default' },
  { label: 'q35 + SeaBIOS', machine: 'q35', firmware: 'default' },
  { label: 'microvm (qboot built in)', machine: 'microvm', firmware: 'default' },
  ...(existsSync(QBOOT_ROM)
    ? ([
        { label: 'pc + qboot', machine: 'pc', firmware: 'qboot' },
        { label: 'q35 + qboot', machine: 'q35', firmware: 'qboot' },
      ] satisfies Profile[])
    : []),
];

interface Arm {
  profile: Profile;
  scenario: Scenario;
  command: HypervisorCommand;
  stages: Array<Record<string, number>>;
  failures: string[];
}

const arms: Arm[] = [];
for (const profile of PROFILES) {
  const { scenario, command } = await bundledCommand(profile);
  arms.push({ profile, scenario, command, stages: [], failures: [] });
}
const { accel } = await benchAccel();

async function boot(arm: Arm, record: boolean): Promise<void> {
  const trace = await runPass(arm.command, { accel, timeoutMs: arm.scenario.timeoutMs });
  if (trace.reached !== 'ready' && trace.reached !== 'shutdown') {
    arm.failures.push(`${trace.outcome.kind} at ${trace.reached}`);
    return;
  }
  const m = measurePass(trace, [], undefined, { machine: arm.profile.machine, cmdline: arm.command.cmdline });
  if (record) arm.stages.push(Object.fromEntries(m.stages.map((s) => [s.name, s.ms])));
}

note(`profiles: ${arms.length} profiles × ${ROUNDS} rounds on ${accel}, after one warm-up boot each`);
for (const arm of arms) await boot(arm, false);
for (let round = 0; round < ROUNDS; round++) {
  const order = arms.map((_, i) => arms[(i + round) % arms.length]!);
  for (const arm of order) await boot(arm, true);
  note(
    `  round ${round + 1}/${ROUNDS}: ${arms.map((a) => `${a.profile.label} ${a.stages.at(-1)?.['total']?.toFixed(0) ?? 'failed'}`).join(', ')}`,
  );
}

const med = (arm: Arm, stage: string) =>
  median(arm.stages.map((s) => s[stage]).filter((v): v is number => v !== undefined));
const base = arms[0]!;
const rows = arms.map((arm) => ({
  label: arm.profile.label,
  machine: arm.profile.machine,
  firmware: arm.profile.firmware,
  working: arm.failures.length === 0 && arm.stages.length > 0,
  passes: arm.stages.length,
  failures: arm.failures,
  median: Object.fromEntries(['firmware', 'kernel', 'userspace', 'shutdown', 'total'].map((s) => [s, med(arm, s)])),
  totalRatio: med(arm, 'total') / med(base, 'total'),
  firmwareRatio: med(arm, 'firmware') / med(base, 'firmware'),
  samples: arm.stages,
}));

console.log(`\nProfiles: bundled scenario, ${ROUNDS} interleaved passes each, ${accel}; ratios against pc + SeaBIOS`);
console.log(
  table(
    ['profile', 'works', 'firmware', 'kernel', 'userspace', 'total', 'total ratio', 'firmware ratio'],
    rows.map((r) => [
      r.label,
      r.working ? 'yes' : `no (${r.failures[0] ?? 'no passes'})`,
      fmtMs(r.median['firmware']!),
      fmtMs(r.median['kernel']!),
      fmtMs(r.median['userspace']!),
      fmtMs(r.median['total']!),
      fmtRatio(r.totalRatio),
      fmtRatio(r.firmwareRatio),
    ]),
  ),
);
const fastest = rows.filter((r) => r.working).sort((a, b) => a.median['total']! - b.median['total']!)[0];
console.log(`fastest working profile: ${fastest?.label ?? 'none'}`);
console.log(
  `written ${writeResult('profiles', { accel, rounds: ROUNDS, profiles: rows, fastest: fastest?.label ?? null })}`,
);
