// app-overhead: resident memory of the same idle script (apps/idle.cjs, a setInterval) run by
// plain `node`, by pmx and by PM2, 5 copies each, all running at once; each copy's RSS (its
// process tree's, should a manager put a wrapper around it) is the median of 5 readings 200 ms
// apart, 3 s after start. Per-app overhead = managed app RSS - plain node RSS.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ecosystemFile, manyApps } from './lib/ecosystem.mjs';
import { mb, printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { stats, treeRssBytes } from './lib/measure.mjs';
import { app } from './lib/paths.mjs';
import { figure, floorFigure, spread } from './lib/report.mjs';
import { onCleanup } from './lib/cleanup.mjs';

export const about = 'RSS of an idle script run by plain node, by pmx and by PM2 (per-app overhead = app RSS - plain node RSS)';
const COPIES = 5;
const TARGET_MB = 2;

export default async function appOverhead({ dir }) {
  return withManagers(async (managers) => {
    const plain = Array.from({ length: COPIES }, () => spawn(process.execPath, [app('idle.cjs')], { stdio: 'ignore' }));
    const stopPlain = onCleanup(() => plain.forEach((child) => child.kill('SIGKILL')));
    try {
      const pids = { node: plain.map((child) => child.pid) };
      const file = ecosystemFile(dir, 'idle', manyApps(COPIES, 'idle', { script: app('idle.cjs') }));
      for (const m of managers) {
        await m.cli(['start', file]);
        pids[m.name] = (await m.jlist()).map((p) => p.pid);
      }
      await sleep(3000);
      // 5 readings of every copy, 200 ms apart; a copy's RSS is the median of its readings
      const readings = new Map(Object.values(pids).flat().map((pid) => [pid, []]));
      for (let i = 0; i < 5; i++) {
        if (i > 0) await sleep(200);
        for (const [pid, list] of readings) list.push(treeRssBytes(pid));
      }
      const s = Object.fromEntries(Object.entries(pids).map(([who, list]) => [who, stats(list.map((pid) => stats(readings.get(pid)).median))]));
      printTable(`app-overhead: ${COPIES} copies each of an idle setInterval script; RSS 3 s after start, median (min-max)`, ['run by', 'app RSS', 'overhead vs plain node'], [
        ['plain node', spread(s.node, 'bytes'), ''],
        ...managers.map((m) => [m.label, spread(s[m.name], 'bytes'), mb(s[m.name].median - s.node.median)]),
      ]);
      const over = (name) => (s[name] ? s[name].median - s.node.median : undefined);
      return {
        figures: [
          figure({ name: 'app RSS', unit: 'bytes', pmx: s.pmx.median, pm2: s.pm2?.median, note: `median of ${COPIES}` }),
          figure({ name: 'per-app overhead (app RSS - plain node)', unit: 'bytes', pmx: over('pmx'), pm2: over('pm2'), target: `pmx <= ${TARGET_MB} MB`, met: over('pmx') <= TARGET_MB * 2 ** 20 }),
          floorFigure({ name: 'plain node RSS', unit: 'bytes', value: s.node.median, note: `median of ${COPIES}` }),
        ],
        data: s,
      };
    } finally {
      await stopPlain();
    }
  });
}
