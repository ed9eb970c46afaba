// Health probes run from the agent: an app whose http, tcp or exec probe fails `failures` times in
// a row is restarted with a `health` event; failures within start_period do not count; the state
// shows in jlist, ls, describe and the Prometheus endpoint; probes stop with their app and start
// again with it.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually, type JlistEntry } from '../../helpers/pmx.js';
import { freePort, get } from '../../helpers/net.js';
import { liveProcesses } from '../../helpers/home-processes.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

interface Health {
  status: string;
  failures: number;
  last_check: number | null;
  last_error: string | null;
}
interface Event {
  event: string;
  at: number;
  reason?: string;
}
const health = (entry: JlistEntry): Health | undefined => entry.pm2_env.health as Health | undefined;
const events = (entry: JlistEntry): Event[] => (entry.pm2_env.pmx_events as Event[] | undefined) ?? [];

/**
 * Fast rules for tests: a probe every 300 ms, restart after 3 failures, none counted in the first 2 s
 * (a Node app may take that long to listen on a busy machine). A probe has 1.5 s to answer: on a
 * loaded machine a healthy app (or a forked probe command) can take longer than 300 ms, and a
 * spurious timeout would restart it.
 */
const FAST = { interval: 300, timeout: 1500, failures: 3, start_period: 2000 };

function ecosystem(name: string, apps: object[]): string {
  const file = join(pmx.dir, `${name}.config.js`);
  writeFileSync(file, `module.exports = ${JSON.stringify({ apps })};\n`);
  return file;
}

async function healthy(name: string): Promise<JlistEntry> {
  return eventually(`${name} healthy`, async () => {
    const entry = await pmx.proc(name);
    return health(entry)?.status === 'healthy' ? entry : null;
  });
}

/** Waits for the process to run a new child after `before`, online again. */
async function restarted(name: string, before: JlistEntry): Promise<JlistEntry> {
  return eventually(`${name} restarted`, async () => {
    const entry = await pmx.proc(name);
    return entry.pid > 0 && entry.pid !== before.pid && entry.pm2_env.status === 'online' ? entry : null;
  }, 20_000);
}

