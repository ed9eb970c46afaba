// `serve` throughput on a small file: pmx serve (and PM2's serve) under autocannon against a bare
// static server (serve-static on a plain http server) in its own process, and the same server.js
// run by no manager (what the code costs apart from the agent); they take turns run by run.
// The target is pmx within 20% of the bare server. autocannon, a devDependency, generates the load.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup } from './lib/cleanup.mjs';
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { freePort, waitForPort } from './lib/net.mjs';
import { ROOT, app } from './lib/paths.mjs';
import { figure, floorFigure } from './lib/report.mjs';

const DURATION = Number(process.env.SERVE_BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.SERVE_BENCH_ROUNDS ?? 2);
const CONNECTIONS = 10;
const FILE_BYTES = 1024;

export const about = `requests per second for a ${FILE_BYTES}-byte file, autocannon ${CONNECTIONS} kept-alive connections, ${DURATION} s x ${ROUNDS} rounds, against a bare serve-static server`;

async function load(port) {
  const result = await autocannon({ url: `http://127.0.0.1:${port}/index.html`, connections: CONNECTIONS, duration: DURATION, timeout: 5 });
  const failed = result.errors + result.timeouts + result.non2xx;
  return { rps: result.requests.average, failed };
}

/** The built static server, run by no manager: what its code costs without the agent around it. */
const SERVER_SCRIPT = join(ROOT, 'dist', 'agent', 'serve', 'server.js');

/** A server script in its own process, killed at the end however the run ends. */
async function unmanaged(script, env) {
  const port = await freePort();
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env(port) }, stdio: 'ignore' });
  const stop = onCleanup(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await waitForPort(port);
  return { port, stop };
}

async function managed(tool, root) {
  const port = await freePort();
  await tool.cli(['serve', root, String(port)], { PM2_SERVE_HOST: '127.0.0.1' });
  await waitForPort(port);
  return { port, stop: () => tool.cli(['delete', `static-page-server-${port}`]) };
}

export default async function serveBench({ dir }) {
  const root = join(dir, 'site');
  mkdirSync(root);
  writeFileSync(join(root, 'index.html'), `<!doctype html>${'x'.repeat(FILE_BYTES - 15)}`);
  const runs = {};
  const record = (name, result) => (runs[name] ??= []).push(result);
  await withManagers(async (managers) => {
    for (let round = 0; round < ROUNDS; round++) {
      // each server alone on the machine while it is measured
      const base = await unmanaged(app('static-bare.cjs'), (port) => ({ ROOT: root, PORT: String(port) }));
      await sleep(200);
      record('bare', await load(base.port));
      await base.stop();
      const alone = await unmanaged(SERVER_SCRIPT, (port) => ({ PM2_SERVE_PATH: root, PM2_SERVE_PORT: String(port), PM2_SERVE_HOST: '127.0.0.1' }));
      await sleep(200);
      record('server.js alone', await load(alone.port));
      await alone.stop();
      for (const tool of managers) {
        const server = await managed(tool, root);
        await sleep(200);
        record(tool.name, await load(server.port));
        await server.stop();
      }
    }
  });
  const mean = (name) => (runs[name] ? runs[name].reduce((sum, r) => sum + r.rps, 0) / runs[name].length : undefined);
  const failed = (name) => (runs[name] ? runs[name].reduce((sum, r) => sum + r.failed, 0) : undefined);
  const bareRps = mean('bare');
  const pmxRps = mean('pmx');
  const ratio = pmxRps / bareRps;
  printTable(`serve: ${FILE_BYTES}-byte file, ${CONNECTIONS} connections, ${DURATION} s x ${ROUNDS}`, ['server', 'req/s per round', 'mean req/s', 'failed', 'of bare'], Object.keys(runs).map((name) => [
    name === 'bare' ? 'bare serve-static' : name === 'server.js alone' ? 'pmx server.js, unmanaged' : `${name} serve`,
    runs[name].map((r) => r.rps.toFixed(0)).join(' '),
    mean(name).toFixed(0),
    String(failed(name)),
    (mean(name) / bareRps).toFixed(2),
  ]));
  return {
    figures: [
      figure({ name: 'serve req/s on a small file (more is better)', unit: 'count', pmx: Math.round(pmxRps), pm2: runs.pm2 ? Math.round(mean('pm2')) : undefined, target: `>= 0.8 x bare (${ratio.toFixed(2)})`, met: ratio >= 0.8, note: `${FILE_BYTES} B, ${CONNECTIONS} conns` }),
      floorFigure({ name: 'bare serve-static server req/s', unit: 'count', value: Math.round(bareRps), note: '' }),
      floorFigure({ name: 'pmx server.js run by no manager, req/s', unit: 'count', value: Math.round(mean('server.js alone')), note: 'the code alone' }),
      figure({ name: 'serve failed requests', unit: 'count', pmx: failed('pmx'), pm2: failed('pm2'), target: '0', met: failed('pmx') === 0 }),
    ],
    data: runs,
  };
}
