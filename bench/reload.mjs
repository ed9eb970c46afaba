// Zero-downtime reload: an HTTP app with 2 instances under autocannon (10 kept-alive
// connections), with and without 5 reloads during the run, for pmx and PM2 in the same run
// (taking turns run by run).
// Prints requests, failures (errors, timeouts, resets, non-2xx) and the ratios.
// (autocannon, a devDependency, generates the load: this one benchmark is not built-ins only.)
import autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { freePort, waitForPort } from './lib/net.mjs';
import { app } from './lib/paths.mjs';
import { figure } from './lib/report.mjs';

export const about = `an HTTP app with 2 instances under autocannon (10 kept-alive connections, ${Number(process.env.RELOAD_BENCH_SECONDS ?? 20)} s), without and with 5 reloads`;

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
  await tool.cli(['start', app(variant.app), '-i', '2', '-n', 'web', ...variant.flags], env);
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

export default async function reloadBench() {
  const rows = [];
  const figures = {};
  // pmx and PM2 take turns run by run, so that a noisy neighbour hits both alike
  await withManagers(async (managers) => {
    for (const tool of managers) figures[`${tool.name} no reload`] = await run(tool, VARIANTS[0], 0);
    for (const variant of VARIANTS) {
      for (const tool of managers) figures[`${tool.name} ${variant.name}`] = await run(tool, variant, RELOADS);
    }
  });
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
  const keys = ['no reload', ...VARIANTS.map((v) => v.name)];
  const label = (key) => (key === 'no reload' ? key : `${RELOADS} reloads, ${key}`);
  return {
    figures: keys.flatMap((key) => [
      figure({ name: `requests (more is better), ${label(key)}`, unit: 'count', pmx: figures[`pmx ${key}`].requests, pm2: figures[`pm2 ${key}`]?.requests, note: `${DURATION} s` }),
      figure({ name: `failed requests, ${label(key)}`, unit: 'count', pmx: figures[`pmx ${key}`].failed, pm2: figures[`pm2 ${key}`]?.failed, target: key === 'no reload' ? '' : '0', met: key === 'no reload' ? null : figures[`pmx ${key}`].failed === 0 }),
    ]),
    data: figures,
  };
}
