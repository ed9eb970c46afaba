// systemd's notify protocol for apps in any language: an app with `notify` (or `wait_ready` when
// it is not a Node app) gets NOTIFY_SOCKET, a socket of its own; READY=1 is its 'ready' message
// (start and reload wait for it, within listen_timeout), STATUS= shows in describe and jlist,
// `watchdog` exports WATCHDOG_USEC and restarts an app that stops pinging, STOPPING=1 ends the watch,
// MAINPID= hands the role of main process to another process of the app (and only of the app).
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually, type JlistEntry } from '../../helpers/pmx.js';
import { freePort, get } from '../../helpers/net.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-ntf-');
afterAll(() => pmx.cleanup());

interface Notice {
  state: string;
  status: string | null;
}
interface Event {
  event: string;
  at: number;
  reason?: string;
}
/**
 * The python3 executable itself: the python3 on PATH may be a shim (pyenv's is a shell script that
 * takes seconds to start on a loaded machine). Waits for a start still allow a slow machine this long.
 */
const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const STARTUP_MS = 25_000;
const SLOW = { timeout: 60_000 };

const notice = (entry: JlistEntry): Notice | undefined => entry.pm2_env.pmx_notify as Notice | undefined;
const events = (entry: JlistEntry): Event[] => (entry.pm2_env.pmx_events as Event[] | undefined) ?? [];

function ecosystem(name: string, apps: object[]): string {
  const file = join(pmx.dir, `${name}.config.js`);
  writeFileSync(file, `module.exports = ${JSON.stringify({ apps })};\n`);
  return file;
}

/** The lines `<what> <pid> <ms>` the fixture appended to its events log. */
function noted(log: string, what: string): { pid: number; at: number }[] {
  const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
  return [...text.matchAll(new RegExp(`^${what} (\\d+) (\\d+)$`, 'gm'))].map((m) => ({ pid: Number(m[1]), at: Number(m[2]) }));
}

/** What the app printed first: its NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. */
async function printedEnv(entry: JlistEntry): Promise<{ socket: string; usec: string; pid: string }> {
  const line = await eventually('the app to print its environment', () => /^socket (\S+) watchdog (\S+) pid (\S+)$/m.exec(readFileSync(entry.pm2_env.pm_out_log_path, 'utf8')), STARTUP_MS);
  return { socket: line[1]!, usec: line[2]!, pid: line[3]! };
}

