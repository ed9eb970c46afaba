// A full disk under the agent's home. A new app that the state file cannot name would be unknown
// to an agent started after this one died (unseen, holding its port, surviving `pmx kill`): pmx
// keeps it from running (fork or cluster, start or scale) and says why. What changes the recorded
// apps (a stop, a delete, a restart) is still written, over the spare the agent keeps beside the
// file; an agent with no spare (one started on a full disk) cannot, and if it dies before its
// restarted app's new pid is written, the next agent finds that process by its output pipe, stops it
// and starts the app again under supervision. save fails without tearing the dump, on a full or a
// nearly full disk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';
import { freePort, get } from '../helpers/net.js';
import { processesOfHome } from '../helpers/home-processes.js';
import { fillDisk, mountSmallDisk } from '../helpers/small-disk.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-state-full-');
const filler = join(pmx.home, 'filler');
const stateFile = join(pmx.home, 'agent.state');
/** 40 KB: more than the room the state file and its spare leave (about 30 KB here). */
const BULK = 'b'.repeat(40_000);

beforeAll(() => {
  mkdirSync(pmx.home);
  mountSmallDisk(pmx.home, '512k', '0700');
});
afterAll(async () => {
  await pmx.run(['kill'], { timeoutMs: 15_000 }).catch(() => undefined);
  spawnSync('umount', ['-l', pmx.home]);
  await pmx.cleanup();
});

const fill = (): void => fillDisk(filler);

/** Pids of processes started with this home that run `script` (the app itself, not a CLI). */
function running(script: string): number[] {
  return processesOfHome(pmx.home)
    .filter(({ cmdline }) => cmdline.some((arg) => arg.endsWith(script)) && !cmdline.some((arg) => arg.endsWith('bin/pmx.cjs')))
    .map(({ pid }) => pid);
}

