// Zero-downtime reload: an HTTP app with 2 instances under autocannon (10 kept-alive
// connections), with and without 5 reloads during the run, for pmx and PM2 in the same run.
// Prints requests, failures (errors, timeouts, resets, non-2xx) and the ratios.
import autocannon from 'autocannon';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_DIR, freePort, waitForPort, tools, printTable } from './lib/common.mjs';

const DURATION = Number(process.env.RELOAD_BENCH_SECONDS ?? 20);
const RELOADS = 5;
const VARIANTS = [
  { name: 'closes server on SIGINT', app: 'http-sigint.cjs', flags: [] },
  { name: '--wait-ready', app: 'http-ready.cjs', flags: ['--wait-ready'] },
  { name: 'no SIGINT handler', app: 'http-plain.cjs', flags: [] },
];

async function run(tool, variant, reloads) {
  const port = await freePort();
  const env = { PORT: String(port) };
  await tool.cli(['start', join(BENCH_DIR, 'apps', variant.app), '-i', '2', '-n', 'web', ...variant.flags], env);
  await waitForPort(port);
  await sleep(500);
  const instance = autocannon({ url: `http://127.0.0.1:${port}/`, connections: 10, duration: DURATION, timeout: 5 });
  autocannon.track?.(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  const reloading = (async () => {
    for (let i = 1; i <= reloads; i++) {
      await sleep((DURATION * 1000) / (reloads + 1));
      await tool.cli(['reload', 'web'], env);
    }
  })();
  const result = await instance;
  await reloading;
  await tool.cli(['delete', 'web'], env);
  const failed = result.errors + result.timeouts + result.resets + result.non2xx;
  return { requests: result.requests.total, failed, errors: result.errors, timeouts: result.timeouts, resets: result.resets, non2xx: result.non2xx };
}

export async function reloadBench() {
  const rows = [];
  const figures = {};
  for (const tool of await tools()) {
    try {
      const base = await run(tool, VARIANTS[0], 0);
      figures[`${tool.name} no reload`] = base;
      for (const variant of VARIANTS) figures[`${tool.name} ${variant.name}`] = await run(tool, variant, RELOADS);
    } finally {
      await tool.kill();
    }
  }
  const row = (label, key) => {
    const pmx = figures[`pmx ${key}`];
    const pm2 = figures[`pm2 ${key}`];
    rows.push([label, `${pmx.requests} req, ${pmx.failed} failed`, pm2 ? `${pm2.requests} req, ${pm2.failed} failed (${pm2.resets} resets, ${pm2.timeouts} timeouts, ${pm2.errors} errors)` : 'n/a', pm2 ? (pmx.requests / pm2.requests).toFixed(2) : '']);
  };
  row('no reload', 'no reload');
  for (const variant of VARIANTS) row(`${RELOADS} reloads, ${variant.name}`, variant.name);
  printTable(`reload: 2 instances, autocannon 10 kept-alive connections, ${DURATION} s`, ['run', 'pmx', 'PM2', 'requests pmx/PM2'], rows);
  const base = figures['pmx no reload'].requests;
  for (const variant of VARIANTS) {
    console.log(`  pmx throughput with reloads (${variant.name}): ${(figures[`pmx ${variant.name}`].requests / base).toFixed(2)} of its no-reload figure`);
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await reloadBench();