describe('notify', SLOW, () => {
  it('keeps a Python app with wait_ready launching until it sends READY=1, then shows its STATUS=', async () => {
    const log = join(pmx.dir, 'ready.events');
    const file = ecosystem('ready', [{ name: 'py-ready', script: join(apps, 'notify.py'), interpreter: PYTHON, wait_ready: true, listen_timeout: 10_000, env: { READY_AFTER_MS: '1500', STATUS: 'Serving 3 queues', EVENTS_LOG: log } }]);
    await pmx.ok(['start', file]);
    // a list taken before the app wrote that it sent READY=1 must show it launching
    const early = await pmx.proc('py-ready');
    if (noted(log, 'ready').length === 0) expect(early.pm2_env.status).toBe('launching');
    const online = await eventually('py-ready online', async () => {
      const entry = await pmx.proc('py-ready');
      return entry.pm2_env.status === 'online' ? entry : null;
    }, STARTUP_MS);
    const [ready] = noted(log, 'ready');
    expect(ready?.pid).toBe(online.pid);
    expect(online.pm2_env.pm_uptime).toBeLessThan(ready!.at);
    expect(notice(online)).toEqual({ state: 'ready', status: 'Serving 3 queues' });
    expect(online.pm2_env.notify).toBe(true);
    const described = await pmx.ok(['describe', 'py-ready']);
    expect(described).toMatch(/notify +│ ready: Serving 3 queues/);
    await pmx.ok(['delete', 'py-ready']);
  });

  it('gives each child a 0600 socket in a private directory, removed once the app is deleted', async () => {
    const file = ecosystem('socket', [{ name: 'py-sock', script: join(apps, 'notify.py'), interpreter: PYTHON, notify: true }]);
    await pmx.ok(['start', file]);
    const entry = await eventually('py-sock online', async () => {
      const found = await pmx.proc('py-sock');
      return found.pm2_env.status === 'online' ? found : null;
    }, STARTUP_MS);
    const { socket } = await printedEnv(entry);
    expect(dirname(socket)).toBe(join(pmx.home, 'notify'));
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(socket)).mode & 0o777).toBe(0o700);
    await pmx.ok(['delete', 'py-sock']);
    expect(existsSync(socket)).toBe(false);
  });

  it('understands a shell app using systemd-notify --ready --status', async () => {
    const file = ecosystem('shell', [{ name: 'sh-ready', script: join(apps, 'notify.sh'), interpreter: 'none', notify: true, env: { STATUS: 'warming done' } }]);
    await pmx.ok(['start', file]);
    const online = await eventually('sh-ready online', async () => {
      const entry = await pmx.proc('sh-ready');
      return entry.pm2_env.status === 'online' ? entry : null;
    }, STARTUP_MS);
    expect(notice(online)).toEqual({ state: 'ready', status: 'warming done' });
    // systemd-notify waits for its barrier: it returned, so the app went on to exec sleep
    expect(readFileSync(`/proc/${online.pid}/cmdline`, 'utf8').split('\0')[0]).toBe('sleep');
    await pmx.ok(['delete', 'sh-ready']);
  });

  it('marks an app online after listen_timeout when READY=1 never comes, as PM2 does for wait_ready', async () => {
    const file = ecosystem('never', [{ name: 'py-never', script: join(apps, 'notify.py'), interpreter: PYTHON, notify: true, listen_timeout: 1200, env: { READY_AFTER_MS: 'never' } }]);
    const started = Date.now();
    await pmx.ok(['start', file]);
    const online = await eventually('py-never online', async () => {
      const entry = await pmx.proc('py-never');
      return entry.pm2_env.status === 'online' ? entry : null;
    }, STARTUP_MS);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    expect(online.pm2_env.restart_time).toBe(0);
    expect(notice(online)).toEqual({ state: 'starting', status: null });
    await pmx.ok(['delete', 'py-never']);
  });
});

