/**
 * The scenario file as a user writes it: the single source of truth for what is allowed. Every value here is plain
 * YAML data (durations, sizes and regexes stay strings with a `pattern`) so that the JSON Schema generated from it
 * describes exactly what editors should accept; `load.ts` converts the validated strings to milliseconds, MiB and
 * RegExp objects. Refinements that JSON Schema cannot express (regex syntax, duplicate stage names) still run in zod.
 */
import { z } from 'zod';
import { aptKernelSchema, buildKernelSchema, rootfsVariantSchemas, urlKernelSchema } from './artifact-schema.js';
import { BUILTIN_STAGE_NAMES, BUILTIN_STAGES } from './builtin-stages.js';
import { bootSchema, diskImageSchema } from './disk-boot.js';
import { DURATION_PATTERN, parseDuration } from './duration.js';
import { memorySchema, problemOf } from './value-schemas.js';

export const STATISTICS = ['median', 'mean', 'p90', 'max'] as const;

export const SCENARIO_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// No dots: stage names become keys under `budgets:` and appear in dotted key paths such as `budgets.network`.
export const STAGE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
// `g` and `y` are left out on purpose: they make RegExp.test stateful through lastIndex, which would make a stage
// marker match only every other boot.
export const REGEX_LITERAL_PATTERN = /^\/(.+)\/([imsu]*)$/s;

/** Compiles a `/source/flags` string. Throws an Error whose message is the problem for people. */
export function parseRegexLiteral(text: string): RegExp {
  const match = /^\/(.+)\/([A-Za-z]*)$/s.exec(text);
  if (!match)
    throw new Error(`"${text}" is not a /regex/; write it between slashes, e.g. /Reached target/ or /login:/i`);
  const [, source, flags] = match as unknown as [string, string, string];
  const badFlag = [...flags].find((flag) => !'imsu'.includes(flag));
  if (badFlag !== undefined) throw new Error(`regex flag "${badFlag}" is not allowed; use i, m, s or u`);
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new Error((error as Error).message);
  }
}

const durationRe = new RegExp(DURATION_PATTERN);

