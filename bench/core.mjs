// The agent and CLI figures of issue 2, for pmx and PM2 in one run: CLI latency (ls, jlist,
// describe with 10 apps), cold ls, starting 10 apps from one file, crash to restarted app,
// per-app memory overhead, agent memory with 0/10/50 apps, and agent memory over 10,000 restarts.
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { BENCH_DIR, median, printTable, rssBytes, tools } from './lib/common.mjs';

const exec = promisify(execFile);
const RUNS = Number(process.env.CORE_BENCH_RUNS ?? 15);
const SOAK = Number(process.env.SOAK_RESTARTS ?? 10_000);
const idle = join(BENCH_DIR, 'apps', 'idle.cjs');

async function timed(fn) {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function medianOf(runs, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await timed(fn));
  return median(times);
}

function ecosystem(count) {
  return ecosystemOf(`idle-${count}`, Array.from({ length: count }, (_, i) => ({ name: `app${i}`, script: idle })));
}

/** An ecosystem file (PM2's CLI has no --min-uptime, so options go through files for both). */
function ecosystemOf(name, apps) {
  const file = join(tmpdir(), `bench-eco-${process.pid}-${name}.config.js`);
  writeFileSync(file, `module.exports = ${JSON.stringify({ apps })};`);
  return file;
}

const jlist = async (tool) => JSON.parse((await tool.cli(['jlist'])).stdout);

async function measure(tool) {
  const f = {};
  const ten = ecosystem(10);
  await tool.cli(['ping']);
  f.agent0 = rssBytes(tool.daemonPid());
  const startTimes = [];
  for (let i = 0; i < 5; i++) {
    startTimes.push(await timed(() => tool.cli(['start', ten])));
    if (i < 4) await tool.cli(['delete', 'all']);
  }
  f.start10 = median(startTimes);
  await sleep(1500);
  f.agent10 = rssBytes(tool.daemonPid());
  f.ls = await medianOf(RUNS, () => tool.cli(['ls']));
  f.jlist = await medianOf(RUNS, () => tool.cli(['jlist']));
  f.describe = await medianOf(RUNS, () => tool.cli(['describe', 'app3']));
  const apps = await jlist(tool);
  f.appRss = median(apps.map((p) => rssBytes(p.pid)));
  await tool.cli(['delete', 'all']);
  const fifty = ecosystem(50);
  await tool.cli(['start', fifty]);
  await sleep(2000);
  f.agent50 = rssBytes(tool.daemonPid());
  await tool.cli(['delete', 'all']);
  f.crash = await crashToRestart(tool);
  const cold = [];
  for (let i = 0; i < 5; i++) {
    await tool.cli(['kill']);
    cold.push(await timed(() => tool.cli(['ls'])));
  }
  f.coldLs = median(cold);
  rmSync(ten);
  rmSync(fifty);
  return f;
}

/** Median gap between an app's 'exit' mark and the next 'start' mark of its restart. */
async function crashToRestart(tool, crashes = 10) {
  const times = join(tmpdir(), `bench-crash-${tool.name}-${process.pid}`);
  writeFileSync(times, '');
  const file = ecosystemOf('crash', [{ name: 'crash', script: join(BENCH_DIR, 'apps', 'crash-timer.cjs'), min_uptime: 0, max_restarts: 1000, env: { TIMES: times } }]);
  await tool.cli(['start', file]);
  while (readFileSync(times, 'utf8').split('\n').filter((l) => l.startsWith('start')).length <= crashes) await sleep(100);
  await tool.cli(['delete', 'crash']);
  return gaps(times);
}

function gaps(file) {
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' '));
  const result = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i - 1][0] === 'exit' && lines[i][0] === 'start') result.push(Number(lines[i][1]) - Number(lines[i - 1][1]));
  }
  rmSync(file);
  return median(result);
}

async function bareFloor(crashes = 10) {
  const times = join(tmpdir(), `bench-crash-bare-${process.pid}`);
  writeFileSync(times, '');
  await exec(process.execPath, [join(BENCH_DIR, 'lib', 'bare-supervisor.cjs'), join(BENCH_DIR, 'apps', 'crash-timer.cjs'), String(crashes + 1)], { env: { ...process.env, TIMES: times } });
  return gaps(times);
}

async function plainNodeRss() {
  const child = spawn(process.execPath, [idle], { stdio: 'ignore' });
  await sleep(1500);
  const rss = rssBytes(child.pid);
  child.kill('SIGKILL');
  return rss;
}