describe('an http probe', () => {
  it('shows healthy in jlist, ls, describe and Prometheus, and restarts the app once its handler hangs', async () => {
    const port = await freePort();
    const file = ecosystem('web', [{ name: 'web', script: join(apps, 'health.js'), env: { PORT: String(port) }, health: { http: `http://127.0.0.1:${port}/health`, ...FAST } }]);
    await pmx.ok(['start', file]);
    const before = await healthy('web');
    expect(health(before)).toMatchObject({ failures: 0, last_error: null });
    expect(health(before)!.last_check).toBeGreaterThan(0);
    expect(before.pm2_env.health_check).toMatchObject({ target: { http: `http://127.0.0.1:${port}/health` }, interval: 300, timeout: 1500, failures: 3, start_period: 2000 });

    expect(await pmx.ok(['ls'])).toMatch(/│ web +│.*│ online ✓ +│/);
    expect(await pmx.ok(['describe', 'web'])).toMatch(/│ health +│ healthy \(checked \d+s ago\)/);
    const metricsPort = await freePort();
    await pmx.ok(['metrics', '--port', String(metricsPort)]);
    const exposition = (await get(metricsPort, '/metrics')).body;
    expect(exposition).toContain('# TYPE pmx_process_healthy gauge');
    expect(exposition).toContain(`pmx_process_healthy{name="web",id="${before.pm_id}",namespace="default"} 1`);
    await pmx.ok(['metrics', '--stop']);

    process.kill(before.pid, 'SIGUSR2');
    const after = await restarted('web', before);
    expect(after.pm2_env.restart_time).toBe(1);
    expect(events(after)).toEqual([expect.objectContaining({ event: 'health', reason: expect.stringContaining('no answer within 1500 ms') })]);
    const agentLog = readFileSync(join(pmx.home, 'agent.log'), 'utf8');
    expect(agentLog).toMatch(/web \(id \d+\): unhealthy: 3 health checks failed in a row \(last: GET http:\/\/127\.0\.0\.1:\d+\/health: no answer within 1500 ms\): restarting/);
    // the new child starts over
    expect(['starting', 'healthy']).toContain(health(after)?.status);
    await healthy('web');
    await pmx.ok(['delete', 'web']);
  });

  it('counts a 5xx answer as a failure, whether the app answers at all', async () => {
    const port = await freePort();
    const file = ecosystem('teapot', [{ name: 'teapot', script: join(apps, 'health.js'), env: { PORT: String(port), HEALTH_STATUS: '503' }, health: { http: `http://127.0.0.1:${port}/health`, interval: 300, timeout: 1500, failures: 5, start_period: 2000 } }]);
    await pmx.ok(['start', file]);
    const failing = await eventually('a failed probe', async () => {
      const entry = await pmx.proc('teapot');
      // the first probes may come before the app listens; an answer of 503 is what this is about
      return health(entry)?.last_error?.startsWith('HTTP 503') && entry.pm2_env.restart_time === 0 ? entry : null;
    });
    expect(health(failing)).toMatchObject({ status: 'starting', last_error: `HTTP 503 from http://127.0.0.1:${port}/health` });
    const after = await restarted('teapot', failing);
    expect(events(after)[0]).toMatchObject({ event: 'health', reason: `HTTP 503 from http://127.0.0.1:${port}/health` });
    await pmx.ok(['delete', 'teapot']);
  });

  it('sends the credentials of its URL as Basic authorization, and never shows the password', async () => {
    const port = await freePort();
    const probe = (password: string): object => ({ http: `http://probe:${password}@127.0.0.1:${port}/health`, interval: 300, timeout: 1500, failures: 100 });
    const file = ecosystem('auth', [
      { name: 'auth', script: join(apps, 'health.js'), env: { PORT: String(port), HEALTH_AUTH: 'probe:s3cret' }, health: probe('s3cret') },
      { name: 'auth-wrong', script: join(apps, 'forever.js'), health: probe('wr0ng') },
    ]);
    await pmx.ok(['start', file]);
    await healthy('auth');
    const refused = await eventually('a refused probe', async () => {
      const entry = await pmx.proc('auth-wrong');
      return health(entry)?.last_error?.startsWith('HTTP 401') ? entry : null;
    });
    expect(health(refused)!.last_error).toBe(`HTTP 401 from http://probe:***@127.0.0.1:${port}/health`);
    const described = await pmx.ok(['describe', 'auth-wrong']);
    expect(described).toContain(`http http://probe:***@127.0.0.1:${port}/health every 300ms`);
    expect(described).not.toContain('wr0ng');
    await pmx.ok(['delete', 'auth', 'auth-wrong']);
  });
  it('keeps one connection to the app across its probes', async () => {
    const port = await freePort();
    const file = ecosystem('kept', [{ name: 'kept', script: join(apps, 'health.js'), env: { PORT: String(port) }, health: { http: `http://127.0.0.1:${port}/health`, ...FAST } }]);
    await pmx.ok(['start', file]);
    const first = health(await healthy('kept'))!.last_check!;
    // ten probes or more after the first that passed
    const later = await eventually('ten more probes', async () => {
      const entry = await pmx.proc('kept');
      return health(entry)!.last_check! - first >= 10 * FAST.interval ? entry : null;
    });
    expect(health(later)).toMatchObject({ status: 'healthy', failures: 0, last_error: null });
    // the probes' one connection, and this request's own
    expect(JSON.parse((await get(port, '/connections')).body)).toEqual({ pid: later.pid, connections: 2 });
    await pmx.ok(['delete', 'kept']);
  });

  it('is not failed by a kept connection the app drops as the next probe comes: it asks again on a new one', async () => {
    const port = await freePort();
    const file = ecosystem('drops', [{ name: 'drops', script: join(apps, 'health.js'), env: { PORT: String(port), DROP_REUSED: '1' }, health: { http: `http://127.0.0.1:${port}/health`, ...FAST } }]);
    await pmx.ok(['start', file]);
    const first = health(await healthy('drops'))!.last_check!;
    const later = await eventually('ten more probes', async () => {
      const entry = await pmx.proc('drops');
      return health(entry)!.last_check! - first >= 10 * FAST.interval ? entry : null;
    });
    expect(health(later)).toMatchObject({ status: 'healthy', failures: 0, last_error: null });
    expect(later.pm2_env.restart_time).toBe(0);
    // each probe after the first found its kept connection dropped and connected anew
    expect((JSON.parse((await get(port, '/connections')).body) as { connections: number }).connections).toBeGreaterThan(10);
    await pmx.ok(['delete', 'drops']);
  });
});

