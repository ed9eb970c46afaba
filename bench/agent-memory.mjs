// agent-memory: resident memory of the pmx agent and of the PM2 daemon with 0, 10 and 50 idle
// apps. What counts is the daemon's process tree less the apps' own trees (so a helper process
// of the daemon would count, the apps do not). Each figure is the median of 5 readings 200 ms
// apart, taken a few seconds after the apps were started. One manager at a time. The floor: a
// plain idle `node` process (a timer and nothing else), read the same way in the same run.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ecosystemFile, manyApps } from './lib/ecosystem.mjs';
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { rssBytes, settledRss, treeRssBytes } from './lib/measure.mjs';
import { app } from './lib/paths.mjs';
import { figure, floorFigure } from './lib/report.mjs';
import { formatValue } from './lib/format.mjs';

export const about = 'agent RSS vs PM2 daemon RSS with 0 / 10 / 50 idle apps';
const COUNTS = [0, 10, 50];

async function measure(m, dir) {
  const result = {};
  await m.cli(['ping']);
  for (const count of COUNTS) {
    if (count > 0) {
      await m.cli(['start', ecosystemFile(dir, `idle-${m.name}-${count}`, manyApps(count, 'idle', { script: app('idle.cjs') }))]);
    }
    await sleep(count === 0 ? 2000 : 1000 + count * 60);
    const apps = (await m.jlist()).map((p) => p.pid);
    const daemon = m.daemonPid();
    result[count] = { tree: await settledRss(() => treeRssBytes(daemon, apps)), own: rssBytes(daemon), apps: apps.length };
    if (count > 0) await m.cli(['delete', 'all']);
  }
  return result;
}

/** RSS of a plain node process that only keeps a timer, read as the daemons are. */
async function plainNodeRss() {
  const idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60_000)'], { stdio: 'ignore' });
  try {
    await sleep(2000);
    return await settledRss(() => rssBytes(idle.pid));
  } finally {
    idle.kill('SIGKILL');
  }
}

export default async function agentMemory({ dir }) {
  const floor = await plainNodeRss();
  return withManagers(async (managers) => {
    const r = {};
    for (const m of managers) r[m.name] = await measure(m, dir);
    printTable('agent-memory: daemon RSS (its tree less the apps), median of 5 readings', ['apps', ...managers.map((m) => `${m.label} (own RSS)`)], COUNTS.map((count) => [String(count), ...managers.map((m) => `${formatValue(r[m.name][count].tree, 'bytes')} (${formatValue(r[m.name][count].own, 'bytes')})`)]));
    return {
      figures: [floorFigure({ name: 'floor: a plain idle node process', unit: 'bytes', value: floor }), ...COUNTS.map((count) => figure({ name: `agent RSS, ${count} apps`, unit: 'bytes', pmx: r.pmx[count].tree, pm2: r.pm2?.[count].tree, target: count === 50 ? '<= 0.7x PM2' : '< PM2', met: r.pm2 ? r.pmx[count].tree < r.pm2[count].tree * (count === 50 ? 0.7 : 1) : null }))],
      data: { ...r, floor },
    };
  });
}
