// load-1000: one manager supervising 1,000 apps. The apps are `/bin/sleep 3600` (interpreter
// none), so that what is timed is the manager, not 1,000 Node boots on two cores. Figures:
// `start` of an ecosystem file with the 1,000 apps (until the command returns; every app is then
// checked online under a live pid), `ls` with them running (median of 5), the daemon's CPU while
// they idle (CPU seconds over a 20 s window after a settle, as % of one core), and `delete all`
// (until the command returns; every pid is then checked gone). One manager at a time, so the two
// never compete for the cores. BENCH_LOAD_APPS changes the count. The floor: plain node spawning
// the same number of `sleep` processes and nothing else (lib/spawn-floor.cjs), in the same run.
import { setTimeout as sleep } from 'node:timers/promises';
import { ecosystemFile, manyApps } from './lib/ecosystem.mjs';
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { join } from 'node:path';
import { cpuSeconds, isAlive, msSince, run, runOk, stats, waitFor } from './lib/measure.mjs';
import { BENCH_DIR } from './lib/paths.mjs';
import { figure, floorFigure, spread } from './lib/report.mjs';

const APPS = Number(process.env.BENCH_LOAD_APPS ?? 1000);
export const about = `${APPS} \`sleep\` apps: start, ls, idle daemon CPU, delete all`;
const LS_RUNS = 5;
const SETTLE_MS = 5000;
const WINDOW_MS = 20_000;
const TARGETS = { start: 5000, ls: 300, cpu: 3, delete: 3000 };

async function measure(m, dir) {
  await m.cli(['ping']);
  const file = ecosystemFile(dir, `load-${m.name}`, manyApps(APPS, 'load', { script: '/bin/sleep', args: ['3600'], interpreter: 'none', autorestart: false }));
  const start = await m.cli(['start', file]);
  const listed = await m.jlist();
  const online = listed.filter((p) => p.pm2_env.status === 'online' && p.pid > 0 && isAlive(p.pid));
  if (online.length !== APPS) throw new Error(`${m.label}: ${online.length} of ${APPS} apps online under a live pid after start`);
  const ls = [];
  for (let i = 0; i < LS_RUNS; i++) {
    const [command, argv, options] = m.command(['ls']);
    const result = await run(command, argv, options);
    if (result.code !== 0 || !result.stdout.includes(`load${APPS - 1}`)) throw new Error(`${m.label} ls failed or lacks load${APPS - 1}: ${result.stderr}`);
    ls.push(result.ms);
  }
  await sleep(SETTLE_MS);
  const daemon = m.daemonPid();
  const before = cpuSeconds(daemon);
  const windowStarted = process.hrtime.bigint();
  await sleep(WINDOW_MS);
  const cpu = ((cpuSeconds(daemon) - before) / (msSince(windowStarted) / 1000)) * 100;
  const deleted = await m.cli(['delete', 'all']);
  const pids = online.map((p) => p.pid);
  const left = pids.filter(isAlive).length;
  await waitFor(() => pids.every((pid) => !isAlive(pid)), { timeoutMs: 60_000, what: `${m.label}: the ${APPS} apps to exit after delete all` });
  return { start: start.ms, ls: stats(ls), cpu, delete: deleted.ms, aliveAfterDelete: left };
}

export default async function load1000({ dir }) {
  const floor = Number((await runOk(process.execPath, [join(BENCH_DIR, 'lib', 'spawn-floor.cjs'), String(APPS)])).stdout.trim());
  return withManagers(async (managers) => {
    const r = {};
    for (const m of managers) r[m.name] = await measure(m, dir);
    const cell = (name, key) => {
      const x = r[name];
      if (!x) return 'n/a';
      if (key === 'ls') return spread(x.ls, 'ms');
      if (key === 'cpu') return `${x.cpu.toFixed(2)} %`;
      if (key === 'delete') return `${(x.delete / 1000).toFixed(2)} s${x.aliveAfterDelete ? ` (${x.aliveAfterDelete} still alive as it returned)` : ''}`;
      return `${(x[key] / 1000).toFixed(2)} s`;
    };
    const rows = [
      ['start (until the command returns)', 'start'],
      [`ls, median of ${LS_RUNS} (min-max)`, 'ls'],
      [`idle daemon CPU over ${WINDOW_MS / 1000} s`, 'cpu'],
      ['delete all (until the command returns)', 'delete'],
    ];
    printTable(`load-1000: ${APPS} sleep apps, one manager at a time`, ['', ...managers.map((m) => m.label)], rows.map(([label, key]) => [label, ...managers.map((m) => cell(m.name, key))]));
    const value = (name, key) => (r[name] ? (key === 'ls' ? r[name].ls.median : r[name][key]) : undefined);
    return {
      figures: [
        floorFigure({ name: `floor: plain node spawning ${APPS} sleep processes`, unit: 'ms', value: floor }),
        figure({ name: `start ${APPS} apps`, unit: 'ms', pmx: value('pmx', 'start'), pm2: value('pm2', 'start'), target: `<= ${TARGETS.start / 1000} s`, met: value('pmx', 'start') <= TARGETS.start, note: `${(value('pmx', 'start') / floor).toFixed(2)}x the floor` }),
        figure({ name: `ls, ${APPS} apps`, unit: 'ms', pmx: value('pmx', 'ls'), pm2: value('pm2', 'ls'), target: `<= ${TARGETS.ls} ms`, met: value('pmx', 'ls') <= TARGETS.ls, note: `median of ${LS_RUNS}` }),
        figure({ name: `idle daemon CPU, ${APPS} apps`, unit: '%', pmx: value('pmx', 'cpu'), pm2: value('pm2', 'cpu'), target: `<= ${TARGETS.cpu} % of one core`, met: value('pmx', 'cpu') <= TARGETS.cpu, note: `${WINDOW_MS / 1000} s window` }),
        figure({ name: `delete all, ${APPS} apps`, unit: 'ms', pmx: value('pmx', 'delete'), pm2: value('pm2', 'delete'), target: `<= ${TARGETS.delete / 1000} s`, met: value('pmx', 'delete') <= TARGETS.delete && r.pmx.aliveAfterDelete === 0 }),
      ],
      data: { ...r, floor },
    };
  });
}