describe('watchdog', SLOW, () => {
  it("gives a restarted app its socket's number back, so that the path does not grow with each restart (a long PMX_HOME passed 107 bytes at the 10th)", async () => {
    const file = ecosystem('slots', [{ name: 'py-slots', script: join(apps, 'notify.py'), interpreter: PYTHON, notify: true }]);
    await pmx.ok(['start', file]);
    const sockets = async (count: number): Promise<string[]> => {
      const { pm_out_log_path: log } = (await pmx.proc('py-slots')).pm2_env;
      return eventually(`${count} launches printed`, () => {
        const found = [...readFileSync(log, 'utf8').matchAll(/^socket (\S+) /gm)].map((match) => match[1]!);
        return found.length >= count ? found : null;
      }, STARTUP_MS);
    };
    await sockets(1);
    for (let restarts = 1; restarts <= 3; restarts++) {
      await pmx.ok(['restart', 'py-slots']);
      await sockets(restarts + 1);
    }
    const paths = await sockets(4);
    expect(new Set(paths).size).toBe(1);
    await pmx.ok(['delete', 'py-slots']);
  });

  it('exports WATCHDOG_USEC as a whole number of microseconds, which sd_watchdog_enabled() and int() parse', async () => {
    const file = ecosystem('usec', [{ name: 'py-usec', script: join(apps, 'notify.py'), interpreter: PYTHON, notify: true, watchdog: 2000.0004 }]);
    await pmx.ok(['start', file]);
    expect((await printedEnv(await pmx.proc('py-usec'))).usec).toBe('2000000');
    await pmx.ok(['delete', 'py-usec']);
  });

  it('exports WATCHDOG_USEC and WATCHDOG_PID, and restarts an app that stops pinging within watchdog + 1 s', async () => {
    const log = join(pmx.dir, 'dog.events');
    const file = ecosystem('dog', [{ name: 'py-dog', script: join(apps, 'notify.py'), interpreter: PYTHON, notify: true, watchdog: '1s', kill_timeout: 500, env: { PINGS: '6', EVENTS_LOG: log } }]);
    await pmx.ok(['start', file]);
    const before = await pmx.proc('py-dog');
    const printed = await printedEnv(before);
    expect(printed.usec).toBe('1000000');
    expect(printed.pid).toBe(String(before.pid));
    const after = await eventually('a new child', async () => {
      const entry = await pmx.proc('py-dog');
      return entry.pid !== before.pid && entry.pid > 0 && entry.pm2_env.status === 'online' ? entry : null;
    }, STARTUP_MS);
    const [silent] = noted(log, 'silent').filter((line) => line.pid === before.pid);
    const [missed] = events(after);
    expect(missed?.event).toBe('watchdog');
    expect(missed!.reason).toMatch(/^no WATCHDOG=1 for \d+ ms \(watchdog 1000 ms\)$/);
    // a correctness bound, not a timing target (bench/health-probes.mjs measures that)
    expect(missed!.at - silent!.at).toBeGreaterThanOrEqual(1000);
    expect(missed!.at - silent!.at).toBeLessThanOrEqual(1000 + 1000);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toMatch(/py-dog \(id \d+\): watchdog: no WATCHDOG=1 for \d+ ms \(watchdog 1000 ms\): restarting/);
    expect(await pmx.ok(['describe', 'py-dog'])).toMatch(/watchdog restart +│ at \S+: watchdog missed: no WATCHDOG=1/);
    await pmx.ok(['delete', 'py-dog']);
  });

  it('restarts an app that never pings nor says READY=1, counting from its start-up (its launch without notify), as systemd does', async () => {
    const file = ecosystem('mute', [{ name: 'py-mute', script: join(apps, 'notify.py'), interpreter: PYTHON, watchdog: '1s', kill_timeout: 500, env: { PINGS: '0', READY_AFTER_MS: 'never' } }]);
    await pmx.ok(['start', file]);
    const before = await pmx.proc('py-mute');
    const after = await eventually('a new child', async () => {
      const entry = await pmx.proc('py-mute');
      return entry.pid !== before.pid && entry.pid > 0 ? entry : null;
    }, STARTUP_MS);
    expect(events(after)[0]?.event).toBe('watchdog');
    expect(events(after)[0]!.reason).toMatch(/^no WATCHDOG=1 for \d+ ms \(watchdog 1000 ms\)$/);
    await pmx.ok(['delete', 'py-mute']);
  });

  it('does not restart an app that said STOPPING=1 for the pings it no longer sends', async () => {
    const log = join(pmx.dir, 'stopping.events');
    const file = ecosystem('stopping', [{ name: 'py-stopping', script: join(apps, 'notify.py'), interpreter: PYTHON, notify: true, watchdog: '1s', env: { EVENTS_LOG: log } }]);
    await pmx.ok(['start', file]);
    // READY=1 comes once its handlers are in place (without wait_ready, online comes sooner)
    const before = await eventually('py-stopping ready', async () => {
      const entry = await pmx.proc('py-stopping');
      return notice(entry)?.state === 'ready' ? entry : null;
    }, STARTUP_MS);
    process.kill(before.pid, 'SIGUSR1');
    const stopping = await eventually('STOPPING=1 sent', () => noted(log, 'stopping')[0]);
    const shown = await eventually('the stopping state shown', async () => {
      const entry = await pmx.proc('py-stopping');
      return notice(entry)?.state === 'stopping' ? entry : null;
    });
    expect(notice(shown)?.status).toBe('finishing jobs');
    // twice the watchdog since the last ping it could have sent
    await eventually('two watchdog periods to pass', () => Date.now() > stopping.at + 2000, 5000);
    const after = await pmx.proc('py-stopping');
    expect(after.pid).toBe(before.pid);
    expect(after.pm2_env.restart_time).toBe(0);
    expect(events(after)).toEqual([]);
    await pmx.ok(['delete', 'py-stopping']);
  });
});

