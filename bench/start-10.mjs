// start-10: `start <file>` of an ecosystem file with 10 apps, the agent/daemon already up,
// `delete all` between runs; pmx and PM2 alternate run by run. The apps are a node script that
// marks the moment its code runs (epoch ms), then idles. Figures: until the command returns,
// and until all 10 apps run their code (the last mark minus the moment the command was
// spawned). Then the same with 10 `/bin/sleep` apps (interpreter none): no app boot competes
// with the CLI and the daemon for the CPU, which leaves the manager's own cost.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ecosystemFile, manyApps } from './lib/ecosystem.mjs';
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { epochMs, isAlive, stats, waitFor } from './lib/measure.mjs';
import { app } from './lib/paths.mjs';
import { figure, spread } from './lib/report.mjs';

export const about = '`start` of one ecosystem file with 10 apps, the daemon up (`delete all` between runs)';
const RUNS = Number(process.env.BENCH_START_RUNS ?? 5);

const marks = (file) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);

export default async function start10({ dir }) {
  return withManagers(async (managers) => {
    const times = {};
    const add = (key, ms) => (times[key] ??= []).push(ms);
    const files = {};
    for (const m of managers) {
      const MARKS = join(dir, `marks-${m.name}`);
      files[m.name] = {
        MARKS,
        node: ecosystemFile(dir, `start-${m.name}`, manyApps(10, 'app', { script: app('start-mark.cjs'), env: { MARKS } })),
        sleep: ecosystemFile(dir, `sleep-${m.name}`, manyApps(10, 'sleep', { script: '/bin/sleep', args: ['600'], interpreter: 'none' })),
      };
      await m.cli(['ping']);
    }
    const startAndDelete = async (m, eco) => {
      const { ms } = await m.cli(['start', eco]);
      const apps = await m.jlist();
      if (apps.length !== 10) throw new Error(`${m.label}: ${apps.length} apps after start, not 10`);
      await m.cli(['delete', 'all']);
      await waitFor(() => apps.every((p) => !isAlive(p.pid)), { timeoutMs: 10_000, what: `${m.label}: apps to exit after delete all` });
      return ms;
    };
    // round 0 is a warm-up, not counted
    for (let round = 0; round <= RUNS; round++) {
      for (const m of round % 2 ? [...managers].reverse() : managers) {
        const { MARKS, node, sleep } = files[m.name];
        writeFileSync(MARKS, '');
        const spawned = epochMs();
        const ms = await startAndDelete(m, node);
        const running = Math.max(...marks(MARKS)) - spawned;
        if (marks(MARKS).length !== 10) throw new Error(`${m.label}: ${marks(MARKS).length} apps ran, not 10`);
        const msSleep = await startAndDelete(m, sleep);
        if (round > 0) {
          add(`${m.name} returns`, ms);
          add(`${m.name} running`, running);
          add(`${m.name} sleep`, msSleep);
        }
      }
    }
    const s = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, stats(v)]));
    const rows = [
      ['start returns', 'returns'],
      ['all 10 apps run their code', 'running'],
      ['start returns, 10 sleep apps', 'sleep'],
    ];
    printTable(`start-10: ${RUNS} runs each (after 1 warm-up), daemon up; median (min-max)`, ['until', 'pmx', 'PM2'], rows.map(([label, key]) => [label, spread(s[`pmx ${key}`], 'ms'), s[`pm2 ${key}`] ? spread(s[`pm2 ${key}`], 'ms') : 'n/a']));
    const figures = rows.map(([label, key]) => {
      const pmx = s[`pmx ${key}`].median;
      const pm2 = s[`pm2 ${key}`]?.median;
      return figure({ name: `start 10 apps: ${label}`, unit: 'ms', pmx, pm2, target: key === 'returns' ? '<= 0.5 x PM2' : '', met: key === 'returns' && pm2 !== undefined ? pmx <= pm2 / 2 : null, note: `median of ${RUNS}` });
    });
    return { figures, data: s };
  });
}