/** Agent RSS before and after the agent restarted a crashing app SOAK times by itself. */
async function soak(tool, restarts) {
  const file = ecosystemOf('soak', [{ name: 'soak', script: '/bin/sh', interpreter: 'none', args: ['-c', 'exit 1'], min_uptime: 0, max_restarts: restarts * 10, autorestart: true }]);
  await tool.cli(['start', file]);
  await sleep(1000);
  const before = rssBytes(tool.daemonPid());
  const started = Date.now();
  for (;;) {
    const proc = (await jlist(tool)).find((p) => p.name === 'soak');
    if (!proc || proc.pm2_env.restart_time >= restarts || Date.now() - started > 300_000) break;
    await sleep(500);
  }
  const reached = (await jlist(tool)).find((p) => p.name === 'soak')?.pm2_env.restart_time ?? 0;
  await tool.cli(['delete', 'soak']);
  await sleep(1000);
  const after = rssBytes(tool.daemonPid());
  return { restarts: reached, before, after, seconds: (Date.now() - started) / 1000 };
}

export async function coreBench() {
  const figures = {};
  const floor = { node: await medianOf(RUNS, () => exec(process.execPath, ['-e', '0'])), crash: await bareFloor(), rss: await plainNodeRss() };
  for (const tool of await tools()) {
    try {
      figures[tool.name] = await measure(tool);
      figures[tool.name].soak = await soak(tool, tool.name === 'pm2' ? Math.min(SOAK, 1000) : SOAK);
    } finally {
      await tool.kill();
    }
  }
  const pmx = figures.pmx;
  const pm2 = figures.pm2 ?? {};
  const ms = (v) => (v === undefined ? 'n/a' : `${v.toFixed(0)} ms`);
  const mb = (v) => (v === undefined ? 'n/a' : `${(v / 2 ** 20).toFixed(1)} MB`);
  const ratio = (a, b) => (a !== undefined && b ? (a / b).toFixed(2) : '');
  printTable(`agent and CLI (medians; node -e 0 takes ${floor.node.toFixed(0)} ms here)`, ['figure', 'pmx', 'PM2', 'pmx/PM2'], [
    ['ls, 10 apps', ms(pmx.ls), ms(pm2.ls), ratio(pmx.ls, pm2.ls)],
    ['jlist, 10 apps', ms(pmx.jlist), ms(pm2.jlist), ratio(pmx.jlist, pm2.jlist)],
    ['describe, 10 apps', ms(pmx.describe), ms(pm2.describe), ratio(pmx.describe, pm2.describe)],
    ['cold ls (agent spawned)', ms(pmx.coldLs), ms(pm2.coldLs), ratio(pmx.coldLs, pm2.coldLs)],
    ['start 10 apps from one file', ms(pmx.start10), ms(pm2.start10), ratio(pmx.start10, pm2.start10)],
    [`crash to restarted app (bare node: ${floor.crash.toFixed(0)} ms)`, ms(pmx.crash), ms(pm2.crash), ratio(pmx.crash, pm2.crash)],
    [`app RSS (plain node: ${mb(floor.rss)})`, mb(pmx.appRss), mb(pm2.appRss), ratio(pmx.appRss, pm2.appRss)],
    ['agent RSS, 0 apps', mb(pmx.agent0), mb(pm2.agent0), ratio(pmx.agent0, pm2.agent0)],
    ['agent RSS, 10 apps', mb(pmx.agent10), mb(pm2.agent10), ratio(pmx.agent10, pm2.agent10)],
    ['agent RSS, 50 apps', mb(pmx.agent50), mb(pm2.agent50), ratio(pmx.agent50, pm2.agent50)],
    [`agent RSS growth over restarts (pmx ${pmx.soak.restarts}, PM2 ${pm2.soak?.restarts ?? 'n/a'})`, `${(((pmx.soak.after - pmx.soak.before) / pmx.soak.before) * 100).toFixed(1)} %`, pm2.soak ? `${(((pm2.soak.after - pm2.soak.before) / pm2.soak.before) * 100).toFixed(1)} %` : 'n/a', ''],
  ]);
  console.log(`  per-app overhead: pmx ${mb(pmx.appRss - floor.rss)}, PM2 ${mb(pm2.appRss - floor.rss)}; crash to restart over bare node: pmx +${(pmx.crash - floor.crash).toFixed(0)} ms`);
  return { floor, ...figures };
}

if (import.meta.url === `file://${process.argv[1]}`) await coreBench();