describe('STOPPING=1', SLOW, () => {
  it('is final for the process: RELOADING=1 and READY=1 after it leave it stopping, as systemd stays deactivating', async () => {
    const script = join(pmx.dir, 'turns.py');
    writeFileSync(
      script,
      `import os, socket, time
def notify(message):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.sendto(message.encode(), os.environ['NOTIFY_SOCKET'])
    s.close()
notify('READY=1')
notify('STOPPING=1')
notify('RELOADING=1')
notify('READY=1\\nSTATUS=back')
while True:
    time.sleep(1)
`,
    );
    const file = ecosystem('turns', [{ name: 'py-turns', script, interpreter: PYTHON, notify: true }]);
    await pmx.ok(['start', file]);
    const entry = await eventually('the last STATUS= heard', async () => {
      const found = await pmx.proc('py-turns');
      return notice(found)?.status === 'back' ? found : null;
    }, STARTUP_MS);
    expect(notice(entry)?.state).toBe('stopping');
    await pmx.ok(['delete', 'py-turns']);
  });

  it('an app that said STOPPING=1 and has not exited drain_timeout later is restarted, as systemd stops it at its stop timeout', async () => {
    const log = join(pmx.dir, 'overdue.events');
    const file = ecosystem('overdue', [{ name: 'py-overdue', script: join(apps, 'notify.py'), interpreter: PYTHON, notify: true, drain_timeout: '3s', env: { EVENTS_LOG: log } }]);
    await pmx.ok(['start', file]);
    const before = await eventually('py-overdue ready', async () => {
      const entry = await pmx.proc('py-overdue');
      return notice(entry)?.state === 'ready' ? entry : null;
    }, STARTUP_MS);
    // STOPPING=1, then it stays up
    process.kill(before.pid, 'SIGUSR1');
    const stopping = await eventually('STOPPING=1 sent', () => noted(log, 'stopping')[0]);
    const after = await eventually('py-overdue restarted', async () => {
      const entry = await pmx.proc('py-overdue');
      return entry.pid !== before.pid && entry.pid > 0 ? entry : null;
    }, STARTUP_MS);
    expect(alive(before.pid)).toBe(false);
    expect(after.pm2_env.restart_time).toBe(1);
    const [event] = events(after);
    expect(event!.event).toBe('stopping');
    expect(event!.reason).toBe('it said STOPPING=1 3000 ms ago and has not exited (drain_timeout)');
    expect(event!.at - stopping.at).toBeGreaterThanOrEqual(2900);
    await pmx.ok(['delete', 'py-overdue']);
  });
});

