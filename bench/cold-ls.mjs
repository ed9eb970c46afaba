// cold-ls: `ls` when no agent/daemon runs, so that it has to spawn one and wait for it: the
// daemon is killed (`kill`, then its pid watched until gone) before each timed run. pmx and PM2
// alternate run by run.
import { printTable } from './lib/format.mjs';
import { withManagers } from './lib/managers.mjs';
import { stats } from './lib/measure.mjs';
import { figure, spread } from './lib/report.mjs';

export const about = '`ls` that has to spawn the agent/daemon (killed before each run)';
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);

export default async function coldLs() {
  return withManagers(async (managers) => {
    // a first run in a new home writes its files (and PM2 prints its banner): not counted
    for (const m of managers) await m.cli(['ls']);
    const times = Object.fromEntries(managers.map((m) => [m.name, []]));
    for (let round = 0; round < RUNS; round++) {
      for (const m of round % 2 ? [...managers].reverse() : managers) {
        await m.stop();
        if (m.daemonPid() !== null) throw new Error(`${m.label} daemon still runs after kill`);
        const { ms } = await m.cli(['ls']);
        if (m.daemonPid() === null) throw new Error(`${m.label} ls did not leave a daemon running`);
        times[m.name].push(ms);
      }
    }
    const pmx = stats(times.pmx);
    const pm2 = times.pm2 && stats(times.pm2);
    printTable(`cold-ls: ${RUNS} runs each, daemon killed before each; median (min-max)`, ['command', 'pmx', 'PM2'], [['ls (spawns the daemon)', spread(pmx, 'ms'), pm2 ? spread(pm2, 'ms') : 'n/a']]);
    return {
      figures: [figure({ name: 'cold ls (spawns the daemon)', unit: 'ms', pmx: pmx.median, pm2: pm2?.median, target: '<= 0.5 x PM2', met: pm2 ? pmx.median <= pm2.median / 2 : null, note: `median of ${RUNS}` })],
      data: { pmx, pm2 },
    };
  });
}
