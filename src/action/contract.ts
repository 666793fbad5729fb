/**
 * The Action's contract with workflows: the input and output names of action.yml, in its order. settings.ts reads
 * only these inputs and run-action.ts sets only these outputs; test/unit/workflows.test.ts holds them to
 * action.yml, so a name cannot be added, renamed or dropped on one side only.
 */
export const INPUTS = {
  scenarios: 'scenarios',
  passes: 'passes',
  warmup: 'warmup',
  kvm: 'kvm',
  clock: 'clock',
  cache: 'cache',
  results: 'results',
  shard: 'shard',
  failOn: 'fail-on',
  install: 'install',
  allowOutside: 'allow-outside',
  merge: 'merge',
  baseline: 'baseline',
  maxPasses: 'max-passes',
  html: 'html',
  comment: 'comment',
  githubToken: 'github-token',
} as const;

export const OUTPUTS = {
  results: 'results',
  verdict: 'verdict',
  failed: 'failed',
  html: 'html',
  regressions: 'regressions',
} as const;

export type InputName = (typeof INPUTS)[keyof typeof INPUTS];
export type OutputName = (typeof OUTPUTS)[keyof typeof OUTPUTS];