describe('the state file cannot be written (a full disk)', () => {
  let apiPort = 0;
  let newPort = 0;

  it('an app started then does not run: start fails naming the file and why; the apps already recorded run on', async () => {
    [apiPort, newPort] = [await freePort(), await freePort()];
    await pmx.ok(['start', join(apps, 'http.js'), '-n', 'api'], { env: { PORT: String(apiPort) } });
    const api = await pmx.proc('api');
    // a 30 KB variable: the dump and the state file outgrow the 12 KB freed further down
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'tick'], { env: { EVERY: '1000', BULK } });
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'halt']);
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'gone']);
    await pmx.ok(['save']);
    fill();

    const started = await pmx.run(['start', join(apps, 'http-plain.js'), '-n', 'newapp'], { env: { PORT: String(newPort), BULK } });
    expect(started.code, started.stdout).not.toBe(0);
    expect(`${started.stdout}${started.stderr}`).toContain(`the agent cannot record it in ${join(pmx.home, 'agent.state')} (ENOSPC)`);
    const newapp = await pmx.proc('newapp');
    expect([newapp.pm2_env.status, newapp.pid]).toEqual(['errored', 0]);
    expect(newapp.pm2_env.pmx_error).toMatch(/^not started: the agent cannot record it in .*agent\.state \(ENOSPC\)/);
    expect(running('http-plain.js')).toEqual([]);
    await expect(get(newPort)).rejects.toThrow();
    // what the state file named before the disk filled is untouched
    expect(JSON.parse((await get(apiPort)).body).pid).toBe(api.pid);
  });

  it('a new cluster app and new instances of a scale do not run either; scale says so and exits 1', async () => {
    const port = await freePort();
    const cluster = await pmx.run(['start', join(apps, 'http.js'), '-n', 'cl', '-i', '2'], { env: { PORT: String(port), BULK } });
    expect(cluster.code).not.toBe(0);
    expect((await pmx.jlist()).filter((entry) => entry.name === 'cl').map((entry) => [entry.pm2_env.status, entry.pid])).toEqual([['errored', 0], ['errored', 0]]);
    await expect(get(port)).rejects.toThrow();

    const scaled = await pmx.run(['scale', 'tick', '3']);
    expect(scaled.code).toBe(1);
    expect(scaled.stderr).toContain(`the agent cannot record it in ${join(pmx.home, 'agent.state')} (ENOSPC)`);
    expect(scaled.stdout).toContain('[PMX] tick has 3 instances: 1 running, 2 errored');
    expect(running('ticker.js')).toHaveLength(1);
    await pmx.ok(['delete', 'cl']);
    for (const entry of (await pmx.jlist()).filter((item) => item.name === 'tick' && item.pm2_env.status === 'errored')) await pmx.ok(['delete', String(entry.pm_id)]);
  });

  it('save fails naming the dump and why, and leaves the saved list and its files as they were', async () => {
    const dump = join(pmx.home, 'dump.pmx');
    const before = readFileSync(dump, 'utf8');
    const saved = await pmx.run(['save']);
    expect(saved.code).not.toBe(0);
    expect(saved.stderr).toContain(`cannot save to ${dump} (ENOSPC): the saved list is as it was`);
    expect(saved.stderr).toContain("free space there (or make it writable) and run 'pmx save' again");
    expect(readFileSync(dump, 'utf8')).toBe(before);
    expect(readdirSync(pmx.home).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('save on a nearly full disk (12 KB free, a dump of 30 KB) fails the same way: a short write is no save', async () => {
    const dump = join(pmx.home, 'dump.pmx');
    const before = readFileSync(dump, 'utf8');
    truncateSync(filler, statSync(filler).size - 12 * 1024);
    const saved = await pmx.run(['save']);
    expect(saved.code, saved.stdout).not.toBe(0);
    expect(saved.stderr).toContain(`cannot save to ${dump} (ENOSPC)`);
    expect(readFileSync(dump, 'utf8')).toBe(before);
    expect(readdirSync(pmx.home).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    fill();
  });

  it('a stop, a delete and a restart are recorded all the same: after a kill -9, the next agent keeps each of them', async () => {
    await pmx.ok(['stop', 'halt']);
    await pmx.ok(['delete', 'gone']);
    const before = await pmx.proc('api');
    process.kill(before.pid, 'SIGKILL');
    const restarted = await eventually('api restarted', async () => {
      const api = await pmx.proc('api');
      return api.pid > 0 && api.pid !== before.pid && api.pm2_env.status === 'online' ? api : null;
    });
    await eventually('agent.state names the new pid', () => readFileSync(stateFile, 'utf8').includes(`"pid":${restarted.pid},`));
    expect(await pmx.ok(['ls'])).not.toContain(`cannot write ${stateFile}`);

    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    await eventually('the agent to die', () => !alive(agent));
    const taken = await pmx.run(['jlist']);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).not.toContain('not among the processes it recorded');
    const list = (JSON.parse(taken.stdout) as { name: string; pid: number; pm2_env: { status: string } }[]).map((entry) => [entry.name, entry.pm2_env.status, entry.pid]);
    expect(list).toEqual([['api', 'online', restarted.pid], ['tick', 'online', (await pmx.proc('tick')).pid], ['halt', 'stopped', 0]]);
    expect(running('forever.js')).toEqual([]);
    await eventually('api answers from the same process', () => get(apiPort).then((res) => JSON.parse(res.body).pid === restarted.pid, () => false));
  });

  it('a recorded app that crashes is restarted; with no spare, if the agent dies before its new pid is written, the next agent stops that process and starts the app again', async () => {
    // an agent started on a full disk has no spare: free its room, then fill the disk again
    rmSync(`${stateFile}.spare`);
    fill();
    const before = await pmx.proc('api');
    process.kill(before.pid, 'SIGKILL');
    const restarted = await eventually('api restarted', async () => {
      const api = await pmx.proc('api');
      return api.pid > 0 && api.pid !== before.pid && api.pm2_env.status === 'online' ? api : null;
    });
    await eventually('the new api answers', () => get(apiPort).then((res) => JSON.parse(res.body).pid === restarted.pid, () => false));
    expect(readFileSync(stateFile, 'utf8')).not.toContain(`"pid":${restarted.pid},`);
    // every list says the state is not being written, and what that risks
    expect(await pmx.ok(['ls'])).toContain(`[PMX][WARN] the agent cannot write ${stateFile} (ENOSPC) since `);

    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    await eventually('the agent to die', () => !alive(agent));
    rmSync(filler);
    const taken = await pmx.run(['jlist']);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toContain(`stopped, running but not among the processes it recorded (started while its state file could not be written, or left running by an app it restarted): api (id 0, pid ${restarted.pid})`);
    expect(alive(restarted.pid)).toBe(false);
    const api = await eventually('api online again, under supervision', async () => {
      const entry = await pmx.proc('api');
      return entry.pm2_env.status === 'online' && entry.pid > 0 ? entry : null;
    });
    await eventually('api answers with its new pid', () => get(apiPort).then((res) => JSON.parse(res.body).pid === api.pid, () => false));
    expect(running('http.js')).toEqual([api.pid]);
  });

  it('once space is back, a state write that failed is done again by itself', async () => {
    rmSync(`${stateFile}.spare`);
    fill();
    const before = await pmx.proc('api');
    process.kill(before.pid, 'SIGKILL');
    const restarted = await eventually('api restarted', async () => {
      const api = await pmx.proc('api');
      return api.pid > 0 && api.pid !== before.pid && api.pm2_env.status === 'online' ? api : null;
    });
    expect(readFileSync(stateFile, 'utf8')).not.toContain(`"pid":${restarted.pid},`);
    rmSync(filler);
    await eventually('agent.state names the new pid', () => readFileSync(stateFile, 'utf8').includes(`"pid":${restarted.pid},`), 5000);
    expect(await pmx.ok(['ls'])).not.toContain(`cannot write ${stateFile}`);
  });

  it('after the agent is killed, the next one knows every process that runs; nothing runs unseen; a start works again once space is free', async () => {
    const [api, tick] = [await pmx.proc('api'), await pmx.proc('tick')];
    fill();
    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    await eventually('the agent to die', () => !alive(agent));

    const list = await pmx.jlist();
    // newapp never ran, and no state file named it (the next agent took over from the last one written)
    expect(list.map((entry) => [entry.name, entry.pid])).toEqual([['api', api.pid], ['tick', tick.pid], ['halt', 0]]);
    expect(running('http-plain.js')).toEqual([]);
    rmSync(filler);
    await pmx.ok(['start', join(apps, 'http-plain.js'), '-n', 'newapp'], { env: { PORT: String(newPort) } });
    await eventually('newapp answers', () => get(newPort).then(() => true, () => false));
    await pmx.ok(['kill']);
    expect(running('http.js')).toEqual([]);
    expect(running('http-plain.js')).toEqual([]);
    expect(running('ticker.js')).toEqual([]);
  });
});
