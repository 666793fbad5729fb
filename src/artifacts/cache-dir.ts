import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** `--cache-dir`, else `$XDG_CACHE_HOME/boot-budget`, else `~/.cache/boot-budget`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return xdg ? join(resolve(xdg), 'boot-budget') : join(homedir(), '.cache', 'boot-budget');
}