const durationSchema = z
  .string({ error: (issue) => problemOf(parseDuration, issue.input) })
  .regex(durationRe, { error: (issue) => problemOf(parseDuration, issue.input) })
  // The pattern lets through numbers too large to be a duration (see MAX_DURATION_MS).
  .superRefine((text, ctx) => {
    const problem = durationRe.test(text) ? problemOf(parseDuration, text) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** A `/source/flags` string. `alternative` names what else the field accepts, for the message when it is neither. */
function regexLiteralSchema(alternative?: string) {
  const problem = (input: unknown): string | undefined => {
    if (alternative && typeof input === 'string' && !input.startsWith('/')) {
      return `${JSON.stringify(input)} is neither ${alternative} nor a /regex/; write a regex between slashes, e.g. /login:/`;
    }
    return problemOf(parseRegexLiteral, input);
  };
  return z
    .string({ error: (issue) => problem(issue.input) })
    .regex(REGEX_LITERAL_PATTERN, { error: (issue) => problem(issue.input) })
    .superRefine((text, ctx) => {
      const message = REGEX_LITERAL_PATTERN.test(text) ? problemOf(parseRegexLiteral, text) : undefined;
      if (message) ctx.addIssue({ code: 'custom', message });
    });
}

const regexSchema = regexLiteralSchema();

const statisticSchema = z.enum(STATISTICS);

const budgetObjectSchema = z
  .strictObject({
    max: durationSchema.describe('The most this stage may take, e.g. 400ms or 1.5s. Units are required.'),
    level: z
      .enum(['error', 'warn'])
      .default('error')
      .describe('`error` fails the run when the budget is exceeded; `warn` only reports it.'),
    statistic: statisticSchema
      .optional()
      .describe(
        'Which statistic over the measured passes is compared with `max`. Defaults to the top-level `statistic`.',
      ),
  })
  .describe('A budget with options.');

const budgetSchema = z
  .union([durationSchema.describe('The most this stage may take, e.g. 400ms or 1.5s.'), budgetObjectSchema], {
    error: (issue) => {
      const { input } = issue;
      if (typeof input === 'number' || typeof input === 'string' || input === null) {
        return problemOf(parseDuration, input);
      }
      return 'expected a duration such as 400ms, or a mapping such as {max: 400ms, level: warn}';
    },
  })
  .meta({
    id: 'budget',
    description:
      'A duration such as `400ms` or `1.5s`, or `{max: 400ms, level: warn, statistic: p90}`. The budget is met when the statistic over the measured passes is at most `max`.',
  });

/** A budget key for every built-in stage, described from the stage table. */
const builtinBudgets = Object.fromEntries(
  BUILTIN_STAGES.map((stage) => [stage.name, budgetSchema.optional().describe(stage.budget)]),
) as Record<(typeof BUILTIN_STAGES)[number]['name'], z.ZodOptional<typeof budgetSchema>>;

const stageSchema = z
  .strictObject({
    name: z
      .string()
      .regex(STAGE_NAME_PATTERN, {
        error: (issue) =>
          `"${String(issue.input)}" is not a valid stage name; start with a letter, then letters, digits, _ or -`,
      })
      .refine((name) => !(BUILTIN_STAGE_NAMES as readonly string[]).includes(name), {
        error: (issue) =>
          `"${String(issue.input)}" is a built-in stage and cannot be redefined; built-in stages are ${BUILTIN_STAGE_NAMES.join(', ')}`,
      })
      .describe('The stage name, used as its key under `budgets:`. Must not be a built-in stage name.'),
    from: regexSchema.describe('The stage starts at the first console or kernel-log line matching this /regex/.'),
    to: regexSchema.describe('The stage ends at the first later line matching this /regex/.'),
  })
  .describe('A custom stage, timed from the first line matching `from` to the first later line matching `to`.');

const kernelSchema = z
  .union(
    [
      z
        .strictObject({
          path: z.string().min(1).describe('A kernel image (bzImage) on disk, relative to this scenario file.'),
        })
        .describe('Boot a kernel image file.'),
      aptKernelSchema,
      urlKernelSchema,
      buildKernelSchema,
    ],
    {
      error: (issue) => {
        const { input } = issue;
        if (input && typeof input === 'object' && 'path' in input && 'apt' in input) {
          return 'give either `path` or `apt`, not both';
        }
        return 'expected exactly one of `path: ./bzImage` (a kernel image file), `apt: [linux-image-cloud-amd64, linux-image-virtual]` (kernel packages, the first that apt has), `url:` with `sha256:`, or `build:` (from source)';
      },
    },
  )
  .describe('Where the kernel comes from: exactly one of `path`, `apt`, `url` (+ `sha256`) or `build`.');

const busyboxRootfsSchema = z.strictObject({
  busybox: z
    .strictObject(
      {},
      { error: (issue) => (issue.input === null ? 'write `busybox: {}`; it takes no options yet' : undefined) },
    )
    .describe(
      'An initramfs that boot-budget builds from busybox and its guest agent. Takes no options yet: write `{}`.',
    ),
});

// The trees a disk image can be built from: every variant but a disk (rootfsVariantSchemas, in its order).
const [initramfsRootfsSchema, tarballRootfsSchema, layersRootfsSchema, mmdebstrapRootfsSchema, diskRootfsSchema] =
  rootfsVariantSchemas;

const rootfsSchema = z
  .union([
    busyboxRootfsSchema,
    initramfsRootfsSchema,
    tarballRootfsSchema,
    layersRootfsSchema,
    mmdebstrapRootfsSchema,
    diskRootfsSchema,
    diskImageSchema(
      kernelSchema,
      z.union([
        busyboxRootfsSchema,
        initramfsRootfsSchema,
        tarballRootfsSchema,
        layersRootfsSchema,
        mmdebstrapRootfsSchema,
      ]),
    ),
  ])
  .describe(
    'The root filesystem the guest boots into: one of `busybox`, `initramfs`, `tarball`, `layers`, `mmdebstrap`, `disk` or `disk-image`.',
  );

/** A systemd unit name (systemd's unit_name_is_valid, simplified): no path, no spaces, a known suffix. */
function systemdUnitName(only?: 'target') {
  const suffix = only ?? '(service|socket|device|mount|automount|swap|target|path|timer|slice|scope)';
  return z
    .string()
    .regex(new RegExp(`^[A-Za-z0-9:_.\\@-]+\\.${suffix}$`), {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a systemd ${only ?? 'unit'} name${only ? ` (e.g. multi-user.target)` : ' (e.g. foo.service)'}`,
    })
    .describe(only ? 'A systemd target, e.g. multi-user.target.' : 'A systemd unit, e.g. foo.service.');
}

const readySchema = z.union(
  [
    z
      .literal('agent', { error: (issue) => `expected \`agent\` or a /regex/, got ${JSON.stringify(issue.input)}` })
      .describe('The guest agent prints its ready marker once `run` has finished.'),
    regexLiteralSchema('`agent`').describe('Ready is the first console line matching this /regex/, e.g. /login:/.'),
    z
      .strictObject({ target: systemdUnitName('target') })
      .describe("A systemd image: boot-budget's ready unit marks ready once this target is reached."),
    z
      .strictObject({ unit: systemdUnitName() })
      .describe("A systemd image: boot-budget's ready unit marks ready once this unit has started."),
  ],
  {
    error: (issue) => {
      const { input } = issue;
      if (typeof input === 'string' && input.startsWith('/')) return problemOf(parseRegexLiteral, input);
      return 'expected `agent`, a /regex/ matched against console lines (e.g. /login:/), `{ target: multi-user.target }` or `{ unit: foo.service }`';
    },
  },
);

/** `5%`, `2.5%`: the largest increase of a stage's median that is not yet a regression. */
export const PERCENT_PATTERN = /^\d+(\.\d+)?%$/;

const regressionSchema = z
  .strictObject({
    'max-increase': z
      .string({
        error: (issue) =>
          typeof issue.input === 'number' ? `${issue.input} has no % sign; write e.g. ${issue.input}%` : undefined,
      })
      .regex(PERCENT_PATTERN, { error: (issue) => `${JSON.stringify(issue.input)} is not a percentage; write e.g. 5%` })
      .optional()
      .describe(
        'The largest increase of a stage median that is not a regression, e.g. 5%. Decreases beyond it are improvements. Default 5% (0.5% with clock: virtual).',
      ),
    'p-value': z
      .number()
      .gt(0)
      .lt(1)
      .optional()
      .describe(
        "A change counts only when the two-sided test (permutation on wall time, Welch's t on virtual time) gives a p-value at most this (default 0.01).",
      ),
    'min-ms': z
      .number()
      .min(0)
      .optional()
      .describe(
        'A change counts only when the medians differ by at least this many milliseconds. Default 10 (0.1 with clock: virtual).',
      ),
  })
  .describe(
    'How a change against a baseline (same-job A/B, or results from the base branch) becomes a regression or an improvement.',
  );

const baselineSchema = z
  .strictObject({
    kernel: kernelSchema.optional(),
    rootfs: rootfsSchema.optional(),
    run: z.array(z.string()).optional().describe("The baseline's `run:` lines, instead of this scenario's."),
    cmdline: z.string().optional().describe("The baseline's kernel command line, instead of this scenario's."),
  })
  .refine((b) => b.kernel !== undefined || b.rootfs !== undefined || b.run !== undefined || b.cmdline !== undefined, {
    error: 'name what the baseline changes: `kernel`, `rootfs`, `run` or `cmdline`',
  })
  .describe(
    'Same-job A/B: boot this baseline (the scenario with these keys replaced) interleaved with the scenario, A B then B A, with the same warm-up, and compare the two.',
  );

export const scenarioSchema = z
  .strictObject({
    name: z
      .string()
      .regex(SCENARIO_NAME_PATTERN, {
        error: (issue) =>
          `"${String(issue.input)}" is not a valid scenario name; start with a letter or digit, then letters, digits, ., _ or -`,
      })
      .describe('A unique name for this scenario; results and reports are keyed by it.'),
    kernel: kernelSchema.optional(),
    rootfs: rootfsSchema,
    boot: bootSchema,
    hypervisor: z
      .enum(['qemu', 'firecracker', 'cloud-hypervisor'])
      .default('qemu')
      .describe(
        'The hypervisor that boots the guest. firecracker and cloud-hypervisor boot a vmlinux extracted from the kernel.',
      ),
    doorbell: z
      .boolean()
      .default(false)
      .describe(
        'Have the agent ring a guest-to-host doorbell at init and ready, stamped by the host off the serial console: QEMU isa-debugcon, Firecracker --boot-timer, Cloud Hypervisor port 0x80. Adds the `doorbell` stage.',
      ),
    machine: z
      .enum(['pc', 'q35', 'microvm'])
      .default('pc')
      .describe('The QEMU machine type. microvm boots fastest; pc and q35 emulate a full PC.'),
    firmware: z
      .enum(['default', 'qboot', 'uefi', 'bios'])
      // Not defaulted here: the default depends on `boot:` (qboot, the fastest profile measured by bench/profiles.ts,
      // for -kernel boots; the disk image's own firmware for `boot: disk`), so load.ts fills it in.
      .optional()
      .describe(
        "QEMU only: the guest firmware. With -kernel: `qboot` (default) boots pc or q35 with /usr/share/qemu/qboot.rom (-bios), which skips SeaBIOS's PCI and option-ROM scan, and falls back to the machine's own firmware where the file is missing; `default` is the machine's own (SeaBIOS on pc and q35); microvm always uses its built-in qboot. With `boot: disk`: `uefi` (OVMF, the default) or `bios` (SeaBIOS).",
      ),
    kvm: z
      .enum(['auto', 'required', 'off'])
      .default('auto')
      .describe(
        '`auto` uses KVM when a probe proves it works, else TCG; `required` fails when KVM is unusable; `off` always uses TCG.',
      ),
    clock: z
      .enum(['wall', 'virtual'])
      .default('wall')
      .describe(
        "`wall` (default) times stages by the host's clock. `virtual` runs QEMU under TCG with its instruction counter (`-icount shift=0`: 1 ns per instruction) and times every stage by the guest's virtual clock, which a busy host does not move: for catching changes in the guest's work, not absolute boot times. Needs hypervisor: qemu, cpus: 1, and not kvm: required.",
      ),
    cpus: z.int().min(1).max(64).default(1).describe('Number of virtual CPUs.'),
    memory: memorySchema
      .default('256M')
      .describe('Guest memory with a unit: 256M, 1G, 512MiB or 2GiB (M and G are binary, as in QEMU).'),
    cmdline: z
      .string()
      .default('console=ttyS0 quiet')
      .describe('The kernel command line. Keep `quiet`: printing every kernel message on a serial console slows boot.'),
    initcalls: z
      .boolean()
      .default(false)
      .describe(
        'Time every kernel initcall: appends `initcall_debug log_buf_len=4M` to the command line. The records are KERN_DEBUG, so `quiet` keeps them off the console; they are read from the log after ready.',
      ),
    passes: z.int().min(1).max(100).default(5).describe('Number of measured boots; budgets are judged over these.'),
    warmup: z.int().min(0).max(20).default(1).describe('Boots run first and not measured, to warm caches.'),
    timeout: durationSchema
      .refine(
        (text) => !durationRe.test(text) || problemOf(parseDuration, text) !== undefined || parseDuration(text) > 0,
        {
          error: 'a timeout of 0 would abandon every boot; write e.g. 60s',
        },
      )
      .default('60s')
      .describe('How long one boot may take to reach ready before it is abandoned, e.g. 60s.'),
    ready: readySchema
      .default('agent')
      .describe(
        "When the boot counts as ready: `agent` (boot-budget's marker: its busybox agent's, or on a systemd image its ready unit's after default.target), `{ target: … }` or `{ unit: … }` (a systemd image's ready unit after that target or unit), or a /regex/ on the console.",
      ),
    run: z
      .array(z.string())
      .default([])
      .describe('Shell lines the guest agent runs before it prints the ready marker.'),
    statistic: statisticSchema
      .default('median')
      .describe(
        'The statistic over the measured passes that budgets are checked against, unless a budget names its own.',
      ),
    'max-passes': z
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe(
        'When a budget or regression verdict is within noise after `passes`, run more passes, up to this many in all (default 15, never fewer than `passes`).',
      ),
    regression: regressionSchema.optional(),
    baseline: baselineSchema.optional(),
    stages: z
      .array(stageSchema)
      .superRefine((stages, ctx) => {
        const seen = new Set<string>();
        stages.forEach((stage, index) => {
          if (typeof stage?.name !== 'string') return;
          if (seen.has(stage.name)) {
            ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `stage "${stage.name}" is declared twice` });
          }
          seen.add(stage.name);
        });
      })
      .default([])
      .describe('Custom stages, in addition to the built-in firmware, kernel, userspace, shutdown and total.'),
    budgets: z
      .object(builtinBudgets)
      .catchall(budgetSchema)
      .default({})
      .describe('Budgets per stage: a built-in stage or one declared under `stages:`.'),
  })
  .describe('A boot-budget scenario: one VM boot to measure and the time budgets of its stages.');

export type RawScenario = z.output<typeof scenarioSchema>;