describe('a tcp probe', () => {
  it('restarts the app once nothing listens on its port', async () => {
    const port = await freePort();
    const file = ecosystem('tcp', [{ name: 'tcp', script: join(apps, 'health.js'), env: { PORT: String(port), ON_SIGUSR2: 'close' }, health: { tcp: port, ...FAST } }]);
    await pmx.ok(['start', file]);
    const before = await healthy('tcp');
    process.kill(before.pid, 'SIGUSR2');
    const after = await restarted('tcp', before);
    expect(events(after)[0]).toMatchObject({ event: 'health', reason: expect.stringMatching(new RegExp(`^connect 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`)) });
    await pmx.ok(['delete', 'tcp']);
  });

  it('stops an app with autorestart off once it fails, and restarts it no more (as after a crash)', async () => {
    const port = await freePort();
    const file = ecosystem('tcp-once', [{ name: 'tcp-once', script: join(apps, 'health.js'), autorestart: false, env: { PORT: String(port), ON_SIGUSR2: 'close' }, health: { tcp: port, ...FAST } }]);
    await pmx.ok(['start', file]);
    const before = await healthy('tcp-once');
    process.kill(before.pid, 'SIGUSR2');
    const after = await eventually('tcp-once stopped', async () => {
      const entry = await pmx.proc('tcp-once');
      return entry.pm2_env.status === 'stopped' ? entry : null;
    });
    expect([after.pid, after.pm2_env.restart_time, events(after).map((event) => event.event)]).toEqual([0, 0, ['health']]);
    expect(after.pm2_env.pmx_error).toMatch(/: stopped, not restarted \(autorestart: false\)$/);
    expect(alive(before.pid)).toBe(false);
    await pmx.ok(['delete', 'tcp-once']);
  });
});

