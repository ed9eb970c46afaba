// The agent killed with SIGKILL (as the OOM killer does): the next agent knows what it ran from
// its state file, adopts the fork-mode apps that still run (same pid, same port, logs flowing),
// restarts the cluster workers that died with it once, tells the user, and leaves nothing
// running that its list does not show.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, ROOT, alive, eventually, type JlistEntry } from '../helpers/pmx.js';
import { freePort, get } from '../helpers/net.js';
import { agentsOf, liveProcesses, processesOfHome, treeOf } from '../helpers/home-processes.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-agent-killed-');
afterAll(() => pmx.cleanup());

/** The agent's own short-lived helpers: the lock taker, the pipe maker, the socket opener. */
const HELPERS = [/^flock$/, /^mkfifo$/, /listen-helper\.js$/];

/** Every process started with this home's PMX_HOME that is neither a listed app (or its descendant), the agent, nor its helpers. */
function untracked(list: JlistEntry[]): string[] {
  const agent = pmx.agentPid();
  // one snapshot for both: a short-lived child of an app (a shim's helper) read in one and gone by
  // the other would look untracked
  const snapshot = liveProcesses();
  const all = processesOfHome(pmx.home, snapshot);
  const known = new Set(list.flatMap((entry) => (entry.pid > 0 ? treeOf(entry.pid, snapshot) : [])));
  const helper = ({ ppid, cmdline }: { ppid: number; cmdline: string[] }): boolean => ppid === agent && cmdline.some((arg) => HELPERS.some((name) => name.test(arg)));
  // the CLIs of this test run node bin/pmx.cjs; they end with their command
  return all
    .filter((proc) => proc.pid !== agent && !known.has(proc.pid) && !helper(proc) && !proc.cmdline.some((arg) => arg.endsWith('bin/pmx.cjs')))
    .map(({ pid, cmdline }) => `${pid} ${cmdline.join(' ')}`);
}

function ticks(file: string): number {
  const numbers = [...readFileSync(file, 'utf8').matchAll(/^tick (\d+)$/gm)].map((match) => Number(match[1]));
  return numbers.length === 0 ? -1 : Math.max(...numbers);
}

async function killAgent(): Promise<number> {
  const agent = pmx.agentPid()!;
  process.kill(agent, 'SIGKILL');
  await eventually('the agent to die', () => !alive(agent));
  return agent;
}

