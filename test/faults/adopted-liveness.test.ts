// An adopted app keeps what watched it: after its agent is killed with SIGKILL, the next agent
// hears its notify socket again (bound where the app still sends), reads its metrics again (a
// FIFO, as its output), and so restarts a watchdog app that falls silent and a Node app whose
// loop hangs, as the dead agent would have; the dead agent's socket file goes with the app.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually, type JlistEntry } from '../helpers/pmx.js';

const pmx = new PmxSandbox('pmx-adopted-liveness-');
afterAll(() => pmx.cleanup());

/** READY=1, then WATCHDOG=1 every 200 ms until the file SILENT exists. */
const PINGER = `import os, socket, time
def notify(message):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(message.encode(), os.environ['NOTIFY_SOCKET'])
    s.close()
notify('READY=1')
while True:
    if not os.path.exists(os.environ['SILENT']):
        notify('WATCHDOG=1')
    time.sleep(0.2)
`;

const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const entry = (list: JlistEntry[], name: string): JlistEntry => list.find((proc) => proc.name === name)!;
const events = (proc: JlistEntry): string[] => ((proc.pm2_env.pmx_events ?? []) as { event: string }[]).map((event) => event.event);

describe('an app adopted after its agent was killed', () => {
  it('keeps its watchdog and hang watch (fed again through its notify socket and metrics FIFO), and is restarted when silent or hung', async () => {
    const silent = join(pmx.dir, 'silent');
    writeFileSync(join(pmx.dir, 'pinger.py'), PINGER);
    writeFileSync(
      join(pmx.dir, 'liveness.config.js'),
      `module.exports = { apps: [
        { name: 'pinger', script: ${JSON.stringify(join(pmx.dir, 'pinger.py'))}, interpreter: 'python3', notify: true, watchdog: '2s', env: { SILENT: ${JSON.stringify(silent)} } },
        { name: 'blocker', script: ${JSON.stringify(join(FIXTURES, 'apps/blocks.js'))}, hang_timeout: '2s' },
      ] };\n`,
    );
    await pmx.ok(['start', join(pmx.dir, 'liveness.config.js')]);
    // both watched before the kill: the pinger said it is ready, the blocker's metrics come
    const before = await eventually('ready and sampled', async () => {
      const list = await pmx.jlist();
      const ready = (entry(list, 'pinger').pm2_env.pmx_notify as { state?: string } | undefined)?.state === 'ready';
      return ready && entry(list, 'blocker').pm2_env.axm_monitor['Heap Size'] !== undefined ? list : null;
    });
    const dead = pmx.agentPid()!;
    process.kill(dead, 'SIGKILL');
    await eventually('the agent to die', () => !alive(dead));

    // adopted as they were, and their metrics flow again (the dead agent's samples are gone with it)
    const adopted = await pmx.jlist();
    expect(['pinger', 'blocker'].map((name) => entry(adopted, name).pid)).toEqual(['pinger', 'blocker'].map((name) => entry(before, name).pid));
    expect((entry(adopted, 'pinger').pm2_env.pmx_notify as { state?: string } | undefined)?.state).toBe('ready');
    await eventually('the adopted blocker sampled again', async () => entry(await pmx.jlist(), 'blocker').pm2_env.axm_monitor['Heap Size'] !== undefined);

    // the pinger falls silent: its watchdog, armed again by the new agent, restarts it
    writeFileSync(silent, '');
    const pinger = await eventually('the silent pinger restarted', async () => {
      const proc = entry(await pmx.jlist(), 'pinger');
      return proc.pid !== entry(before, 'pinger').pid && proc.pid > 0 ? proc : null;
    }, 15_000);
    expect(events(pinger)).toContain('watchdog');
    expect(alive(entry(before, 'pinger').pid)).toBe(false);

    // the blocker's loop hangs: its hang watch, fed by the metrics FIFO, restarts it
    process.kill(entry(before, 'blocker').pid, 'SIGUSR2');
    const blocker = await eventually('the hung blocker restarted', async () => {
      const proc = entry(await pmx.jlist(), 'blocker');
      return proc.pid !== entry(before, 'blocker').pid && proc.pid > 0 ? proc : null;
    }, 15_000);
    expect(events(blocker)).toContain('hung');

    // the socket the dead agent made for the pinger went with the child that used it
    const sockets = readdirSync(join(pmx.home, 'notify'));
    expect(sockets.filter((name) => name.startsWith(`${dead}.`))).toEqual([]);
  }, 60_000);

  it('still starting when its agent was killed goes on starting: not ready until it says READY=1, its watchdog armed only then', async () => {
    const go = join(pmx.dir, 'go');
    // READY=1 once the file GO exists, then WATCHDOG=1 every 200 ms
    writeFileSync(
      join(pmx.dir, 'late.py'),
      `import os, socket, time
def notify(message):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(message.encode(), os.environ['NOTIFY_SOCKET'])
    s.close()
while not os.path.exists(os.environ['GO']):
    time.sleep(0.1)
notify('READY=1\\nSTATUS=serving')
while True:
    notify('WATCHDOG=1')
    time.sleep(0.2)
`,
    );
    writeFileSync(
      join(pmx.dir, 'late.config.js'),
      // the interpreter itself, not pyenv's shim: a shell script that runs for a second before python does
      `module.exports = { apps: [{ name: 'late', script: ${JSON.stringify(join(pmx.dir, 'late.py'))}, interpreter: ${JSON.stringify(PYTHON)}, notify: true, watchdog: '1s', listen_timeout: 60000, env: { GO: ${JSON.stringify(go)} } }] };\n`,
    );
    const starting = pmx.run(['start', join(pmx.dir, 'late.config.js')]);
    const launching = await eventually('late launching', async () => {
      const found = (await pmx.jlist()).find((proc) => proc.name === 'late');
      return found?.pm2_env.status === 'launching' && found.pid > 0 ? found : null;
    });
    const dead = pmx.agentPid()!;
    process.kill(dead, 'SIGKILL');
    await eventually('the agent to die', () => !alive(dead));
    await starting;
    const notice = (proc: JlistEntry): string | undefined => (proc.pm2_env.pmx_notify as { state?: string } | undefined)?.state;
    // three watchdog periods pass: nothing is restarted, nothing called ready
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const proc = entry(await pmx.jlist(), 'late');
      expect([proc.pid, proc.pm2_env.status, notice(proc), proc.pm2_env.restart_time], readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toEqual([launching.pid, 'launching', 'starting', 0]);
    }
    writeFileSync(go, '');
    const online = await eventually('late online', async () => {
      const proc = entry(await pmx.jlist(), 'late');
      return proc.pm2_env.status === 'online' ? proc : null;
    });
    expect([online.pid, notice(online), online.pm2_env.restart_time]).toEqual([launching.pid, 'ready', 0]);
    await pmx.ok(['delete', 'late']);
  }, 60_000);

  it('that had said STOPPING=1 stays stopping under the next agent, and is restarted when it does not exit in time', async () => {
    writeFileSync(
      join(pmx.dir, 'going.config.js'),
      `module.exports = { apps: [{ name: 'going', script: ${JSON.stringify(join(FIXTURES, 'apps/notify.py'))}, interpreter: ${JSON.stringify(PYTHON)}, notify: true, drain_timeout: '3s' }] };\n`,
    );
    await pmx.ok(['start', join(pmx.dir, 'going.config.js')]);
    const notice = (proc: JlistEntry): string | undefined => (proc.pm2_env.pmx_notify as { state?: string } | undefined)?.state;
    const ready = await eventually('going ready', async () => {
      const proc = entry(await pmx.jlist(), 'going');
      return notice(proc) === 'ready' ? proc : null;
    });
    // STOPPING=1, and it stays up (a shutdown that hangs)
    process.kill(ready.pid, 'SIGUSR1');
    await eventually('going stopping', async () => notice(entry(await pmx.jlist(), 'going')) === 'stopping');
    // the state file is written at most every so often: the kill comes once it says so
    await eventually('the stopping recorded', () => readFileSync(join(pmx.home, 'agent.state'), 'utf8').includes('"stopping":true'));
    const dead = pmx.agentPid()!;
    process.kill(dead, 'SIGKILL');
    await eventually('the agent to die', () => !alive(dead));
    const adopted = entry(await pmx.jlist(), 'going');
    expect([adopted.pid, notice(adopted)]).toEqual([ready.pid, 'stopping']);
    const restarted = await eventually('going restarted by its stop deadline', async () => {
      const proc = entry(await pmx.jlist(), 'going');
      return proc.pid !== ready.pid && proc.pid > 0 ? proc : null;
    }, 15_000);
    expect(events(restarted)).toContain('stopping');
    expect(alive(ready.pid)).toBe(false);
    await pmx.ok(['delete', 'going']);
  }, 60_000);

  it('whose child died while no agent ran: the next agent removes the notify socket the dead one made for it', async () => {
    writeFileSync(join(pmx.dir, 'pinger.py'), PINGER);
    writeFileSync(
      join(pmx.dir, 'lost.config.js'),
      `module.exports = { apps: [{ name: 'lost-pinger', script: ${JSON.stringify(join(pmx.dir, 'pinger.py'))}, interpreter: 'python3', notify: true, env: { SILENT: ${JSON.stringify(join(pmx.dir, 'never'))} } }] };\n`,
    );
    await pmx.ok(['start', join(pmx.dir, 'lost.config.js')]);
    const proc = await pmx.proc('lost-pinger');
    // the socket it was given, as its environment names it
    const socket = readFileSync(`/proc/${proc.pid}/environ`, 'utf8').split('\0').find((entry) => entry.startsWith('NOTIFY_SOCKET='))!.slice('NOTIFY_SOCKET='.length);
    expect(existsSync(socket)).toBe(true);
    const dead = pmx.agentPid()!;
    process.kill(dead, 'SIGKILL');
    await eventually('the agent to die', () => !alive(dead));
    process.kill(proc.pid, 'SIGKILL');
    await eventually('the app to die', () => !alive(proc.pid));
    await pmx.ok(['ls']);
    expect(existsSync(socket)).toBe(false);
    await pmx.ok(['delete', 'lost-pinger']);
  }, 60_000);
});
