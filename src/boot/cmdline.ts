/** A kernel parameter a backend adds unless the user already set it (by key, with or without a value). */
export interface CmdlineQuirk {
  key: string;
  param: string;
  /** Why the backend needs it: shown in docs, and the reason a quirk exists at all. */
  why: string;
}

export function hasParam(cmdline: string, key: string): boolean {
  return cmdline.split(/\s+/).some((word) => word === key || word.startsWith(`${key}=`));
}

/** The user's command line with each missing quirk appended, in table order. */
export function withQuirks(cmdline: string, quirks: readonly CmdlineQuirk[]): string {
  const extra = quirks.filter((q) => !hasParam(cmdline, q.key)).map((q) => q.param);
  return [cmdline.trim(), ...extra].filter(Boolean).join(' ');
}

/** Adds each parameter whose key the cmdline lacks; `rw` and `ro` count as one key. */
export function addKernelParams(cmdline: string, params: readonly string[] = []): string {
  const words = cmdline.split(/\s+/).filter(Boolean);
  const keyOf = (word: string) => (word === 'ro' || word === 'rw' ? 'ro|rw' : word.split('=')[0]!);
  const have = new Set(words.map(keyOf));
  const extra = params.filter((p) => !have.has(keyOf(p)));
  return [...words, ...extra].join(' ');
}

/**
 * The kernel parameters `initcalls: true` adds, each unless the cmdline already sets it. The log buffer must hold
 * ~1,150 extra records (575 initcalls on the cloud kernel), or the early ones are overwritten before the dump.
 */
export function withInitcallDebug(cmdline: string): string {
  return addKernelParams(cmdline, ['initcall_debug', 'log_buf_len=4M']);
}

/**
 * The command line a scenario boots with, before the backend's quirks: the user's (or the baseline's) cmdline, the
 * initcall parameters when `initcalls: true`, then what the rootfs needs to be found (root=, init=).
 */
export function guestCmdline(
  scenario: { cmdline: string; initcalls: boolean },
  rootfsParams: readonly string[] = [],
): string {
  const base = scenario.initcalls ? withInitcallDebug(scenario.cmdline) : scenario.cmdline;
  return addKernelParams(base, rootfsParams);
}
