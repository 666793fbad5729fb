/**
 * What `clock: virtual` asks of the rest of a scenario, as a table: QEMU runs icount only under TCG with one vCPU
 * (src/boot/icount.ts), and the stages are placed by the guest's own clocks, so anything stamped by the host has no
 * place on that timeline. Checked on the raw YAML (pointing at each key) and again when `--clock`/the Action's
 * `clock` input switches a scenario to the virtual clock after loading.
 */
import { ScenarioError } from '../errors.js';
import type { LocatedProblem } from './source-map.js';
import type { Scenario } from './types.js';

/** The scenario keys a virtual-clock rule reads, with their values as loaded or as written. */
interface ClockView {
  cpus?: unknown;
  kvm?: unknown;
  hypervisor?: unknown;
  doorbell?: unknown;
  ready?: unknown;
  boot?: unknown;
}

interface ClockRule {
  key: keyof ClockView;
  breaks(value: unknown): boolean;
  why: string;
}

const VIRTUAL_CLOCK_RULES: readonly ClockRule[] = [
  {
    key: 'cpus',
    breaks: (v) => typeof v === 'number' && v > 1,
    why: 'clock: virtual needs cpus: 1; QEMU counts instructions (icount) only with one vCPU and refuses it with multi-threaded TCG',
  },
  {
    key: 'kvm',
    breaks: (v) => v === 'required',
    why: 'clock: virtual always runs under TCG, since QEMU refuses icount with KVM; write kvm: auto or kvm: off, or use clock: wall',
  },
  {
    key: 'hypervisor',
    breaks: (v) => v !== undefined && v !== 'qemu',
    why: "clock: virtual needs hypervisor: qemu; it is QEMU's instruction counter (icount), which other hypervisors lack",
  },
  {
    key: 'doorbell',
    breaks: (v) => v === true,
    why: 'the doorbell is stamped by the host clock, which clock: virtual does not use; drop doorbell: true or use clock: wall',
  },
  {
    key: 'ready',
    breaks: (v) =>
      typeof v === 'string' ? v !== 'agent' : v !== undefined && (v as { kind?: string }).kind === 'regex',
    why: "clock: virtual needs ready: agent; the agent's ready marker carries the guest's clock, a console match only the host's",
  },
  {
    key: 'boot',
    breaks: (v) => v === 'disk',
    why: "clock: virtual times boots that start at the kernel (boot: kernel); on a whole-disk boot the firmware's and the loader's console lines carry only the host's clock, so loader could not be placed in virtual time; use clock: wall",
  },
];

/** The keys of a virtual-clock scenario that cannot hold, each with the reason. */
export function virtualClockConflicts(view: ClockView): Array<{ key: keyof ClockView; why: string }> {
  return VIRTUAL_CLOCK_RULES.filter((rule) => rule.breaks(view[rule.key])).map(({ key, why }) => ({ key, why }));
}

/** On the raw YAML data: problems in load.ts's shape, pointing at each conflicting key's value. */
export function clockProblems(data: unknown): LocatedProblem[] {
  if (typeof data !== 'object' || data === null || (data as { clock?: unknown }).clock !== 'virtual') return [];
  return virtualClockConflicts(data as ClockView).map(({ key, why }) => ({
    path: [key],
    detail: why,
    anchor: 'value',
  }));
}

/** A loaded scenario switched to `clock` (by --clock or the Action input): the same rules, as located errors. */
export function withClock(
  scenario: Scenario,
  clock: Scenario['clock'],
): { scenario: Scenario; errors: ScenarioError[] } {
  const switched = { ...scenario, clock };
  if (clock !== 'virtual') return { scenario: switched, errors: [] };
  const errors = virtualClockConflicts(scenario).map(({ key, why }) => {
    const pos = scenario.keyPos[key] ?? scenario.keyPos['name'] ?? { line: 1, column: 1 };
    return new ScenarioError(scenario.displayFile, pos.line, pos.column, key, `${why} (--clock virtual)`);
  });
  return { scenario: switched, errors };
}
