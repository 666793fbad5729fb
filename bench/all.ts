/**
 * `npm run bench`: every bench in turn, each in its own process (so that one's heap and child processes do not
 * colour the next), each printing its table and writing bench/results/<name>.json. `--quick` (npm run bench:quick,
 * CI) runs each one small, to check that the scripts work; its figures mean nothing.
 *
 *   npm run bench [-- --quick] [-- --only overhead,latency]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { withParentDeathSignal } from '../src/boot/processes.js';
import { machineInfo, quick, repo } from './lib.js';

const BENCHES = ['latency', 'parse', 'overhead', 'profiles', 'cache', 'virtual'];
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1]!.split(',') : BENCHES;

const info = machineInfo();
console.log(`boot-budget benches${quick ? ' (--quick: checks that the scripts run; figures are not meaningful)' : ''}`);
console.log(
  `machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, Linux ${info.kernel}, Node ${info.node}, QEMU ${info.qemu ?? 'missing'}`,
);
const started = Date.now();
const failed: string[] = [];
for (const name of only) {
  const t0 = Date.now();
  console.log(`\n=== ${name} ===`);
  // SIGTERM to the bench when this runner dies (`timeout 300 npm run bench` ends only this process): the bench's
  // clean-up then kills its QEMU, which would otherwise outlive both.
  const bench = withParentDeathSignal(
    process.execPath,
    ['--import', 'tsx', join(repo, 'bench', `${name}.ts`), ...(quick ? ['--quick'] : [])],
    undefined,
    'TERM',
  );
  const run = spawnSync(bench.file, bench.args, { cwd: repo, stdio: 'inherit' });
  console.log(
    `(${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s${run.status === 0 ? '' : `, exit ${run.status ?? run.signal}`})`,
  );
  if (run.status !== 0) failed.push(name);
}
console.log(
  `\nall benches: ${((Date.now() - started) / 1000).toFixed(0)} s${failed.length ? `; failed: ${failed.join(', ')}` : ''}`,
);
if (failed.length) process.exitCode = 1;
