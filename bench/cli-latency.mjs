// cli-latency: wall time of `ls`, `jlist` and `describe <name>` with 10 apps running and the
// agent/daemon up, pmx and PM2 interleaved round by round (so that a noisy neighbour hits both
// alike), with `node -e 0` timed in the same rounds as the floor: no CLI can beat it.
import { setTimeout as sleep } from 'node:timers/promises';
import { ecosystemFile, manyApps } from './lib/ecosystem.mjs';
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { run, runOk, stats } from './lib/measure.mjs';
import { app } from './lib/paths.mjs';
import { figure, floorFigure, spread } from './lib/report.mjs';

export const about = '`ls`, `jlist`, `describe app3` with 10 apps running and the daemon up; `node -e 0` as the floor';
const RUNS = Number(process.env.BENCH_LATENCY_RUNS ?? 15);
const COMMANDS = [['ls'], ['jlist'], ['describe', 'app3']];

export default async function cliLatency({ dir }) {
  return withManagers(async (managers) => {
    const file = ecosystemFile(dir, 'ten', manyApps(10, 'app', { script: app('idle.cjs') }));
    for (const m of managers) {
      await m.cli(['start', file]);
      const apps = await m.jlist();
      if (apps.length !== 10 || apps.some((p) => p.pm2_env.status !== 'online')) throw new Error(`${m.label}: expected 10 online apps, jlist says ${apps.map((p) => p.pm2_env.status)}`);
    }
    await sleep(1000);
    const times = {};
    const add = (key, ms) => (times[key] ??= []).push(ms);
    // round 0 warms the disk cache and is not counted
    for (let round = 0; round <= RUNS; round++) {
      const floor = await runOk(process.execPath, ['-e', '0']);
      if (round > 0) add('node -e 0', floor.ms);
      for (const args of COMMANDS) {
        for (const m of round % 2 ? [...managers].reverse() : managers) {
          const [command, argv, options] = m.command(args);
          const result = await run(command, argv, options);
          if (result.code !== 0) throw new Error(`${m.label} ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
          if (round === 0 && args[0] !== 'jlist' && !result.stdout.includes('app3')) throw new Error(`${m.label} ${args.join(' ')} does not show app3:\n${result.stdout}`);
          if (round > 0) add(`${m.name} ${args.join(' ')}`, result.ms);
        }
      }
    }
    const s = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, stats(v)]));
    const floor = s['node -e 0'];
    printTable(`cli-latency: ${RUNS} runs each (after 1 warm-up), pmx and PM2 interleaved, 10 apps; median (min-max)`, ['command', 'pmx', 'PM2', 'pmx - node -e 0'], [
      ...COMMANDS.map((args) => {
        const key = args.join(' ');
        return [key, spread(s[`pmx ${key}`], 'ms'), s[`pm2 ${key}`] ? spread(s[`pm2 ${key}`], 'ms') : 'n/a', `${(s[`pmx ${key}`].median - floor.median).toFixed(1)} ms`];
      }),
      ['node -e 0 (floor)', spread(floor, 'ms'), '', ''],
    ]);
    const figures = COMMANDS.map((args) => {
      const key = args.join(' ');
      const pmx = s[`pmx ${key}`].median;
      const pm2 = s[`pm2 ${key}`]?.median;
      return figure({ name: `${args[0]}, 10 apps`, unit: 'ms', pmx, pm2, target: '<= 0.5 x PM2', met: pm2 === undefined ? null : pmx <= pm2 / 2, note: `median of ${RUNS}` });
    });
    figures.push(floorFigure({ name: 'node -e 0 (floor)', unit: 'ms', value: floor.median, note: `median of ${RUNS}` }));
    return { figures, data: s };
  });
}
