// Log throughput: one app writing 1,000,000 lines of 100 bytes (fork mode), and a cluster of 2
// writing 500,000 each, for pmx and PM2 in one run: time until every byte is on disk, CPU
// seconds of the agent/daemon until it goes idle, peak RSS of the app processes, and a check
// that every line reached the files whole and exactly once.
import { closeSync, openSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_DIR, cpuSeconds, printTable, rssBytes, tools } from './lib/common.mjs';

const LINES = Number(process.env.LOG_BENCH_LINES ?? 1_000_000);

function outFiles(dir) {
  try {
    return readdirSync(dir).filter((name) => name.includes('-out')).map((name) => join(dir, name));
  } catch {
    return [];
  }
}

const bytesOnDisk = (dir) => outFiles(dir).reduce((sum, file) => sum + statSync(file).size, 0);

/** Every line of the out files is 100 bytes, well formed, and each (instance, n) appears once. */
function checkLines(dir, instances, perInstance) {
  const seen = instances.map(() => new Uint8Array(perInstance));
  let bad = 0;
  let dup = 0;
  for (const file of outFiles(dir)) {
    const fd = openSync(file, 'r');
    const buffer = Buffer.alloc(100 * 10_000);
    let rest = '';
    for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) {
      const lines = (rest + buffer.toString('latin1', 0, read)).split('\n');
      rest = lines.pop();
      for (const line of lines) {
        const match = /^(\d\d) (\d{8}) x+$/.exec(line);
        if (!match || line.length !== 99) {
          bad++;
          continue;
        }
        const flags = seen[Number(match[1])];
        const n = Number(match[2]);
        if (!flags || n >= perInstance) bad++;
        else if (flags[n]++) dup++;
      }
    }
    if (rest) bad++;
    closeSync(fd);
  }
  const missing = seen.reduce((sum, flags) => sum + flags.filter((f) => f === 0).length, 0);
  return { bad, dup, missing };
}

async function flood(tool, instances, app) {
  const perInstance = LINES / instances;
  const expected = LINES * 100;
  const started = Date.now();
  await tool.cli(['start', join(BENCH_DIR, 'apps', app), '-n', 'flood', ...(instances > 1 ? ['-i', String(instances)] : [])], { COUNT: String(perInstance) });
  const daemon = tool.daemonPid();
  const cpuBefore = cpuSeconds(daemon);
  const pids = JSON.parse((await tool.cli(['jlist'])).stdout).map((p) => p.pid);
  let peakRss = 0;
  while (bytesOnDisk(tool.logsDir) < expected && Date.now() - started < 120_000) {
    peakRss = Math.max(peakRss, ...pids.map(rssBytes));
    await sleep(50);
  }
  const toDisk = (Date.now() - started) / 1000;
  // the daemon may go on working after the bytes are on disk: count its CPU until it idles
  let last = cpuSeconds(daemon);
  for (;;) {
    await sleep(1000);
    peakRss = Math.max(peakRss, ...pids.map(rssBytes));
    const now = cpuSeconds(daemon);
    if (now - last < 0.02) break;
    last = now;
  }
  const cpu = cpuSeconds(daemon) - cpuBefore;
  const lines = checkLines(tool.logsDir, Array.from({ length: instances }), perInstance);
  await tool.cli(['delete', 'flood']);
  for (const file of readdirSync(tool.logsDir)) rmSync(join(tool.logsDir, file));
  return { toDisk, cpu, peakRssMb: peakRss / 2 ** 20, ...lines };
}

export async function logsBench() {
  const figures = {};
  for (const tool of await tools()) {
    try {
      figures[`${tool.name} fork`] = await flood(tool, 1, 'flood-console.cjs');
      figures[`${tool.name} fork, back-pressure`] = await flood(tool, 1, 'flood.cjs');
      figures[`${tool.name} cluster`] = await flood(tool, 2, 'flood-console.cjs');
      figures[`${tool.name} cluster, back-pressure`] = await flood(tool, 2, 'flood.cjs');
    } finally {
      await tool.kill();
    }
  }
  const rows = [];
  for (const mode of ['fork', 'fork, back-pressure', 'cluster', 'cluster, back-pressure']) {
    const pmx = figures[`pmx ${mode}`];
    const pm2 = figures[`pm2 ${mode}`];
    const fmt = (f) => `${f.toDisk.toFixed(2)} s to disk, ${f.cpu.toFixed(2)} CPU s, app peak ${f.peakRssMb.toFixed(0)} MB, lines bad/dup/missing ${f.bad}/${f.dup}/${f.missing}`;
    const app = mode.endsWith('back-pressure') ? 'waits for drain' : 'console.log loop';
    rows.push([mode.startsWith('fork') ? `fork, ${LINES} lines, ${app}` : `cluster of 2, ${LINES / 2} each, ${app}`, fmt(pmx), pm2 ? fmt(pm2) : 'n/a', pm2 ? `${(pmx.toDisk / pm2.toDisk).toFixed(2)} / ${(pmx.cpu / pm2.cpu).toFixed(2)}` : '']);
  }
  printTable('logs: 100-byte lines to stdout', ['run', 'pmx', 'PM2', 'time, CPU pmx/PM2'], rows);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await logsBench();
