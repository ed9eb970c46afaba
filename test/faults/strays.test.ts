// After the agent is killed, the next one stops what writes into the home's output FIFOs without
// being one of the dead agent's recorded processes (a stray), before it starts anything; it finds
// them through a home reached by a symlink, and it never touches a recorded app whose FIFOs were
// removed by hand, nor a process whose output goes to another file under the pipes directory.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-strays-');
const real = join(pmx.dir, 'real-home');
mkdirSync(real, { mode: 0o700 });
symlinkSync(real, pmx.home);
const others: ChildProcess[] = [];
afterAll(async () => {
  for (const child of others) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await pmx.cleanup();
});

/** The FIFOs (as the agent names them) that `pid`'s stdout and stderr go to. */
function fifosOf(pid: number): string[] {
  return [1, 2].map((fd) => join(pmx.home, 'pipes', readlinkSync(`/proc/${pid}/fd/${fd}`).split('/').pop()!));
}

/** Every FIFO of the home that `pid` holds open: its stdout and stderr, and a Node app's metrics pipe. */
function heldFifos(pid: number): string[] {
  const links = readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '';
    }
  });
  return links.filter((link) => link.startsWith(real) && link.includes('/pipes/')).map((link) => join(pmx.home, 'pipes', link.split('/').pop()!));
}

/** `sleep 60` with its stdout on `path` (opened read-write: a FIFO then needs no reader). */
function sleeper(path: string): ChildProcess {
  const fd = openSync(path, 'r+');
  const child = spawn('sleep', ['60'], { stdio: ['ignore', fd, 'ignore'], detached: true });
  closeSync(fd);
  others.push(child);
  return child;
}

describe('strays after the agent is killed', () => {
  it('are stopped and named; the recorded apps are adopted, even one whose FIFOs were removed; other files are left alone', async () => {
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'tick'], { env: { EVERY: '200' } });
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'tock'], { env: { EVERY: '200' } });
    const [tick, tock] = [await pmx.proc('tick'), await pmx.proc('tock')];
    const pipes = join(pmx.home, 'pipes');
    const used = new Set([...heldFifos(tick.pid), ...heldFifos(tock.pid)]);
    const free = readdirSync(pipes).map((name) => join(pipes, name)).find((path) => /\/\d+$/.test(path) && !used.has(path))!;
    // a stray on a free FIFO; a process writing to a file of its own under pipes/; tock's FIFOs removed by hand
    const stray = sleeper(free);
    mkdirSync(join(pipes, 'nested'));
    writeFileSync(join(pipes, 'nested', 'out.log'), '');
    const bystander = sleeper(join(pipes, 'nested', 'out.log'));
    for (const fifo of fifosOf(tock.pid)) rmSync(fifo);

    const agent = pmx.agentPid()!;
    process.kill(agent, 'SIGKILL');
    await eventually('the agent to die', () => !alive(agent));
    const taken = await pmx.run(['jlist']);
    expect(taken.code, taken.stderr).toBe(0);
    expect(taken.stderr).toContain(`stopped, running but not among the processes it recorded`);
    // the stray is named by its pid (a process pmx did not start has no pm_id: '?')
    expect(taken.stderr).toContain(`? (id -1, pid ${stray.pid})`);
    expect(taken.stderr).toContain(`adopted, still running: tick (id 0, pid ${tick.pid})`);
    // tock's output cannot be read again without its FIFOs: restarted once, as the agent does for such an app, never stopped as a stray
    expect(taken.stderr).toContain('restarted once (cluster workers and socket-activated apps end with their agent): tock (id 1)');
    expect(taken.stderr).not.toContain(`pid ${tock.pid})`);
    await eventually('the stray to end', () => !alive(stray.pid!));
    expect(alive(bystander.pid!)).toBe(true);
    const after = await eventually('tock online again', async () => {
      const list = await pmx.jlist();
      return list.every((entry) => entry.pm2_env.status === 'online' && entry.pid > 0) ? list : null;
    });
    expect(after.map((entry) => entry.name)).toEqual(['tick', 'tock']);
    expect(after[0]!.pid).toBe(tick.pid);
  });
});
