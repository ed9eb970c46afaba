// Log throughput: one app writing 1,000,000 lines of 100 bytes (fork mode), and a cluster of 2
// writing 500,000 each, for pmx and PM2 in one run: time until every byte is on disk, CPU
// seconds of the agent/daemon until it goes idle, peak RSS of the app processes, and a check
// that every line reached the files whole and exactly once. The floor of the fork run with back-pressure:
// the same app with its stdout on a file and no manager.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { cpuSeconds, rssBytes } from './lib/measure.mjs';
import { app as appPath, tempDir } from './lib/paths.mjs';
import { figure, floorFigure } from './lib/report.mjs';

export const about = `${Number(process.env.LOG_BENCH_LINES ?? 1_000_000).toLocaleString('en-US')} lines of 100 bytes to stdout (fork, and cluster of 2): time to disk, daemon CPU, app peak RSS, every line checked`;

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
  await tool.cli(['start', appPath(app), '-n', 'flood', ...(instances > 1 ? ['-i', String(instances)] : [])], { COUNT: String(perInstance) });
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

/** The floor of a fork run: the same app with its stdout on a file and no manager at all, timed the same way (until every byte is there). */
async function floodAlone(app) {
  const file = join(tempDir('logs-floor'), 'alone-out.log');
  const fd = openSync(file, 'w', 0o600);
  const started = Date.now();
  const child = spawn(process.execPath, [appPath(app)], { env: { ...process.env, COUNT: String(LINES) }, stdio: ['ignore', fd, 'ignore'] });
  closeSync(fd);
  try {
    while (statSync(file).size < LINES * 100 && Date.now() - started < 120_000) await sleep(50);
    return (Date.now() - started) / 1000;
  } finally {
    child.kill('SIGKILL'); // the app keeps a timer: it never ends by itself
    rmSync(file, { force: true });
  }
}

const MODES = ['fork', 'fork, back-pressure', 'cluster', 'cluster, back-pressure'];

export default async function logsBench() {
  const figures = {};
  // pmx and PM2 take turns run by run, so that a noisy neighbour hits both alike
  await withManagers(async (managers) => {
    for (const mode of MODES) {
      for (const tool of managers) figures[`${tool.name} ${mode}`] = await flood(tool, mode.startsWith('cluster') ? 2 : 1, mode.endsWith('back-pressure') ? 'flood.cjs' : 'flood-console.cjs');
      if (mode === 'fork, back-pressure') figures.alone = await floodAlone('flood.cjs');
    }
  });
  const label = (mode) => `${mode.startsWith('fork') ? 'fork' : 'cluster of 2'}, ${mode.endsWith('back-pressure') ? 'app waits for drain' : 'console.log loop'}`;
  const rows = [];
  for (const mode of MODES) {
    const pmx = figures[`pmx ${mode}`];
    const pm2 = figures[`pm2 ${mode}`];
    const fmt = (f) => `${f.toDisk.toFixed(2)} s to disk, ${f.cpu.toFixed(2)} CPU s, app peak ${f.peakRssMb.toFixed(0)} MB, lines bad/dup/missing ${f.bad}/${f.dup}/${f.missing}`;
    rows.push([mode.startsWith('fork') ? `fork, ${LINES} lines, ${label(mode).split(', ')[1]}` : `cluster of 2, ${LINES / 2} each, ${label(mode).split(', ')[1]}`, fmt(pmx), pm2 ? fmt(pm2) : 'n/a', pm2 ? `${(pmx.toDisk / pm2.toDisk).toFixed(2)} / ${(pmx.cpu / pm2.cpu).toFixed(2)}` : '']);
  }
  printTable('logs: 100-byte lines to stdout', ['run', 'pmx', 'PM2', 'time, CPU pmx/PM2'], rows);
  console.log(`  floor: the app that waits for 'drain', alone with its stdout on a file: ${figures.alone.toFixed(2)} s to disk`);
  return {
    figures: MODES.flatMap((mode) => {
      const pmx = figures[`pmx ${mode}`];
      const pm2 = figures[`pm2 ${mode}`];
      const lost = (f) => f.bad + f.dup + f.missing;
      return [
        ...(mode === 'fork, back-pressure' ? [floorFigure({ name: `${label(mode)}: the app alone, stdout on a file (floor)`, unit: 's', value: figures.alone })] : []),
        figure({ name: `${label(mode)}: time to disk`, unit: 's', pmx: pmx.toDisk, pm2: pm2?.toDisk }),
        figure({ name: `${label(mode)}: daemon CPU`, unit: 's', pmx: pmx.cpu, pm2: pm2?.cpu }),
        figure({ name: `${label(mode)}: app peak RSS`, unit: 'bytes', pmx: pmx.peakRssMb * 2 ** 20, pm2: pm2 && pm2.peakRssMb * 2 ** 20 }),
        figure({ name: `${label(mode)}: lines bad+dup+missing`, unit: 'count', pmx: lost(pmx), pm2: pm2 && lost(pm2), target: '0', met: lost(pmx) === 0 }),
      ];
    }),
    data: figures,
  };
}
