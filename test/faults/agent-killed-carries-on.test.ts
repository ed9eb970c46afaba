// After the agent is killed with SIGKILL, the next agent carries on what the dead one was doing
// for an app it adopts or takes over: its watch restarts it on a change, restart_limit goes on
// counting the restarts already made, and an exec probe that was running ends with its launch.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, childrenOf, eventually } from '../helpers/pmx.js';
import { liveProcesses } from '../helpers/home-processes.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-agent-killed-carries-on-');
afterAll(() => pmx.cleanup());

function ecosystem(name: string, app: object): string {
  const file = join(pmx.dir, `${name}.config.js`);
  writeFileSync(file, `module.exports = ${JSON.stringify({ apps: [app] })};\n`);
  return file;
}

async function killAgent(): Promise<void> {
  const agent = pmx.agentPid()!;
  process.kill(agent, 'SIGKILL');
  await eventually('the agent to die', () => !alive(agent));
}

/** The pids of the processes whose command line holds `word`. */
function running(word: string): number[] {
  return liveProcesses()
    .filter(({ cmdline }) => cmdline.some((arg) => arg.includes(word)))
    .map(({ pid }) => pid);
}

describe('after the agent is killed with SIGKILL', () => {
  it('an adopted app is still watched: a change to a watched file restarts it (regression: it was never restarted again)', async () => {
    const dir = join(pmx.dir, 'watched');
    mkdirSync(dir);
    await pmx.ok(['start', ecosystem('watched', { name: 'wat', script: join(apps, 'forever.js'), watch: [dir], watch_delay: 100 })]);
    const first = await pmx.proc('wat');
    writeFileSync(join(dir, 'a'), '1');
    const second = await eventually('a restart for the change', async () => {
      const entry = await pmx.proc('wat');
      return entry.pid !== first.pid && entry.pm2_env.status === 'online' ? entry : null;
    });

    await killAgent();
    const adopted = await pmx.proc('wat');
    expect(adopted.pid).toBe(second.pid);
    expect(adopted.pm2_env.watch).toEqual([dir]);
    writeFileSync(join(dir, 'b'), '2');
    const third = await eventually('a restart for the change after the adoption', async () => {
      const entry = await pmx.proc('wat');
      return entry.pid !== second.pid && entry.pm2_env.status === 'online' ? entry : null;
    });
    expect(third.pm2_env.restart_time).toBe(2);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toMatch(/watch: change detected on .*watched\/b for app wat - restarting/);
    await pmx.ok(['delete', 'wat']);
  });

  it('restart_limit goes on counting the restarts made before: errored after `burst` restarts in all (regression: the window started over)', async () => {
    const log = join(pmx.dir, 'storm.launches');
    writeFileSync(log, '');
    // each run outlives min_uptime (0), so max_restarts never counts: only the rate does
    const app = { name: 'storm', script: join(apps, 'launches.js'), min_uptime: 0, max_restarts: 100, restart_delay: 1500, restart_limit: { burst: 3, interval: '60s' }, env: { LAUNCH_LOG: log, EXIT_AFTER: '200' } };
    await pmx.ok(['start', ecosystem('storm', app)]);
    // one restart decided (held back by restart_delay) when the agent dies; the list is written before jlist answers
    await eventually('the first restart decided', async () => {
      const entry = await pmx.proc('storm');
      return entry.pm2_env.status === 'waiting restart' && entry.pm2_env.restart_time === 0;
    });
    await killAgent();
    const errored = await eventually('storm errored', async () => {
      const entry = await pmx.proc('storm');
      return entry.pm2_env.status === 'errored' ? entry : null;
    }, 20_000);
    expect(errored.pm2_env.restart_time).toBe(3);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(4);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toMatch(/storm \(id \d+\) errored: restarted 3 times within 60000 ms/);
    await pmx.ok(['delete', 'storm']);
  });

  it("an exec probe that was running is ended by the next agent, which probes anew; nothing of any probe is left once the app is deleted and the agent killed (regression: it ran on, unmarked)", async () => {
    // a word only this probe's command line holds
    const word = `probe-of-${process.pid}`;
    const app = { name: 'ex', script: join(apps, 'forever.js'), health: { exec: `sleep 300; true ${word}`, interval: '1s', timeout: '600s' } };
    await pmx.ok(['start', ecosystem('ex', app)]);
    // the probe's shell and its sleep
    const probes = await eventually('the probe running', () => {
      const shells = running(word);
      const sleeps = shells.flatMap(childrenOf);
      return sleeps.length > 0 ? [...shells, ...sleeps] : null;
    });
    await killAgent();
    // the next agent adopts the app and ends the dead agent's probe (it may hang: no agent waits for it)
    const adopted = await pmx.proc('ex');
    expect(adopted.pm2_env.status).toBe('online');
    await eventually("the dead agent's probe ended", () => probes.every((pid) => !alive(pid)));
    expect(alive(adopted.pid)).toBe(true);
    // and probes the app itself
    const next = await eventually("the next agent's probe running", () => {
      const shells = running(word);
      const sleeps = shells.flatMap(childrenOf);
      return sleeps.length > 0 ? [...shells, ...sleeps] : null;
    });
    expect(next.filter((pid) => probes.includes(pid))).toEqual([]);
    probes.push(...next);
    await pmx.ok(['delete', 'ex']);
    await pmx.ok(['kill']);
    expect(probes.filter(alive)).toEqual([]);
    expect(running(word)).toEqual([]);
  });
});
