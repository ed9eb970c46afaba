// crash-restart: from an app's crash to its restarted copy running its code. The app
// (apps/crash-timer.cjs) appends "start <epoch ms>" when its code starts and "exit <epoch ms>"
// just before it exits with code 1, 200 ms later; each gap between an "exit" and the next
// "start" is one crash-to-restart time. The same app under a minimal respawn loop of plain
// node (lib/bare-supervisor.cjs) is the floor. Runs in blocks, bare / pmx / PM2 taking turns.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ecosystemFile } from './lib/ecosystem.mjs';
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { runOk, stats, waitFor } from './lib/measure.mjs';
import { app, BENCH_DIR } from './lib/paths.mjs';
import { figure, floorFigure, spread } from './lib/report.mjs';

export const about = 'time from an app crash (exit 1) to its restarted copy running its code, against a bare node respawn loop';
const BLOCKS = 4;
const CRASHES = Number(process.env.BENCH_CRASHES ?? 20) / BLOCKS;
const CRASH_APP = app('crash-timer.cjs');

/** The exit -> next start gaps recorded in a times file. */
function gaps(file) {
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' '));
  const result = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i - 1][0] === 'exit' && lines[i][0] === 'start') result.push(Number(lines[i][1]) - Number(lines[i - 1][1]));
  }
  return result;
}

const starts = (file) => readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('start')).length;

async function bare(file) {
  writeFileSync(file, '');
  await runOk(process.execPath, [join(BENCH_DIR, 'lib', 'bare-supervisor.cjs'), CRASH_APP, String(CRASHES + 1)], { env: { ...process.env, TIMES: file } });
  return gaps(file);
}

async function managed(m, dir, block) {
  const file = join(dir, `times-${m.name}-${block}`);
  writeFileSync(file, '');
  const eco = ecosystemFile(dir, `crash-${m.name}-${block}`, [{ name: 'crash', script: CRASH_APP, min_uptime: 0, max_restarts: 1000, autorestart: true, env: { TIMES: file } }]);
  await m.cli(['start', eco]);
  await waitFor(() => starts(file) > CRASHES, { timeoutMs: 60_000, everyMs: 50, what: `${m.label}: ${CRASHES} restarts` });
  await m.cli(['delete', 'crash']);
  return gaps(file).slice(0, CRASHES);
}

export default async function crashRestart({ dir }) {
  return withManagers(async (managers) => {
    for (const m of managers) await m.cli(['ping']);
    const all = { bare: [] };
    for (let block = 0; block < BLOCKS; block++) {
      all.bare.push(...(await bare(join(dir, `times-bare-${block}`))));
      for (const m of block % 2 ? [...managers].reverse() : managers) (all[m.name] ??= []).push(...(await managed(m, dir, block)));
    }
    const s = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, stats(v)]));
    printTable(`crash-restart: ${CRASHES * BLOCKS} crashes each, in ${BLOCKS} blocks; crash to restarted code, median (min-max)`, ['supervisor', 'gap', 'over bare node'], [
      ['bare node respawn loop', spread(s.bare, 'ms'), ''],
      ...managers.map((m) => [m.label, spread(s[m.name], 'ms'), `+${(s[m.name].median - s.bare.median).toFixed(1)} ms`]),
    ]);
    const pmx = s.pmx.median;
    const pm2 = s.pm2?.median;
    return {
      figures: [
        figure({ name: 'crash to restarted app', unit: 'ms', pmx, pm2, target: '<= 0.7 x PM2', met: pm2 === undefined ? null : pmx <= 0.7 * pm2, note: `median of ${s.pmx.n}` }),
        figure({ name: 'crash to restarted app, over bare node', unit: 'ms', pmx: pmx - s.bare.median, pm2: pm2 === undefined ? undefined : pm2 - s.bare.median, target: 'pmx <= 20 ms', met: pmx - s.bare.median <= 20 }),
        floorFigure({ name: 'crash to restarted app, bare node respawn loop', unit: 'ms', value: s.bare.median, note: `median of ${s.bare.n}` }),
      ],
      data: { stats: s, gaps: all },
    };
  });
}
