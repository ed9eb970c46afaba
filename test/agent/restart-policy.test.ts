// Restart policies against real crashing processes: autorestart, max_restarts within min_uptime,
// restart_delay, exp_backoff_restart_delay (the wait shown in ls), restart_limit, stop_exit_codes,
// max_memory_restart, cron_restart.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually } from '../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

function launches(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => Number(line.split(' ')[0]));
  } catch {
    return [];
  }
}

function launchLog(name: string): string {
  const file = join(pmx.dir, `${name}.launches`);
  writeFileSync(file, '');
  return file;
}

describe('restart policies', () => {
  it('restarts a crashed app, counting restarts', async () => {
    const log = launchLog('crashy');
    await pmx.ok(['start', join(apps, 'launches.js'), '-n', 'crashy', '--min-uptime', '100'], { env: { LAUNCH_LOG: log, EXIT_AFTER: '300' } });
    await eventually('three launches', () => launches(log).length >= 3);
    const proc = await pmx.proc('crashy');
    expect(proc.pm2_env.restart_time).toBeGreaterThanOrEqual(2);
    expect(proc.pm2_env.unstable_restarts).toBe(0);
    await pmx.ok(['delete', 'crashy']);
  });

  it('does not restart with --no-autorestart', async () => {
    const log = launchLog('once');
    await pmx.ok(['start', join(apps, 'launches.js'), '-n', 'once', '--no-autorestart'], { env: { LAUNCH_LOG: log, EXIT_AFTER: '0' } });
    await eventually('the app to stop', async () => (await pmx.proc('once')).pm2_env.status === 'stopped');
    expect(launches(log)).toHaveLength(1);
    expect((await pmx.proc('once')).pm2_env.restart_time).toBe(0);
  });

  it('ends in errored after max_restarts unstable restarts', async () => {
    const log = launchLog('unstable');
    await pmx.ok(['start', join(apps, 'launches.js'), '-n', 'unstable', '--max-restarts', '3', '--min-uptime', '5000'], { env: { LAUNCH_LOG: log, EXIT_AFTER: '0' } });
    const proc = await eventually('errored', async () => {
      const p = await pmx.proc('unstable');
      return p.pm2_env.status === 'errored' ? p : null;
    });
    // PM2 sets the count back to 0 as it gives up
    expect(proc.pm2_env.unstable_restarts).toBe(0);
    expect(launches(log)).toHaveLength(3);
    const ls = await pmx.ok(['ls']);
    expect(ls).toMatch(/unstable.*errored/);
  });

  it('treats stop_exit_codes as a wanted stop', async () => {
    const log = launchLog('done');
    await pmx.ok(['start', join(apps, 'launches.js'), '-n', 'done', '--stop-exit-codes', '0', '3'], { env: { LAUNCH_LOG: log, EXIT_AFTER: '0', EXIT_CODE: '3' } });
    await eventually('stopped', async () => (await pmx.proc('done')).pm2_env.status === 'stopped');
    expect(launches(log)).toHaveLength(1);
  });

  it('waits restart_delay between launches', async () => {
    const log = launchLog('delayed');
    await pmx.ok(['start', join(apps, 'launches.js'), '-n', 'delayed', '--restart-delay', '600', '--min-uptime', '0'], { env: { LAUNCH_LOG: log, EXIT_AFTER: '0' } });
    await eventually('three launches', () => launches(log).length >= 3);
    await pmx.ok(['stop', 'delayed']);
    const times = launches(log);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(600);
  });

  it('grows the delay with exp_backoff_restart_delay', async () => {
    const log = launchLog('backoff');
    await pmx.ok(['start', join(apps, 'launches.js'), '-n', 'backoff', '--exp-backoff-restart-delay', '200', '--min-uptime', '0'], { env: { LAUNCH_LOG: log, EXIT_AFTER: '0' } });
    await eventually('four launches', () => launches(log).length >= 4, 15_000);
    await pmx.ok(['stop', 'backoff']);
    const times = launches(log);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // 200, 300, 450 ms: each gap at least its delay, and growing
    expect(gaps[0]).toBeGreaterThanOrEqual(200);
    expect(gaps[1]).toBeGreaterThanOrEqual(300);
    expect(gaps[2]).toBeGreaterThanOrEqual(450);
  });

  it('ends in errored past restart_limit, says why in the agent log, and runs again when started', async () => {
    const log = launchLog('storm');
    const file = join(pmx.dir, 'storm.config.js');
    // each run outlives min_uptime (0), so max_restarts never counts: only the rate does
    const app = { name: 'storm', script: join(apps, 'launches.js'), min_uptime: 0, max_restarts: 100, restart_limit: { burst: 2, interval: '30s' }, env: { LAUNCH_LOG: log, EXIT_AFTER: '0' } };
    writeFileSync(file, `module.exports = { apps: [${JSON.stringify(app)}] };`);
    await pmx.ok(['start', file]);
    const errored = await eventually('errored', async () => {
      const p = await pmx.proc('storm');
      return p.pm2_env.status === 'errored' ? p : null;
    });
    expect(launches(log)).toHaveLength(3);
    expect(errored.pm2_env.restart_time).toBe(2);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toMatch(/storm \(id \d+\) errored: restarted 2 times within 30000 ms \(restart_limit: \{ burst: 2, interval: 30000 \}\); not restarted again until it is started/);
    await pmx.ok(['start', 'storm']);
    await eventually('three more launches', () => launches(log).length >= 6);
    await pmx.ok(['delete', 'storm']);
  });

  it('shows a held-back restart in ls with the time left, and when it is due in jlist', async () => {
    const log = launchLog('held');
    await pmx.ok(['start', join(apps, 'launches.js'), '-n', 'held', '--restart-delay', '20000', '--min-uptime', '0'], { env: { LAUNCH_LOG: log, EXIT_AFTER: '0' } });
    const waiting = await eventually('waiting restart', async () => {
      const p = await pmx.proc('held');
      return p.pm2_env.status === 'waiting restart' ? p : null;
    });
    const due = waiting.pm2_env.pmx_restart_at as number;
    expect(due).toBeGreaterThan(Date.now());
    expect(due).toBeLessThanOrEqual(Date.now() + 20_000);
    const seconds = Number(/held .*wait (\d+)s/.exec(await pmx.ok(['ls']))?.[1]);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(20);
    await pmx.ok(['stop', 'held']);
    expect((await pmx.proc('held')).pm2_env.pmx_restart_at).toBeUndefined();
    await pmx.ok(['delete', 'held']);
  });

  it('restarts an app that stays over max_memory_restart for 10 samples (2 s at 200 ms), and not one whose peak at start-up is shorter', async () => {
    // an agent of its own, sampling every 200 ms from its start
    const mem = new PmxSandbox();
    try {
      const env = { PMX_SAMPLE_INTERVAL_MS: '200' };
      await mem.ok(['ping'], { env });
      await mem.ok(['start', join(apps, 'memory.js'), '-n', 'peak', '--max-memory-restart', '60M', '--node-args=--expose-gc'], { env: { ...env, GROW_MB: '100', RELEASE_AFTER_MS: '800' } });
      await mem.ok(['start', join(apps, 'memory.js'), '-n', 'hog', '--max-memory-restart', '60M'], { env: { ...env, GROW_MB: '100' } });
      const began = Date.now();
      await eventually('a memory restart of the hog', async () => (await mem.proc('hog')).pm2_env.restart_time >= 1);
      expect(Date.now() - began).toBeGreaterThanOrEqual(2000);
      expect(readFileSync(join(mem.home, 'agent.log'), 'utf8')).toMatch(/hog \(id \d+\) uses \d+ bytes, over max_memory_restart \d+ for \d+ s: restarting/);
      // the peak came and went within the window, at its start: never restarted for it
      expect(readFileSync(join(mem.home, 'agent.log'), 'utf8')).not.toMatch(/peak \(id \d+\) uses/);
      expect((await mem.proc('peak')).pm2_env.restart_time).toBe(0);
    } finally {
      await mem.cleanup();
    }
  });

  it('restarts on a cron_restart schedule', async () => {
    const log = launchLog('cron');
    await pmx.ok(['start', join(apps, 'launches.js'), '-n', 'cron', '--cron-restart', '* * * * * *'], { env: { LAUNCH_LOG: log } });
    await eventually('two cron restarts', async () => (await pmx.proc('cron')).pm2_env.restart_time >= 2, 5_000);
    await pmx.ok(['delete', 'cron']);
  });

  it('runs a job that ended by itself (autorestart off) again at each cron_restart time, as PM2 does, after an agent SIGKILL and a save/resurrect too', async () => {
    const log = launchLog('job');
    const launches = (): number => readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    await pmx.ok(['start', join(apps, 'launches.js'), '-n', 'job', '--no-autorestart', '--cron-restart', '* * * * * *'], { env: { LAUNCH_LOG: log, EXIT_AFTER: '0', EXIT_CODE: '0' } });
    await eventually('three runs of the job', () => launches() >= 3, 10_000);
    await eventually('the job at rest', async () => (await pmx.proc('job')).pm2_env.status === 'stopped');
    // restart_time is not asserted here: a tick that finds the job at rest starts it (no restart
    // counted, as PM2), one that finds it still running restarts it (counted), and which a tick
    // finds depends on how fast the machine starts node (transition.test.ts holds the rule)
    // the agent killed: the next one knows the job ended by itself, and runs it at its times
    process.kill(pmx.agentPid()!, 'SIGKILL');
    await pmx.ok(['ping']);
    const afterKill = launches();
    await eventually('a run after the agent was killed', () => launches() > afterKill + 1, 10_000);
    // saved and resurrected (a reboot under the startup unit): the same
    await pmx.ok(['save']);
    await pmx.ok(['kill']);
    await pmx.ok(['resurrect']);
    const afterResurrect = launches();
    await eventually('a run after resurrect', () => launches() > afterResurrect + 1, 10_000);
    await pmx.ok(['delete', 'job']);
  });

  it('leaves stopped what pmx stop stopped, cron_restart or not, across an agent SIGKILL, a save and a resurrect', async () => {
    const log = launchLog('held');
    const launches = (): number => readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    // an app that runs (cron restarts it every second), and a job that ends at once
    await pmx.ok(['start', join(apps, 'launches.js'), '-n', 'held', '--cron-restart', '* * * * * *'], { env: { LAUNCH_LOG: log } });
    await eventually('a cron restart', () => launches() >= 2, 10_000);
    await pmx.ok(['stop', 'held']);
    // the next agent learns from the state file that a command stopped it, and saves it so
    process.kill(pmx.agentPid()!, 'SIGKILL');
    await pmx.ok(['ping']);
    await pmx.ok(['save']);
    await pmx.ok(['kill']);
    await pmx.ok(['resurrect']);
    expect((await pmx.proc('held')).pm2_env.status).toBe('stopped');
    const after = launches();
    // cron fires every second: three of its times pass with the app stopped by a command
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(launches()).toBe(after);
    expect((await pmx.proc('held')).pm2_env.status).toBe('stopped');
    await pmx.ok(['delete', 'held']);
  });
});
