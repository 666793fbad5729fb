/**
 * The built-in stages, as one table: the scenario schema takes their names (budget keys, reserved stage names) and
 * budget descriptions from it, and the measure step times each row between its two timeline anchors.
 *
 * To add a stage, add a row here (its place in the table is its place in the boot chart and in every list of stages).
 * If it runs between anchors that do not exist yet, add the anchor to `TimelineAnchor` and say in
 * `resolveAnchors` (src/measure/stages.ts) where on the timeline it lies. Then regenerate the JSON Schema
 * (`npm run schema`). docs/architecture.md walks through an example.
 */

/** Named points on one boot's timeline, resolved per pass by the measure step (src/measure/stages.ts). */
export type TimelineAnchor =
  | 'spawn'
  | 'loader-start'
  | 'kernel-zero'
  | 'kernel-end'
  | 'root-switch'
  | 'ready'
  | 'dump-end'
  | 'exit'
  | 'doorbell';

export interface BuiltinStage {
  name: string;
  /** Where the stage starts and ends; in a list, the first anchor the boot showed. */
  from: TimelineAnchor | readonly TimelineAnchor[];
  to: TimelineAnchor | readonly TimelineAnchor[];
  /** One line for people, shown in reports and docs. */
  covers: string;
  /** The JSON Schema description of its key under `budgets:`. */
  budget: string;
  /** Which events may split the stage's offending span. */
  spanEvents: 'all' | 'userspace';
  /**
   * `always`: every report lists it, measured or not (a row of the boot chart). `when-measured`: a stage only some
   * boots have, which appears only where it was measured. `disk-boot`: listed on whole-disk boots (`boot: disk`).
   */
  listed: 'always' | 'when-measured' | 'disk-boot';
}

export const BUILTIN_STAGES = [
  {
    name: 'firmware',
    from: 'spawn',
    // A whole-disk boot shows where its firmware hands over to the boot loader; a -kernel boot goes straight on.
    to: ['loader-start', 'kernel-zero'],
    covers: 'VMM setup and firmware, up to the boot loader (with -kernel, through kernel decompression)',
    budget:
      'Budget for `firmware`: from hypervisor spawn to kernel clock zero (VMM setup, firmware, decompression); with `boot: disk`, to the firmware starting the boot loader.',
    spanEvents: 'all',
    listed: 'always',
  },
  {
    name: 'loader',
    from: 'loader-start',
    to: 'kernel-zero',
    covers: 'the boot loader: its menu, reading the kernel and initrd, the EFI stub decompressing the kernel',
    budget:
      'Budget for `loader` (`boot: disk`): from the firmware starting the boot loader to kernel clock zero (menu timeout, reading the kernel, decompression).',
    spanEvents: 'all',
    listed: 'disk-boot',
  },
  {
    name: 'kernel',
    from: 'kernel-zero',
    to: 'kernel-end',
    covers: 'kernel clock zero to the start of init',
    budget: 'Budget for `kernel`: from kernel clock zero to running init.',
    spanEvents: 'all',
    listed: 'always',
  },
  {
    name: 'initrd',
    from: 'kernel-end',
    to: 'root-switch',
    covers: "the image's initramfs, up to the switch to the real root",
    budget:
      "Budget for `initrd` (`boot: disk`): from the kernel starting the image's initramfs to its switch to the real root.",
    spanEvents: 'userspace',
    // An image without an initramfs (a kernel that mounts its root itself) has no root switch, so no row.
    listed: 'when-measured',
  },
  {
    name: 'userspace',
    from: ['root-switch', 'kernel-end'],
    to: 'ready',
    covers: 'init (after the initrd, when there is one) to the ready marker',
    budget: 'Budget for `userspace`: from running init to the ready marker.',
    // The kernel keeps logging from deferred work while init runs (e.g. "tsc: Refined TSC clocksource calibration"
    // about 1 s in); such records say nothing about what userspace was doing, so they must not split its gaps.
    spanEvents: 'userspace',
    listed: 'always',
  },
  {
    name: 'shutdown',
    // Starts after the agent's log dump, so boot-budget's own dump is not billed to the guest's shutdown.
    from: 'dump-end',
    to: 'exit',
    covers: 'guest power-off to hypervisor exit',
    budget: 'Budget for `shutdown`: from ready to hypervisor exit, when the guest powers itself off.',
    spanEvents: 'all',
    listed: 'always',
  },
  {
    name: 'total',
    from: 'spawn',
    to: 'ready',
    covers: 'hypervisor spawn to the ready marker',
    budget: 'Budget for `total`: from hypervisor spawn to ready.',
    spanEvents: 'all',
    listed: 'always',
  },
  {
    // Needs `doorbell: true`: the ready ring is stamped on its own channel, so it costs the console nothing.
    name: 'doorbell',
    from: 'spawn',
    to: 'doorbell',
    covers: 'hypervisor spawn to the ready doorbell ring',
    budget:
      'Budget for `doorbell`: from hypervisor spawn to the ready doorbell ring, as the host saw it (needs `doorbell: true`).',
    spanEvents: 'all',
    listed: 'when-measured',
  },
] as const satisfies readonly BuiltinStage[];

export type BuiltinStageName = (typeof BUILTIN_STAGES)[number]['name'];

/** Every built-in stage name, in table order: reserved for custom stages, and known under `budgets:`. */
export const BUILTIN_STAGE_NAMES: readonly BuiltinStageName[] = BUILTIN_STAGES.map((stage) => stage.name);

/** The stages every report lists, measured or not, in boot-chart order (the `stageOrder` of judgeStages). */
export const ALWAYS_LISTED_STAGES: readonly BuiltinStageName[] = BUILTIN_STAGES.filter(
  (stage) => stage.listed === 'always',
).map((stage) => stage.name);
