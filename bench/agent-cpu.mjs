// agent-cpu: CPU the pmx agent and the PM2 daemon use to supervise 50 idle Node apps, each
// sampled every second (CPU and memory of its process tree; for pmx also the Node metrics the
// preload reports, for PM2 those of its injected @pm2/io). The daemon's own CPU seconds (user +
// system, from /proc) over a 30 s window that starts once the apps have settled, as a percentage
// of one core. One manager at a time, so the two never compete for the cores.
import { setTimeout as sleep } from 'node:timers/promises';
import { ecosystemFile, manyApps } from './lib/ecosystem.mjs';
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { cpuSeconds, msSince } from './lib/measure.mjs';
import { app } from './lib/paths.mjs';
import { figure } from './lib/report.mjs';

export const about = 'agent/daemon CPU while it samples 50 idle Node apps every second, % of one core over 30 s';
const APPS = 50;
const SETTLE_MS = 5000;
const WINDOW_MS = 30_000;
const TARGET_PERCENT = 1;

async function measure(m, dir) {
  await m.cli(['start', ecosystemFile(dir, `idle-${m.name}`, manyApps(APPS, 'idle', { script: app('idle.cjs') }))]);
  // the apps boot on the same cores: let them, and the daemon's first samples, settle
  await sleep(SETTLE_MS);
  const daemon = m.daemonPid();
  const online = (await m.jlist()).filter((p) => p.pm2_env.status === 'online').length;
  const before = cpuSeconds(daemon);
  const started = process.hrtime.bigint();
  await sleep(WINDOW_MS);
  const seconds = cpuSeconds(daemon) - before;
  const wall = msSince(started) / 1000;
  const withMetrics = (await m.jlist()).filter((p) => Object.keys(p.pm2_env.axm_monitor ?? {}).length > 0).length;
  await m.cli(['delete', 'all']);
  return { percent: (seconds / wall) * 100, cpuSeconds: seconds, wall, online, withMetrics };
}

export default async function agentCpu({ dir }) {
  return withManagers(async (managers) => {
    const r = {};
    for (const m of managers) r[m.name] = await measure(m, dir);
    printTable(`agent-cpu: ${APPS} idle Node apps, daemon CPU over ${WINDOW_MS / 1000} s`, ['run by', 'CPU seconds', '% of one core', 'apps online', 'apps with Node metrics'], managers.map((m) => {
      const x = r[m.name];
      return [m.label, x.cpuSeconds.toFixed(2), `${x.percent.toFixed(2)} %`, String(x.online), String(x.withMetrics)];
    }));
    return {
      figures: [
        figure({ name: `agent CPU, ${APPS} apps sampled every second`, unit: '%', pmx: r.pmx.percent, pm2: r.pm2?.percent, target: `pmx < ${TARGET_PERCENT} % of one core`, met: r.pmx.percent < TARGET_PERCENT, note: `${WINDOW_MS / 1000} s window` }),
      ],
      data: r,
    };
  });
}
