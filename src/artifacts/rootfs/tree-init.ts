/**
 * What boot-budget does about a tree's init (init-detect.ts finds it): its agent where the tree has none, its ready
 * unit where the tree runs systemd, nothing where the tree has another init; and the scenario mistakes that only show
 * once the tree is known (a systemd `ready:` on a tree without systemd, `agent: false` on a tree with nothing to run),
 * each an error at the scenario's key.
 */
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_READY_AFTER,
  HELPER_DIR,
  type ReadyAfter,
  readyScript,
  readyUnit,
  systemdReadyFiles,
} from '../../agent/systemd-unit.js';
import { ScenarioError } from '../../errors.js';
import type { Scenario } from '../../scenario/types.js';
import { TreeWriter } from '../tree/tree-writer.js';
import type { InitInfo } from '../types.js';
import type { TreeInit } from './init-detect.js';

/** What the ready unit waits for: the scenario's `ready: {target}` or `{unit}`, else default.target. */
export function readyAfter(scenario: Scenario): ReadyAfter {
  const ready = scenario.ready;
  return ready.kind === 'target' || ready.kind === 'unit'
    ? { kind: ready.kind, name: ready.name }
    : DEFAULT_READY_AFTER;
}

/** The ready unit's generated text, for cache keys: a change to it must rebuild the image. */
export function readyIdentity(scenario: Scenario): string {
  const after = readyAfter(scenario);
  return `${readyUnit(after)}\0${readyScript(after)}`;
}

function fail(scenario: Scenario, key: 'rootfs' | 'ready', detail: string): ScenarioError {
  const ready = scenario.ready;
  const pos =
    key === 'ready' && (ready.kind === 'target' || ready.kind === 'unit')
      ? ready.pos
      : (scenario.keyPos[key] ?? scenario.keyPos['rootfs'] ?? { line: 1, column: 1 });
  return new ScenarioError(scenario.displayFile, pos.line, pos.column, key, detail);
}

function describeInit(init: { path: string; resolved: string }): string {
  return init.resolved === init.path ? init.path : `${init.path} -> ${init.resolved}`;
}

/** Throws the ScenarioError for a tree and a scenario that cannot make a measurable boot together. */
export function checkReadiness(init: TreeInit, agent: boolean, scenario: Scenario): void {
  const ready = scenario.ready;
  if (init.kind === 'unresolvable')
    throw fail(scenario, 'rootfs', `the tree's init cannot be resolved: ${init.reason}. The kernel could not run it.`);
  if (init.kind === 'none') {
    if (!agent)
      throw fail(
        scenario,
        'rootfs',
        "the tree has no init (no /sbin/init, /etc/init or /bin/init) and `agent: false` adds none, so nothing would run. Drop `agent: false` to boot it with boot-budget's agent, or add an init to the tree.",
      );
    if (ready.kind === 'target' || ready.kind === 'unit')
      throw fail(
        scenario,
        'ready',
        `\`ready: { ${ready.kind}: ${ready.name} }\` waits for a systemd ${ready.kind}, but the tree has no init; boot-budget's agent boots it. Use \`ready: agent\` or a /regex/.`,
      );
    return;
  }
  const what = describeInit(init);
  if (init.kind === 'other' && (ready.kind === 'target' || ready.kind === 'unit'))
    throw fail(
      scenario,
      'ready',
      `\`ready: { ${ready.kind}: ${ready.name} }\` waits for a systemd ${ready.kind}, but the tree's init is ${what}, not systemd. Give \`ready:\` a /regex/ matching a console line it prints.`,
    );
  const ownInitWithoutUnit = init.kind === 'other' || !agent;
  if (ownInitWithoutUnit && ready.kind !== 'regex')
    throw fail(
      scenario,
      'rootfs',
      init.kind === 'other'
        ? `the tree boots its own init (${what}), which boot-budget does not replace, and it prints no ready marker: say when it is ready with \`ready: /regex/\` matching a console line it prints (e.g. /login:/).`
        : `\`agent: false\` boots the tree's systemd (${what}) without boot-budget's ready unit, so nothing prints a ready marker: drop \`agent: false\`, or give \`ready: /regex/\`.`,
    );
}

export function initInfo(init: TreeInit, agent: boolean, scenario: Scenario, agentPath: string): InitInfo | undefined {
  const ready = scenario.ready;
  const byRegex = ready.kind === 'regex' ? `the first console line matching ${ready.regex}` : undefined;
  switch (init.kind) {
    case 'none':
      return {
        kind: 'agent',
        path: agentPath,
        readiness: byRegex ?? "boot-budget's agent prints its ready marker after `run:`",
      };
    case 'systemd':
      return {
        kind: 'systemd',
        path: describeInit(init),
        readiness:
          byRegex ?? (agent ? `boot-budget's ready unit after ${readyAfter(scenario).name}` : 'no ready marker'),
      };
    case 'other':
      return { kind: 'other', path: describeInit(init), readiness: byRegex ?? 'no ready marker' };
    case 'unresolvable':
      return undefined;
  }
}

/** A target's real name in the tree: `default.target` is a symlink to the target it stands for. */
async function resolveTargetAlias(root: string, name: string): Promise<string> {
  for (const dir of ['etc/systemd/system', 'usr/lib/systemd/system', 'lib/systemd/system']) {
    const st = await lstat(join(root, dir, name)).catch(() => null);
    if (!st) continue;
    if (!st.isSymbolicLink()) return name;
    const target = (await readlink(join(root, dir, name))).split('/').pop()!;
    return /^[A-Za-z0-9:_.\\@-]+\.target$/.test(target) ? target : name;
  }
  return name;
}

/**
 * Adds the ready unit and its helpers (systemd-unit.ts) to a staged copy of the tree, never the user's files. The unit
 * is pulled in through the `.wants/` of the target it follows (or, after a unit, of the default target), named as the
 * tree resolves it. Returns a note for the rootfs description.
 */
export async function addSystemdReadyUnit(root: string, scenario: Scenario, busybox: Buffer): Promise<string> {
  const after = readyAfter(scenario);
  const wantedBy = await resolveTargetAlias(root, after.kind === 'target' ? after.name : 'default.target');
  const writer = new TreeWriter(root, 'boot-budget ready unit');
  for (const file of systemdReadyFiles(after, wantedBy, busybox)) {
    if (file.kind === 'file') writer.file(file.path, file.mode, file.content);
    else writer.symlink(file.path, file.target);
  }
  const resolved = wantedBy === after.name ? '' : ` (${wantedBy})`;
  return `boot-budget's ready unit added after ${after.name}${resolved}, with a static busybox in /${HELPER_DIR}`;
}
