// The agent's socket file deleted while the agent runs (a cleanup of /tmp, a stray rm): the agent
// makes it again, the CLI finds the live agent through the home's lock rather than starting a
// rival, and `pmx kill` stops it whatever state its socket is in.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PMX_BIN, PmxSandbox, alive } from '../helpers/pmx.js';
import { agentsOf, lockHoldersOf, processesOfHome } from '../helpers/home-processes.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-socket-deleted-');
const socket = join(pmx.home, 'agent.sock');
const stopped = new Set<number>();
afterEach(() => {
  for (const pid of stopped) if (alive(pid)) process.kill(pid, 'SIGCONT');
  stopped.clear();
});
afterAll(() => pmx.cleanup());

/** Runs `pmx kill` and resolves with its output; `onStderr` sees its stderr as it comes. */
function runKill(onStderr: (text: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [PMX_BIN, 'kill'], { env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => onStderr((stderr += chunk.toString())));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function startHung(): Promise<{ agent: number; app: number }> {
  await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'kept']);
  const agent = pmx.agentPid()!;
  const app = (await pmx.proc('kept')).pid;
  process.kill(agent, 'SIGSTOP');
  stopped.add(agent);
  rmSync(socket);
  return { agent, app };
}

function nothingLeft(agent: number, app: number): void {
  expect(alive(agent)).toBe(false);
  expect(alive(app)).toBe(false);
  expect(lockHoldersOf(pmx.home)).toEqual([]);
  expect(existsSync(socket)).toBe(false);
  expect(processesOfHome(pmx.home).filter(({ cmdline }) => !cmdline.some((arg) => arg.endsWith('bin/pmx.cjs')))).toEqual([]);
}

describe('the socket file deleted while the agent runs', () => {
  it('the agent makes it again, and ls is answered by the same agent with its processes', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'kept']);
    const agent = pmx.agentPid()!;
    rmSync(socket);
    const list = await pmx.jlist();
    expect(list.map((entry) => [entry.name, entry.pm2_env.status])).toEqual([['kept', 'online']]);
    expect(agentsOf(pmx.home)).toEqual([agent]);
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toContain(`the socket ${socket} was removed: listening on it again`);
    await pmx.ok(['kill']);
  });

  it('a hung agent whose socket is gone: ls names it and its pid instead of starting a rival, and kill stops it through its lock', async () => {
    const { agent, app } = await startHung();
    const ls = await pmx.run(['ls'], { timeoutMs: 30_000 });
    expect(ls.code).toBe(1);
    expect(ls.stderr).toContain(`an agent runs in ${pmx.home} (pid ${agent}) but its socket ${socket} does not answer`);
    expect(ls.stderr).toContain("'pmx kill' stops it");
    expect(lockHoldersOf(pmx.home)).toEqual([agent]);
    expect(agentsOf(pmx.home)).toEqual([agent]);
    // the agent comes back to life once kill has sent its SIGTERM: it stops its processes and exits
    const killed = await runKill((stderr) => {
      if (stderr.includes('sending it SIGTERM')) process.kill(agent, 'SIGCONT');
    });
    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stderr).toContain(`The agent (pid ${agent}) does not answer on ${socket}: sending it SIGTERM`);
    expect(killed.stdout).toContain(`Stopped the agent (pid ${agent}) and its processes`);
    nothingLeft(agent, app);
  });

  it('kill stops an agent that stays hung: it is killed, and a new agent takes its processes over and stops them, restarting none', async () => {
    // cluster workers die with the killed agent: the agent that only stops does not start them again first
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'workers', '-i', '2']);
    const workers = (await pmx.jlist()).filter((entry) => entry.name === 'workers').map((entry) => entry.pid);
    const { agent, app } = await startHung();
    const killed = await runKill(() => undefined);
    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stderr).toContain(`The agent (pid ${agent}) did not end within 15 s: killing it; a new agent takes its processes over and stops them`);
    expect(killed.stderr).toMatch(/adopted, still running: kept \(id 2, pid \d+\)/);
    expect(killed.stderr).not.toContain('restarted');
    expect(killed.stdout).toContain('Stopped 3 processes and the agent');
    for (const pid of workers) expect(alive(pid)).toBe(false);
    nothingLeft(agent, app);
  });
});
