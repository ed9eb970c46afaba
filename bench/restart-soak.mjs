// restart-soak: does the agent keep memory per restart? An app that exits at once (/bin/sh -c
// 'exit 1', interpreter none, min_uptime 0) is restarted by the agent itself, again and again,
// until jlist's restart_time reaches 10,000 (PM2: 1,000, it restarts more slowly; each capped at
// a few minutes). Agent RSS is read after 100 restarts (warm) and again after the app is
// deleted at the end; growth = after / before - 1. RSS is also sampled along the way.
import { setTimeout as sleep } from 'node:timers/promises';
import { ecosystemFile } from './lib/ecosystem.mjs';
import { count, mb, printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { rssBytes, settledRss, waitFor } from './lib/measure.mjs';
import { figure } from './lib/report.mjs';

export const about = 'agent RSS before and after 10,000 restarts of an app that exits at once (PM2 capped at 1,000)';
const RESTARTS = Number(process.env.BENCH_SOAK_RESTARTS ?? 10_000);
const PM2_RESTARTS = Math.min(RESTARTS, Number(process.env.BENCH_SOAK_PM2_RESTARTS ?? 1000));
const TIME_CAP_MS = Number(process.env.BENCH_SOAK_SECONDS ?? 180) * 1000;
const WARM = 100;

async function soak(m, dir, target) {
  const eco = ecosystemFile(dir, `soak-${m.name}`, [{ name: 'soak', script: '/bin/sh', args: ['-c', 'exit 1'], interpreter: 'none', min_uptime: 0, max_restarts: target * 10, autorestart: true }]);
  await m.cli(['ping']);
  const daemon = m.daemonPid();
  const restarts = async () => (await m.jlist()).find((p) => p.name === 'soak')?.pm2_env.restart_time ?? 0;
  await m.cli(['start', eco]);
  await waitFor(async () => (await restarts()) >= WARM, { timeoutMs: 60_000, everyMs: 100, what: `${m.label}: ${WARM} restarts` });
  const before = await settledRss(() => rssBytes(daemon));
  const started = Date.now();
  const first = await restarts();
  const samples = [];
  let reached = first;
  while (reached < target && Date.now() - started < TIME_CAP_MS) {
    await sleep(1000);
    reached = await restarts();
    samples.push({ seconds: (Date.now() - started) / 1000, restarts: reached, rss: rssBytes(daemon) });
  }
  const seconds = (Date.now() - started) / 1000;
  await m.cli(['delete', 'soak']);
  await sleep(1000);
  const after = await settledRss(() => rssBytes(daemon));
  const peak = Math.max(before, ...samples.map((s) => s.rss));
  return { target, restarts: reached, rate: (reached - first) / seconds, seconds, before, after, peak, growth: (after / before - 1) * 100, samples };
}

export default async function restartSoak({ dir }) {
  return withManagers(async (managers) => {
    const r = {};
    for (const m of managers) r[m.name] = await soak(m, dir, m.name === 'pm2' ? PM2_RESTARTS : RESTARTS);
    printTable('restart-soak: agent RSS after 100 restarts and after the last (app deleted), median of 5 readings', ['', 'restarts', 'per second', 'RSS before', 'peak', 'after', 'growth'], managers.map((m) => {
      const x = r[m.name];
      return [m.label, `${count(x.restarts)}${x.restarts < x.target ? ` (cap ${count(x.target)}: time ran out)` : ''}`, x.rate.toFixed(0), mb(x.before), mb(x.peak), mb(x.after), `${x.growth.toFixed(1)} %`];
    }));
    for (const m of managers) {
      const quarters = [0.25, 0.5, 0.75, 1].map((q) => r[m.name].samples[Math.max(0, Math.ceil(q * r[m.name].samples.length) - 1)]).filter(Boolean);
      console.log(`  ${m.label} RSS along the way: ${quarters.map((s) => `${count(s.restarts)} -> ${mb(s.rss)}`).join(', ')}`);
    }
    const label = (x) => (x ? `${count(x.restarts)}` : 'n/a');
    return {
      figures: [figure({ name: `agent RSS growth over restarts (pmx ${label(r.pmx)}, PM2 ${label(r.pm2)})`, unit: '%', pmx: r.pmx.growth, pm2: r.pm2?.growth, target: 'pmx < +10 %', met: r.pmx.growth < 10 })],
      data: r,
    };
  });
}
