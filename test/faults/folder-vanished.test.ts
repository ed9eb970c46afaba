// An app's working directory removed under it (a release folder deleted, the folder `pmx serve`
// serves removed): the app cannot start again, and pmx says so. A cluster app's restart once never
// ended: the failed spawn was thrown in the agent (the Worker repeats it, and nothing heard it
// there), the instances stayed `launching` with no process, and `pmx kill` then waited forever for
// them. A fork app's said `spawn /bin/sh ENOENT`, of a shell that is there.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';
import { freePort, get } from '../helpers/net.js';
import { processesOfHome } from '../helpers/home-processes.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-folder-vanished-');
afterAll(() => pmx.cleanup());

const status = async (name: string): Promise<[string, number, string | null][]> =>
  (await pmx.jlist()).filter((entry) => entry.name === name).map((entry) => [entry.pm2_env.status, entry.pid, entry.pm2_env.pmx_error]);

/** Processes of this home running `script` (apps, not CLIs). */
function running(script: string): number[] {
  return processesOfHome(pmx.home)
    .filter(({ cmdline }) => cmdline.some((arg) => arg.endsWith(script)) && !cmdline.some((arg) => arg.endsWith('bin/pmx.cjs')))
    .map(({ pid }) => pid);
}

function folder(name: string): string {
  const dir = join(pmx.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const gone = (dir: string): string => `its working directory ${dir} does not exist (ENOENT)`;

describe('the working directory of an app removed', () => {
  it('a fork app restarted: errored, and the restart exits 1 naming the folder, not the shell', async () => {
    const dir = folder('release-fork');
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'fork', '--cwd', dir]);
    rmSync(dir, { recursive: true });
    const restarted = await pmx.run(['restart', 'fork']);
    expect(restarted.code, restarted.stdout).toBe(1);
    expect(restarted.stderr).toContain(`[PMX][ERROR] fork (id 0): cannot start ${join(apps, 'forever.js')}: ${gone(dir)}`);
    expect(restarted.stderr).not.toContain('/bin/sh');
    expect(await status('fork')).toEqual([['errored', 0, `cannot start ${join(apps, 'forever.js')}: ${gone(dir)}`]]);
    expect(running('forever.js')).toEqual([]);
    // the folder back, the app starts again
    mkdirSync(dir);
    await pmx.ok(['restart', 'fork']);
    expect((await status('fork'))[0]![0]).toBe('online');
    await pmx.ok(['delete', 'fork']);
  });

  it('a cluster app restarted: each instance errored and the restart answered (it never ended), naming the folder; the agent threw nothing', async () => {
    const dir = folder('release-cluster');
    const port = await freePort();
    await pmx.ok(['start', join(apps, 'http.js'), '-n', 'cl', '-i', '2', '--cwd', dir], { env: { PORT: String(port) } });
    rmSync(dir, { recursive: true });
    const restarted = await pmx.run(['restart', 'cl'], { timeoutMs: 20_000 });
    expect(restarted.code, restarted.stdout).toBe(1);
    for (const id of [0, 1]) expect(restarted.stderr).toContain(`[PMX][ERROR] cl (id ${id}): cannot start ${join(apps, 'http.js')}: ${gone(dir)}`);
    const error = `cannot start ${join(apps, 'http.js')}: ${gone(dir)}`;
    expect(await status('cl')).toEqual([['errored', 0, error], ['errored', 0, error]]);
    expect(running('http.js')).toEqual([]);
    await expect(get(port)).rejects.toThrow();
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).not.toContain('uncaught exception');
    await pmx.ok(['delete', 'cl']);
  });

  it('a cluster app reloaded: the reload ends, naming the folder, and the workers it would have replaced serve on', async () => {
    const dir = folder('release-reload');
    const port = await freePort();
    await pmx.ok(['start', join(apps, 'http.js'), '-n', 'rl', '-i', '2', '--cwd', dir], { env: { PORT: String(port) } });
    const before = (await pmx.jlist()).filter((entry) => entry.name === 'rl').map((entry) => entry.pid);
    rmSync(dir, { recursive: true });
    const reloaded = await pmx.run(['reload', 'rl'], { timeoutMs: 20_000 });
    expect(reloaded.code).toBe(1);
    expect(reloaded.stderr).toContain(`reload of rl (id 0) aborted: cannot start ${join(apps, 'http.js')}: ${gone(dir)}; not reloaded, running as they were: rl (id 1)`);
    expect((await status('rl')).map(([state, pid]) => [state, pid])).toEqual(before.map((pid) => ['online', pid]));
    expect(before).toContain(JSON.parse((await get(port)).body).pid);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).not.toContain('uncaught exception');
    await pmx.ok(['delete', 'rl']);
  });

  it('a cluster worker that crashes while its folder is gone: errored with the reason, never `launching` without a process; pmx kill then ends', async () => {
    const dir = folder('release-crash');
    const port = await freePort();
    await pmx.ok(['start', join(apps, 'http.js'), '-n', 'crash', '-i', '1', '--cwd', dir], { env: { PORT: String(port) } });
    const before = (await pmx.proc('crash')).pid;
    rmSync(dir, { recursive: true });
    process.kill(before, 'SIGKILL');
    await eventually('the worker restarted and failed', async () => ((await status('crash'))[0]![0] === 'errored' ? true : null), 10_000);
    expect(await status('crash')).toEqual([['errored', 0, `cannot start ${join(apps, 'http.js')}: ${gone(dir)}`]]);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).not.toContain('uncaught exception');
    const agent = pmx.agentPid()!;
    const killed = await pmx.run(['kill'], { timeoutMs: 15_000 });
    expect(killed.code, killed.stderr).toBe(0);
    await eventually('the agent to end', () => !alive(agent));
  });

  it('pmx serve: the folder removed while serving answers 404, the server restarted says the folder is gone; the folder back, it serves again', async () => {
    const site = folder('site');
    writeFileSync(join(site, 'index.html'), 'first');
    const port = await freePort();
    await pmx.ok(['serve', site, String(port)]);
    const name = `static-page-server-${port}`;
    await eventually('the site served', () => get(port).then((res) => res.body === 'first', () => false));
    rmSync(site, { recursive: true });
    expect((await get(port)).status).toBe(404);
    const restarted = await pmx.run(['restart', name]);
    expect(restarted.code).toBe(1);
    expect(restarted.stderr).toContain(gone(site));
    expect((await status(name))[0]!.slice(0, 2)).toEqual(['errored', 0]);
    await expect(get(port)).rejects.toThrow();
    mkdirSync(site);
    writeFileSync(join(site, 'index.html'), 'second');
    await pmx.ok(['restart', name]);
    await eventually('the new folder served', () => get(port).then((res) => res.body === 'second', () => false));
    await pmx.ok(['kill']);
    expect(running('server.js')).toEqual([]);
  });
});