describe('MAINPID=', SLOW, () => {
  it('follows a forked process the app names as its main one: its pid shown, its exit a restart', async () => {
    const file = ecosystem('fork', [{ name: 'sh-fork', script: join(apps, 'notify-fork.sh'), interpreter: 'none', notify: true }]);
    await pmx.ok(['start', file]);
    const started = await eventually('sh-fork online', async () => {
      const entry = await pmx.proc('sh-fork');
      return entry.pm2_env.status === 'online' ? entry : null;
    }, STARTUP_MS);
    const main = Number(await eventually('the forked pid', () => /^main (\d+)$/m.exec(readFileSync(started.pm2_env.pm_out_log_path, 'utf8'))?.[1]));
    // the shell that started it has exited: the process stays online, served by its main process
    const handedOver = await eventually('the main pid shown', async () => {
      const entry = await pmx.proc('sh-fork');
      return entry.pid === main ? entry : null;
    });
    expect(handedOver.pm2_env.status).toBe('online');
    expect(handedOver.pm2_env.restart_time).toBe(0);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toMatch(new RegExp(`sh-fork \\(id \\d+\\): MAINPID=${main}: its main process is now pid ${main} \\(was \\d+\\)`));
    process.kill(main, 'SIGKILL');
    const restarted = await eventually('sh-fork restarted', async () => {
      const entry = await pmx.proc('sh-fork');
      return entry.pm2_env.restart_time === 1 && entry.pm2_env.status === 'online' && entry.pid !== main ? entry : null;
    }, STARTUP_MS);
    expect(alive(main)).toBe(false);
    await pmx.ok(['delete', 'sh-fork']);
    expect(alive(restarted.pid)).toBe(false);
  });

  it("an exec health check probes the process named: its $PMX_PID follows the main pid, so the daemon stays healthy", async () => {
    const probed = join(pmx.dir, 'probed.pids');
    const health = { exec: `echo $PMX_PID >> ${probed} && kill -0 $PMX_PID`, interval: 300, timeout: 1000, failures: 2 };
    const file = ecosystem('fork-probed', [{ name: 'sh-probed', script: join(apps, 'notify-fork.sh'), interpreter: 'none', notify: true, health }]);
    await pmx.ok(['start', file]);
    const started = await eventually('sh-probed online', async () => {
      const entry = await pmx.proc('sh-probed');
      return entry.pm2_env.status === 'online' ? entry : null;
    }, STARTUP_MS);
    const main = Number(await eventually('the forked pid', () => /^main (\d+)$/m.exec(readFileSync(started.pm2_env.pm_out_log_path, 'utf8'))?.[1]));
    // probes after the hand-over check the main process (the shell that named it has exited)
    const pids = (): string[] => (existsSync(probed) ? readFileSync(probed, 'utf8').trim().split('\n') : []);
    await eventually('a probe of the main pid', () => pids().includes(String(main)));
    const seen = pids().length;
    await eventually('two more probes', () => pids().length >= seen + 2);
    expect(pids().slice(seen)).toEqual(pids().slice(seen).map(() => String(main)));
    const entry = await pmx.proc('sh-probed');
    expect([entry.pid, entry.pm2_env.restart_time, (entry.pm2_env.health as { status: string }).status]).toEqual([main, 0, 'healthy']);
    await pmx.ok(['delete', 'sh-probed']);
    expect(alive(main)).toBe(false);
  });

  it('ends the process pmx started with the launch when it stays after naming another main one: stop and restart leave nothing behind', async () => {
    const file = ecosystem('linger', [{ name: 'py-linger', script: join(apps, 'notify-daemon.py'), interpreter: PYTHON, notify: true, env: { MODE: 'linger' } }]);
    await pmx.ok(['start', file]);
    const roles = async (): Promise<{ launcher: number; main: number }> => {
      const entry = await pmx.proc('py-linger');
      const log = readFileSync(entry.pm2_env.pm_out_log_path, 'utf8');
      const last = (role: string): number => Number([...log.matchAll(new RegExp(`^${role} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? 0);
      return { launcher: last('launcher'), main: last('main') };
    };
    const first = await eventually('the main pid shown', async () => {
      const { launcher, main } = await roles();
      return main > 0 && (await pmx.proc('py-linger')).pid === main ? { launcher, main } : null;
    }, STARTUP_MS);
    expect(alive(first.launcher)).toBe(true);
    await pmx.ok(['restart', 'py-linger']);
    const second = await eventually('the new main pid shown', async () => {
      const now = await roles();
      return now.main !== first.main && (await pmx.proc('py-linger')).pid === now.main ? now : null;
    }, STARTUP_MS);
    // the launcher is SIGKILLed with the launch's tree when its main process exits: its death may take a moment
    expect(alive(first.main)).toBe(false);
    await eventually('the first launcher ended', () => !alive(first.launcher));
    await pmx.ok(['stop', 'py-linger']);
    expect(alive(second.main)).toBe(false);
    await eventually('the second launcher ended', () => !alive(second.launcher));
    await pmx.ok(['delete', 'py-linger']);
  });

  it('takes a daemon that left the tree and the process group (setsid) by its launch marker', async () => {
    const file = ecosystem('setsid', [{ name: 'py-daemon', script: join(apps, 'notify-daemon.py'), interpreter: PYTHON, notify: true, env: { MODE: 'setsid' } }]);
    await pmx.ok(['start', file]);
    const entry = await pmx.proc('py-daemon');
    const main = Number(await eventually('the daemon pid', () => /^main (\d+)$/m.exec(readFileSync(entry.pm2_env.pm_out_log_path, 'utf8'))?.[1]));
    const launcher = Number(/^launcher (\d+)$/m.exec(readFileSync(entry.pm2_env.pm_out_log_path, 'utf8'))![1]);
    // the launcher has exited: the daemon serves on, not restarted
    await eventually('the launcher gone', () => !alive(launcher), STARTUP_MS);
    const after = await pmx.proc('py-daemon');
    expect([after.pid, after.pm2_env.status, after.pm2_env.restart_time]).toEqual([main, 'online', 0]);
    expect(alive(main)).toBe(true);
    await pmx.ok(['delete', 'py-daemon']);
    expect(alive(main)).toBe(false);
  });

  it('ignores, with a log line, a pid that is not a process of the app', async () => {
    const file = ecosystem('foreign', [{ name: 'sh-foreign', script: join(apps, 'notify-fork.sh'), interpreter: 'none', notify: true, env: { FOREIGN_PID: String(process.pid) } }]);
    await pmx.ok(['start', file]);
    const refused = new RegExp(`sh-foreign \\(id \\d+\\): MAINPID=${process.pid} ignored: not a process of this app`);
    await eventually('the MAINPID= refused', () => refused.test(readFileSync(join(pmx.home, 'agent.log'), 'utf8')), STARTUP_MS);
    const entry = await pmx.proc('sh-foreign');
    expect(entry.pid).not.toBe(process.pid);
    expect(entry.pm2_env.status).toBe('online');
    await pmx.ok(['delete', 'sh-foreign']);
    expect(alive(process.pid)).toBe(true);
  });
});

describe('reload of a notify app', SLOW, () => {
  it('whose launcher names its server with MAINPID= in the datagram that says READY=1 swaps each instance (regression: every reload aborted, its READY=1 unseen)', async () => {
    const port = await freePort();
    const file = ecosystem('handover', [{ name: 'py-handover', script: join(apps, 'notify-daemon.py'), interpreter: PYTHON, notify: true, instances: 2, listen: `127.0.0.1:${port}`, listen_timeout: 10_000, env: { MODE: 'linger' } }]);
    await pmx.ok(['start', file]);
    const handedOver = async (): Promise<JlistEntry[]> =>
      eventually('both served by the process each named', async () => {
        const found = (await pmx.jlist()).filter((entry) => entry.name === 'py-handover');
        const named = (entry: JlistEntry): number[] => [...readFileSync(entry.pm2_env.pm_out_log_path, 'utf8').matchAll(/^main (\d+)$/gm)].map((match) => Number(match[1]));
        return found.length === 2 && found.every((entry) => entry.pm2_env.status === 'online' && named(entry).includes(entry.pid)) ? found : null;
      }, STARTUP_MS);
    const before = await handedOver();
    const reloaded = await pmx.run(['reload', 'py-handover']);
    expect(reloaded.code, reloaded.stderr).toBe(0);
    const after = await handedOver();
    for (const old of before) {
      expect(after.find((entry) => entry.pm_id === old.pm_id)!.pid).not.toBe(old.pid);
      expect(alive(old.pid)).toBe(false);
    }
    expect(after.map((entry) => entry.pid)).toContain(JSON.parse((await get(port)).body).pid);
    await pmx.ok(['delete', 'py-handover']);
  });

  it('retires each old instance only once its replacement sent READY=1', async () => {
    const log = join(pmx.dir, 'reload.events');
    // a fork-mode app is restarted by reload, as in PM2; one whose socket pmx holds (listen) is replaced without a gap
    const port = await freePort();
    const file = ecosystem('pair', [
      { name: 'py-pair', script: join(apps, 'notify.py'), interpreter: PYTHON, notify: true, instances: 2, listen: `127.0.0.1:${port}`, listen_timeout: 10_000, env: { READY_AFTER_MS: '800', EVENTS_LOG: log } },
    ]);
    await pmx.ok(['start', file]);
    const pair = async (): Promise<JlistEntry[]> => (await pmx.jlist()).filter((entry) => entry.name === 'py-pair');
    const before = await eventually('both online', async () => {
      const found = await pair();
      return found.length === 2 && found.every((entry) => entry.pm2_env.status === 'online') ? found : null;
    }, STARTUP_MS);
    await pmx.ok(['reload', 'py-pair']);
    const after = await pair();
    const ready = noted(log, 'ready');
    const stopped = noted(log, 'stop');
    for (const old of before) {
      const replacement = after.find((entry) => entry.pm_id === old.pm_id)!;
      expect(replacement.pid).not.toBe(old.pid);
      expect(alive(old.pid)).toBe(false);
      expect(replacement.pm2_env.status).toBe('online');
      const readyAt = ready.find((line) => line.pid === replacement.pid)!.at;
      const stoppedAt = stopped.find((line) => line.pid === old.pid)!.at;
      expect(stoppedAt).toBeGreaterThanOrEqual(readyAt);
    }
    await pmx.ok(['delete', 'py-pair']);
  });
});
