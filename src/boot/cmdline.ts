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
