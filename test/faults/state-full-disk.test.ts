// A full disk under the agent's home: the state file cannot be written, so an app started now would
// be unknown to an agent started after this one died (unseen, holding its port, surviving `pmx
// kill`). pmx keeps a new app (fork or cluster, start or scale) from running and says why; an app
// the state file already named restarts as usual, and if the agent dies before its new pid is
// written, the next agent finds that process by its output pipe, stops it and starts the app again
// under supervision. save fails without tearing the dump, on a full or a nearly full disk.
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
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'tick'], { env: { EVERY: '1000', BULK: 'b'.repeat(30_000) } });
    await pmx.ok(['save']);
    fill();

    const started = await pmx.run(['start', join(apps, 'http-plain.js'), '-n', 'newapp'], { env: { PORT: String(newPort) } });
    expect(started.code, started.stdout).not.toBe(0);
    expect(`${started.stdout}${started.stderr}`).toContain(`the agent cannot record it in ${join(pmx.home, 'agent.state')} (ENOSPC)`);
    const newapp = await pmx.proc('newapp');
    expect([newapp.pm2_env.status, newapp.pid]).toEqual(['errored', 0]);
    expect(newapp.pm2_env.pmx_error).toMatch(/^not started: the agent cannot record it in .*agent\.state \(ENOSPC\)/);
    expect(running('http-plain.js')).toEqual([]);
    await expect(get(newPort)).rejects.toThrow();
    // what the state file named before the disk filled is untouched
    expect(JSON.parse((await get(apiPort)).body).pid).toBe(api.pid);
    // every list says the state is not being written, and what that risks
    expect(await pmx.ok(['ls'])).toContain(`[PMX][WARN] the agent cannot write ${join(pmx.home, 'agent.state')} (ENOSPC) since `);
  });

  it('a new cluster app and new instances of a scale do not run either; scale says so and exits 1', async () => {
    const port = await freePort();
    const cluster = await pmx.run(['start', join(apps, 'http.js'), '-n', 'cl', '-i', '2'], { env: { PORT: String(port) } });
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

  it('a recorded app that crashes is restarted; if the agent dies before its new pid is written, the next agent stops that process and starts the app again', async () => {
    const before = await pmx.proc('api');
    process.kill(before.pid, 'SIGKILL');
    const restarted = await eventually('api restarted', async () => {
      const api = await pmx.proc('api');
      return api.pid > 0 && api.pid !== before.pid && api.pm2_env.status === 'online' ? api : null;
    });
    await eventually('the new api answers', () => get(apiPort).then((res) => JSON.parse(res.body).pid === restarted.pid, () => false));
    expect(readFileSync(join(pmx.home, 'agent.state'), 'utf8')).not.toContain(`"pid":${restarted.pid},`);

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
    fill();
    const before = await pmx.proc('api');
    process.kill(before.pid, 'SIGKILL');
    const restarted = await eventually('api restarted', async () => {
      const api = await pmx.proc('api');
      return api.pid > 0 && api.pid !== before.pid && api.pm2_env.status === 'online' ? api : null;
    });
    expect(readFileSync(join(pmx.home, 'agent.state'), 'utf8')).not.toContain(`"pid":${restarted.pid},`);
    rmSync(filler);
    await eventually('agent.state names the new pid', () => readFileSync(join(pmx.home, 'agent.state'), 'utf8').includes(`"pid":${restarted.pid},`), 5000);
    expect(await pmx.ok(['ls'])).not.toContain(`cannot write ${join(pmx.home, 'agent.state')}`);
  });

  it('after the agent is killed, the next one knows every process that runs; nothing runs unseen; a start works again once space is free', async () => {
    const [api, tick] = [await pmx.proc('api'), await pmx.proc('tick')];
    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    await eventually('the agent to die', () => !alive(agent));

    const list = await pmx.jlist();
    // newapp never ran, and no state file named it (the next agent took over from the last one written)
    expect(list.map((entry) => [entry.name, entry.pid])).toEqual([['api', api.pid], ['tick', tick.pid]]);
    expect(running('http-plain.js')).toEqual([]);
    await pmx.ok(['start', join(apps, 'http-plain.js'), '-n', 'newapp'], { env: { PORT: String(newPort) } });
    await eventually('newapp answers', () => get(newPort).then(() => true, () => false));
    await pmx.ok(['kill']);
    expect(running('http.js')).toEqual([]);
    expect(running('http-plain.js')).toEqual([]);
    expect(running('ticker.js')).toEqual([]);
  });
});