describe('after the agent is killed with SIGKILL', () => {
  let forkPort = 0;
  let clusterPort = 0;
  let before: JlistEntry[] = [];

  it('the next command tells the user, and the new agent adopts every app: each listed once, online, under its supervision', async () => {
    [forkPort, clusterPort] = [await freePort(), await freePort()];
    await pmx.ok(['start', join(apps, 'http.js'), '-n', 'api'], { env: { PORT: String(forkPort) } });
    await pmx.ok(['start', join(apps, 'http.js'), '-n', 'web', '-i', '2'], { env: { PORT: String(clusterPort) } });
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'tick'], { env: { EVERY: '100' } });
    await pmx.ok(['save']);
    before = await pmx.jlist();
    const api = before.find((entry) => entry.name === 'api')!;
    expect(JSON.parse((await get(forkPort)).body).pid).toBe(api.pid);

    const dead = await killAgent();
    const ls = await pmx.run(['jlist']);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stderr).toContain(`The pmx agent (pid ${dead}) had died`);
    expect(ls.stderr).toMatch(/adopted, still running: api \(id 0, pid \d+\), tick \(id 3, pid \d+\)/);
    expect(ls.stderr).toContain('restarted once (cluster workers and socket-activated apps end with their agent): web (id 1), web (id 2)');
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toContain(`the agent (pid ${dead}) died; taken over from ${join(pmx.home, 'agent.state')}`);
    expect(agentsOf(pmx.home)).toEqual([pmx.agentPid()]);

    const after = await eventually('every app online', async () => {
      const list = await pmx.jlist();
      return list.every((entry) => entry.pm2_env.status === 'online' && entry.pid > 0) ? list : null;
    });
    expect(after.map((entry) => [entry.pm_id, entry.name])).toEqual(before.map((entry) => [entry.pm_id, entry.name]));
    const pid = (name: string, list: JlistEntry[]): number[] => list.filter((entry) => entry.name === name).map((entry) => entry.pid);
    // fork-mode apps adopted as they ran; cluster workers restarted once
    expect(pid('api', after)).toEqual(pid('api', before));
    expect(pid('tick', after)).toEqual(pid('tick', before));
    for (const entry of after) expect(entry.pm2_env.restart_time).toBe(entry.name === 'web' ? 1 : 0);
    for (const workerPid of pid('web', after)) expect(pid('web', before)).not.toContain(workerPid);
    expect(untracked(after)).toEqual([]);
    // each keeps the unique_id its children were given: a UUID of its own (it was the same for the same name and id on every host)
    expect(after.map((entry) => entry.pm2_env.unique_id)).toEqual(before.map((entry) => entry.pm2_env.unique_id));
    expect(new Set(after.map((entry) => entry.pm2_env.unique_id)).size).toBe(after.length);
  });

  it('the same ports answer: the adopted server never stopped, the cluster serves again', async () => {
    const api = await pmx.proc('api');
    expect(JSON.parse((await get(forkPort)).body).pid).toBe(api.pid);
    const web = (await pmx.jlist()).filter((entry) => entry.name === 'web').map((entry) => entry.pid);
    expect(web).toContain(JSON.parse((await get(clusterPort)).body).pid);
  });

  it("an adopted app's logs keep flowing into its log file, and its metrics pipe dying did not hurt it", async () => {
    const tick = await pmx.proc('tick');
    const log = tick.pm2_env.pm_out_log_path;
    const seen = ticks(log);
    // 15 more ticks of 100 ms: past the next whole second, when the metrics preload's write met its dead pipe
    await eventually('new ticks in the log', () => ticks(log) >= seen + 15);
    expect(alive(tick.pid)).toBe(true);
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // every tick once, in order: none lost while no agent read the pipe, none doubled
    expect(lines.map((line) => Number(line.split(' ')[1]))).toEqual(lines.map((_line, index) => index));
    expect(JSON.parse((await get(forkPort)).body).pid).toBe((await pmx.proc('api')).pid);
  });

  it('resurrect starts no duplicate of what was adopted', async () => {
    const out = await pmx.ok(['resurrect']);
    expect(out).toContain(`Resurrected 0 processes from ${join(pmx.home, 'dump.pmx')} (4 already running, not started again)`);
    const list = await pmx.jlist();
    expect(list.map((entry) => entry.name)).toEqual(['api', 'web', 'web', 'tick']);
    expect(untracked(list)).toEqual([]);
  });

  it('stop and delete end the adopted processes for real', async () => {
    const api = await pmx.proc('api');
    await pmx.ok(['stop', 'api']);
    expect(alive(api.pid)).toBe(false);
    expect((await pmx.proc('api')).pm2_env.status).toBe('stopped');
    await expect(get(forkPort)).rejects.toThrow();
    const running = (await pmx.jlist()).map((entry) => entry.pid).filter((pid) => pid > 0);
    await pmx.ok(['delete', 'all']);
    for (const pid of running) expect(alive(pid)).toBe(false);
    expect(await pmx.jlist()).toEqual([]);
    expect(untracked([])).toEqual([]);
  });

  it('a second crash is taken over the same way: the adopted app is adopted again', async () => {
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'again'], { env: { EVERY: '100' } });
    const first = (await pmx.proc('again')).pid;
    await killAgent();
    expect((await pmx.proc('again')).pid).toBe(first);
    await killAgent();
    const list = await pmx.jlist();
    expect(list.map((entry) => [entry.name, entry.pid, entry.pm2_env.status])).toEqual([['again', first, 'online']]);
    const log = list[0]!.pm2_env.pm_out_log_path;
    const seen = ticks(log);
    await eventually('new ticks after the second takeover', () => ticks(log) > seen + 3);
    await pmx.ok(['kill']);
    expect(alive(first)).toBe(false);
    expect(untracked([])).toEqual([]);
  });

  it('a stop answered is a stop recorded: killed right after the answer, the next agent keeps the app stopped', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'halted']);
    const before = (await pmx.proc('halted')).pid;
    await pmx.ok(['stop', 'halted']);
    // the state file says so as the caller reads the answer, not 50 ms later
    const recorded = JSON.parse(readFileSync(join(pmx.home, 'agent.state'), 'utf8')) as { processes: { spec: { name: string }; lifecycle: { status: string } }[] };
    expect(recorded.processes.filter((entry) => entry.spec.name === 'halted').map((entry) => entry.lifecycle.status)).toEqual(['stopped']);
    await killAgent();
    expect((await pmx.jlist()).filter((entry) => entry.name === 'halted').map((entry) => [entry.pm2_env.status, entry.pid])).toEqual([['stopped', 0]]);
    expect(alive(before)).toBe(false);
    await pmx.ok(['delete', 'halted']);
  });

  it('a wait_ready app still starting when the agent dies is adopted and lives on: its ready, sent on the closed channel, does not crash it', async () => {
    const app = join(pmx.dir, 'late-ready.js');
    writeFileSync(app, "setTimeout(() => { process.send('ready'); console.log('sent ready'); }, 1500); setInterval(() => {}, 1000);\n");
    const starting = pmx.run(['start', app, '-n', 'late-ready', '--wait-ready', '--listen-timeout', '30000']);
    const launching = await eventually('the app launching', async () => {
      const entry = (await pmx.jlist()).find((item) => item.name === 'late-ready');
      return entry && entry.pid > 0 ? entry : null;
    });
    await killAgent();
    await starting;
    await pmx.jlist(); // the next agent adopts it
    await eventually('the app sent its ready', () => readFileSync(launching.pm2_env.pm_out_log_path, 'utf8').includes('sent ready'));
    const after = await pmx.proc('late-ready');
    expect([after.pid, after.pm2_env.restart_time]).toEqual([launching.pid, 0]);
    expect(alive(launching.pid)).toBe(true);
    expect(readFileSync(launching.pm2_env.pm_err_log_path, 'utf8')).not.toContain('ERR_IPC_CHANNEL_CLOSED');
    await pmx.ok(['delete', 'late-ready']);
  });

  it('a restart held back (restart_delay) stays held back until it is due: the next agent does not restart it at once', async () => {
    await pmx.ok(['start', join(apps, 'finishes.js'), '-n', 'delayed', '--restart-delay', '60000']);
    const waiting = await eventually('the app waiting to restart', async () => {
      const entry = await pmx.proc('delayed');
      return entry.pm2_env.status === 'waiting restart' ? entry : null;
    });
    await killAgent();
    const after = await pmx.proc('delayed');
    expect([after.pm2_env.status, after.pid, after.pm2_env.restart_time]).toEqual(['waiting restart', 0, waiting.pm2_env.restart_time]);
    expect(after.pm2_env.pmx_restart_at).toBe(waiting.pm2_env.pmx_restart_at);
    await pmx.ok(['delete', 'delayed']);
  });

  it('a pid that another process took since is never mistaken for the app: that process is left alone, the app starts again', async () => {
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'reused'], { env: { EVERY: '100' } });
    const app = (await pmx.proc('reused')).pid;
    await killAgent();
    process.kill(app, 'SIGKILL');
    await eventually('the app to die', () => !alive(app));
    // a stranger now runs under the pid the state file names (its start time differs)
    const stranger = spawn('sleep', ['600'], { stdio: 'ignore' });
    const statePath = join(pmx.home, 'agent.state');
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    state.processes[0].child.pid = stranger.pid;
    writeFileSync(statePath, JSON.stringify(state));
    const ls = await pmx.run(['jlist']);
    expect(ls.stderr).toContain('had exited meanwhile, handled by their restart policy: reused (id 0)');
    const entry = await eventually('the app started again', async () => {
      const found = await pmx.proc('reused');
      return found.pm2_env.status === 'online' && found.pid > 0 ? found : null;
    });
    expect(entry.pid).not.toBe(stranger.pid);
    expect(entry.pm2_env.restart_time).toBe(1);
    await pmx.ok(['delete', 'all']);
    expect(alive(stranger.pid!)).toBe(true);
    stranger.kill('SIGKILL');
    await pmx.ok(['kill']);
  });

  it('an adopted app that asked for the shutdown message is stopped with SIGINT: its IPC channel died with its agent', async () => {
    const stopLog = join(pmx.dir, 'adopted-stop.log');
    const file = join(pmx.dir, 'graceful.config.js');
    writeFileSync(file, `module.exports = { apps: [{ name: 'graceful', script: ${JSON.stringify(join(apps, 'graceful.js'))}, shutdown_with_message: true, kill_timeout: 30000, env: { STOP_LOG: ${JSON.stringify(stopLog)} } }] };`);
    await pmx.ok(['start', file]);
    // its handlers are in place once it says so
    await eventually('graceful ready', async () => readFileSync((await pmx.proc('graceful')).pm2_env.pm_out_log_path, 'utf8').includes('graceful ready'));
    const app = (await pmx.proc('graceful')).pid;
    await killAgent();
    expect((await pmx.proc('graceful')).pid).toBe(app);
    await pmx.ok(['stop', 'graceful']);
    // stopped by the signal it handles, not by SIGKILL after the kill_timeout (which writes nothing)
    expect(readFileSync(stopLog, 'utf8')).toBe('SIGINT\n');
    expect(alive(app)).toBe(false);
    await pmx.ok(['kill']);
  });

  it('a socket-activated app is restarted once: its sockets are opened again, its instances answer on the same port', async () => {
    const port = await freePort();
    await pmx.ok(['start', join(ROOT, 'examples/socket-activation/server.py'), '-n', 'py', '-i', '2', '--listen', `127.0.0.1:${port}`]);
    const before = (await pmx.jlist()).map((entry) => entry.pid);
    await killAgent();
    // one instance dies too while no agent runs: the next agent finds it gone
    process.kill(before[0]!, 'SIGKILL');
    await eventually('the instance to die', () => !alive(before[0]!));
    const ls = await pmx.run(['jlist']);
    expect(ls.stderr).toContain('restarted once (cluster workers and socket-activated apps end with their agent): py (id 1)');
    // while they wait for their sockets they are on their way back, not stopped by someone (a script polling jlist reads that)
    const taking = (JSON.parse(ls.stdout) as JlistEntry[]).map((entry) => entry.pm2_env.status);
    expect(taking).toHaveLength(2);
    for (const status of taking) expect(['stopping', 'launching', 'online']).toContain(status);
    const after = await eventually('both instances online again', async () => {
      const list = await pmx.jlist();
      return list.length === 2 && list.every((entry) => entry.pm2_env.status === 'online' && entry.pid > 0) ? list : null;
    });
    for (const entry of after) expect(before).not.toContain(entry.pid);
    for (const pid of before) expect(alive(pid)).toBe(false);
    const answered = await eventually('an instance to answer on the port', async () => JSON.parse((await get(port)).body) as { pid: number });
    expect(after.map((entry) => entry.pid)).toContain(answered.pid);
    expect(untracked(after)).toEqual([]);
    await pmx.ok(['kill']);
  });

  it('pmx kill as the first command after the agent was killed stops what it left running, and a second kill finds nothing', async () => {
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'orphan'], { env: { EVERY: '100' } });
    const orphan = (await pmx.proc('orphan')).pid;
    await killAgent();
    expect(alive(orphan)).toBe(true);
    const killed = await pmx.run(['kill']);
    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stdout).toContain('Stopped 1 process and the agent');
    expect(alive(orphan)).toBe(false);
    expect(processesOfHome(pmx.home, liveProcesses())).toEqual([]);
    const again = await pmx.run(['kill']);
    expect([again.code, again.stdout]).toEqual([0, '[PMX] No agent is running\n']);
  });

  it('pmx kill finds what a killed agent left by its state file when its pid file was removed too (a cleanup of *.pid files)', async () => {
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'orphan2'], { env: { EVERY: '100' } });
    const orphan = (await pmx.proc('orphan2')).pid;
    await killAgent();
    rmSync(join(pmx.home, 'agent.pid'));
    const killed = await pmx.run(['kill']);
    expect([killed.code, killed.stdout]).toEqual([0, '[PMX] Stopped 1 process and the agent\n']);
    expect(alive(orphan)).toBe(false);
  });

  it('a restart that comes while a socket-activated app waits for its sockets runs once they are open: the app serves on them', async () => {
    // a server on fd 3 that takes 2 s to stop: the window in which its sockets are not open again yet
    const slow = join(pmx.dir, 'slow-stop.py');
    writeFileSync(
      slow,
      `import os, signal, sys, time
if not os.environ.get('LISTEN_FDS'):
    print('no socket', flush=True)
    sys.exit(5)
signal.signal(signal.SIGINT, lambda *_: (time.sleep(2), sys.exit(0)))
sys.path.insert(0, ${JSON.stringify(apps)})
from fd3_http import serve
serve()
`,
    );
    const port = await freePort();
    await pmx.ok(['start', slow, '-n', 'slowsock', '--interpreter', 'python3', '--listen', `127.0.0.1:${port}`, '--kill-timeout', '8000']);
    const before = (await pmx.proc('slowsock')).pid;
    await killAgent();
    // the takeover (its old instance now stopping for 2 s), then a restart asked in that window
    const taken = await pmx.run(['jlist']);
    expect((JSON.parse(taken.stdout) as JlistEntry[])[0]!.pm2_env.status).toBe('stopping');
    const restarted = await pmx.run(['restart', 'slowsock']);
    expect(restarted.code, restarted.stderr).toBe(0);
    const after = await eventually('slowsock online on its sockets', async () => {
      const entry = await pmx.proc('slowsock');
      return entry.pm2_env.status === 'online' && entry.pid > 0 && entry.pid !== before ? entry : null;
    });
    expect(JSON.parse((await get(port)).body).pid).toBe(after.pid);
    expect(readFileSync(after.pm2_env.pm_out_log_path, 'utf8')).not.toContain('no socket');
    expect(alive(before)).toBe(false);
    expect(untracked(await pmx.jlist())).toEqual([]);
    await pmx.ok(['kill']);
  });

  it('a stop that comes while a socket-activated app waits for its sockets holds: the recovery does not start it again', async () => {
    const port = await freePort();
    await pmx.ok(['start', join(ROOT, 'examples/socket-activation/server.py'), '-n', 'held', '--listen', `127.0.0.1:${port}`]);
    const before = (await pmx.proc('held')).pid;
    await killAgent();
    // the takeover and the stop in one command: the stop is asked before the sockets are open again
    await pmx.ok(['stop', 'held']);
    await eventually('the sockets open again', () => readFileSync(join(pmx.home, 'agent.log'), 'utf8').includes(`held: sockets 127.0.0.1:${port} open again`));
    const list = await pmx.jlist();
    expect(list.map((entry) => [entry.name, entry.pm2_env.status, entry.pid])).toEqual([['held', 'stopped', 0]]);
    expect(alive(before)).toBe(false);
    expect(untracked(list)).toEqual([]);
    await pmx.ok(['kill']);
  });
});
