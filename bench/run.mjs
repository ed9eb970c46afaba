// `npm run bench` (= build, then this): runs every benchmark, or those named on the command
// line (`node bench/run.mjs cli-latency memory`), prints each figure with PM2's beside it and
// the ratio pmx/PM2, then a summary of all, and writes bench/results/latest.json.
// A benchmark prints; it never asserts. BENCH_NO_PM2=1 measures pmx alone.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { cleanupAll, interruptedBy } from './lib/cleanup.mjs';
import { msSince } from './lib/measure.mjs';
import { BENCH_DIR, tempDir } from './lib/paths.mjs';
import { installPm2 } from './lib/pm2.mjs';
import { withPm2 } from './lib/managers.mjs';
import { printFigures } from './lib/report.mjs';

/** name -> module file, in the order they run. */
const BENCHMARKS = {
  'cli-latency': './cli-latency.mjs',
  'cold-ls': './cold-ls.mjs',
  'start-10': './start-10.mjs',
  'crash-restart': './crash-restart.mjs',
  'app-overhead': './app-overhead.mjs',
  'agent-memory': './agent-memory.mjs',
  'agent-cpu': './agent-cpu.mjs',
  'restart-soak': './restart-soak.mjs',
  'load-1000': './load-1000.mjs',
  reload: './reload.mjs',
  'health-probes': './health-probes.mjs',
  logs: './logs.mjs',
  serve: './serve.mjs',
  deploy: './deploy.mjs',
  'deploy-scale': './deploy-scale.mjs',
  'deploy-wan': './deploy-wan.mjs',
};
/** Names for several at once. */
const GROUPS = {
  core: ['cli-latency', 'cold-ls', 'start-10', 'crash-restart', 'app-overhead', 'agent-memory', 'agent-cpu', 'restart-soak'],
  latency: ['cli-latency', 'cold-ls', 'start-10', 'crash-restart'],
  memory: ['app-overhead', 'agent-memory', 'restart-soak'],
  cpu: ['agent-cpu'],
  load: ['load-1000', 'agent-memory'],
  fleet: ['deploy', 'deploy-scale', 'deploy-wan'],
};
/** What a bare `node bench/run.mjs` runs. */
const DEFAULT = Object.keys(BENCHMARKS);

const asked = process.argv.slice(2);
const names = [...new Set((asked.length > 0 ? asked : DEFAULT).flatMap((n) => GROUPS[n] ?? [n]))];
const unknown = names.filter((n) => !BENCHMARKS[n]);
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}; groups: ${Object.entries(GROUPS).map(([g, l]) => `${g} (${l.join(' ')})`).join(', ')}`);
  process.exit(2);
}

const started = process.hrtime.bigint();
const pm2 = withPm2() ? await installPm2() : null;
console.log(`pmx vs PM2 ${pm2?.version ?? '(not measured: BENCH_NO_PM2)'} on node ${process.version}, ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`benchmarks: ${names.join(', ')}`);
const results = {};
const summary = [];
const failed = [];
try {
  for (const name of names) {
    const benchStarted = process.hrtime.bigint();
    const { default: bench, about } = await import(BENCHMARKS[name]);
    // the 1-minute load average says how noisy the machine was (2 CPUs: above 2 is busy)
    const load = loadavg()[0];
    console.log(`\n=== ${name} (load ${load.toFixed(2)}): ${about}`);
    try {
      const { figures, data } = await bench({ dir: tempDir(name) });
      const seconds = msSince(benchStarted) / 1000;
      printFigures(`${name} (${seconds.toFixed(0)} s)`, figures);
      results[name] = { seconds, load, figures, data };
      summary.push(...figures.map((f) => ({ ...f, name: `${name}: ${f.name}` })));
    } catch (error) {
      if (interruptedBy()) throw error;
      // one broken benchmark does not cost the others their figures
      console.error(`\n${name} FAILED: ${error.stack}`);
      results[name] = { seconds: msSince(benchStarted) / 1000, load, error: error.message };
      failed.push(name);
    }
  }
} catch (error) {
  // once interrupted, the SIGINT handler cleans up and exits: the benchmark's own error is moot
  if (!interruptedBy()) throw error;
} finally {
  await cleanupAll();
}
if (interruptedBy()) await new Promise(() => {}); // the signal handler exits
const seconds = msSince(started) / 1000;
printFigures(`summary (${seconds.toFixed(0)} s in all; medians; ratio = pmx/PM2)`, summary);
mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
writeFileSync(
  join(BENCH_DIR, 'results', 'latest.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, pm2: pm2?.version ?? null, cpus: cpus().length, seconds, results }, null, 2)}\n`,
);
if (failed.length > 0) {
  console.error(`\nfailed to run: ${failed.join(', ')}`);
  process.exitCode = 1;
}