describe('an exec probe', () => {
  it("runs in the app's cwd and environment, and restarts the app once the command fails", async () => {
    const cwd = join(pmx.dir, 'exec-app');
    mkdirSync(cwd);
    const probes = join(cwd, 'probes.log');
    const file = ecosystem('exec', [{
      name: 'exec', script: join(apps, 'forever.js'), cwd, env: { PROBE_TOKEN: 'yes' },
      health: { exec: 'echo probe >> probes.log; test "$PROBE_TOKEN" = yes && test ! -e down', ...FAST },
    }]);
    await pmx.ok(['start', file]);
    const before = await healthy('exec');
    writeFileSync(join(cwd, 'down'), '');
    const after = await restarted('exec', before);
    expect(events(after)[0]).toMatchObject({ event: 'health', reason: 'command exited with code 1' });
    rmSync(join(cwd, 'down'));
    await healthy('exec');

    // probes stop with the app, and start again with it
    await pmx.ok(['stop', 'exec']);
    expect(health(await pmx.proc('exec'))).toBeUndefined();
    const stoppedAt = readFileSync(probes, 'utf8');
    const deadline = Date.now() + 4 * FAST.interval;
    await eventually('four intervals to pass', () => Date.now() > deadline);
    expect(readFileSync(probes, 'utf8')).toBe(stoppedAt);
    await pmx.ok(['start', 'exec']);
    await eventually('a probe of the started app', () => readFileSync(probes, 'utf8').length > stoppedAt.length);
    await healthy('exec');
    await pmx.ok(['delete', 'exec']);
    const deletedAt = readFileSync(probes, 'utf8');
    const later = Date.now() + 4 * FAST.interval;
    await eventually('four intervals to pass', () => Date.now() > later);
    expect(readFileSync(probes, 'utf8')).toBe(deletedAt);
  });

  it('kills a command that outlives its timeout, with its process group', async () => {
    const cwd = join(pmx.dir, 'slow-app');
    mkdirSync(cwd);
    const file = ecosystem('slow', [{ name: 'slow', script: join(apps, 'forever.js'), cwd, health: { exec: 'sleep 30 & echo $! > sleeper.pid; wait', interval: 300, timeout: 300, failures: 100 } }]);
    await pmx.ok(['start', file]);
    const entry = await eventually('a timed-out probe', async () => {
      const found = await pmx.proc('slow');
      return (health(found)?.failures ?? 0) >= 1 ? found : null;
    });
    expect(health(entry)?.last_error).toBe('command did not finish within 300 ms');
    // on a loaded machine a probe may be killed before its shell wrote the file: wait for one that did
    const sleeper = await eventually('a probe that started its background sleep', () => {
      const pid = existsSync(join(cwd, 'sleeper.pid')) ? Number(readFileSync(join(cwd, 'sleeper.pid'), 'utf8')) : 0;
      return pid > 0 ? pid : null;
    });
    // killed with its group within the probe's 300 ms (an orphan's zombie, not yet reaped, is dead)
    await eventually('the probe\'s background sleep killed with its group', () => !alive(sleeper), 5000);
    await pmx.ok(['delete', 'slow']);
  });

  it('ends what a passing command left outside its group (setsid): one left per probe would pile up', async () => {
    const cwd = join(pmx.dir, 'leaver-app');
    mkdirSync(cwd);
    // each probe leaves a sleep in a session of its own (it waits until the sleep has left its group), and passes
    const leave = `n=$(cat pids 2>/dev/null | wc -l); setsid sh -c 'echo $$ >> pids; exec sleep 4242' </dev/null >/dev/null 2>&1 & while [ "$(cat pids 2>/dev/null | wc -l)" -le "$n" ]; do sleep 0.01; done; exit 0`;
    const file = ecosystem('leaver', [{ name: 'leaver', script: join(apps, 'forever.js'), cwd, health: { exec: leave, ...FAST } }]);
    await pmx.ok(['start', file]);
    const pids = (): number[] => (existsSync(join(cwd, 'pids')) ? readFileSync(join(cwd, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number) : []);
    await eventually('six probes', () => pids().length >= 6);
    // the last probe's may still be there for a moment, never the earlier ones'
    await eventually("the earlier probes' sleeps ended", () => pids().slice(0, 5).every((pid) => !alive(pid)));
    const left = (): number => liveProcesses().filter(({ cmdline }) => cmdline.join(' ') === 'sleep 4242').length;
    expect(health(await pmx.proc('leaver'))?.status).toBe('healthy');
    await pmx.ok(['delete', 'leaver']);
    await eventually('none left once the app is gone', () => left() === 0);
  });
});

describe('start_period', () => {
  it('does not count failures within it; they count after it', async () => {
    const port = await freePort();
    const file = ecosystem('late', [{ name: 'late', script: join(apps, 'forever.js'), health: { http: `http://127.0.0.1:${port}/`, interval: 200, timeout: 200, failures: 2, start_period: '4s' } }]);
    await pmx.ok(['start', file]);
    const first = await pmx.proc('late');
    const startedAt = first.pm2_env.pm_uptime as number;
    const probed = await eventually('a failed probe within the start period', async () => {
      const entry = await pmx.proc('late');
      return health(entry)?.last_error ? entry : null;
    });
    expect(health(probed)).toMatchObject({ status: 'starting', failures: 0 });
    // the period is long enough that a loaded machine still probes within it (the first probe came 3.3 s late once)
    expect(health(probed)!.last_check! - startedAt).toBeLessThan(4000);
    const after = await restarted('late', first);
    const [event] = events(after);
    expect(event?.event).toBe('health');
    // two counted failures, both after the start period
    expect(event!.at - startedAt).toBeGreaterThanOrEqual(4000 + 200);
    await pmx.ok(['delete', 'late']);
  });
});
