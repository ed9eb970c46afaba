// A full disk under the agent's home: the state file cannot be written, so an app started now would
// be unknown to an agent started after this one died (unseen, holding its port, surviving `pmx
// kill`). pmx keeps it from running, says why, and leaves nothing untracked; the apps the state
// file already named run on and are taken over as usual.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';
import { freePort, get } from '../helpers/net.js';
import { processesOfHome } from '../helpers/home-processes.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-state-full-');
const filler = join(pmx.home, 'filler');

beforeAll(() => {
  mkdirSync(pmx.home);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', pmx.home], { encoding: 'utf8' });
  if (mounted.status !== 0) throw new Error(`mount: ${mounted.stderr}`);
});
afterAll(async () => {
  await pmx.run(['kill'], { timeoutMs: 15_000 }).catch(() => undefined);
  spawnSync('umount', ['-l', pmx.home]);
  await pmx.cleanup();
});

/** Fills the disk until a write fails. */
function fill(): void {
  const fd = openSync(filler, 'w');
  try {
    for (;;) writeSync(fd, Buffer.alloc(4096, 'f'));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    closeSync(fd);
  }
}

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

  it('after the agent is killed, the next one knows every process that runs; nothing runs unseen; a start works again once space is free', async () => {
    const api = await pmx.proc('api');
    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    await eventually('the agent to die', () => !alive(agent));
    rmSync(filler);

    const list = await pmx.jlist();
    expect(list.map((entry) => [entry.name, entry.pid])).toEqual([['api', api.pid]]);
    expect(running('http-plain.js')).toEqual([]);
    await pmx.ok(['start', join(apps, 'http-plain.js'), '-n', 'newapp'], { env: { PORT: String(newPort) } });
    await eventually('newapp answers', () => get(newPort).then(() => true, () => false));
    await pmx.ok(['kill']);
    expect(running('http.js')).toEqual([]);
    expect(running('http-plain.js')).toEqual([]);
  });
});
