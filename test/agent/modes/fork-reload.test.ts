// A reload in fork mode restarts one instance after the other, and the next only once the new
// process of the one before is ready, by the rules a cluster replacement is held to: it said
// 'ready' (wait_ready), its health check passed, or else it listens or stayed up min_uptime. The first that
// does not fails the reload, naming it, and the instances after it keep running the release they
// ran, as a failed cluster reload leaves them. A stop during the reload still wins over it.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually, type JlistEntry } from '../../helpers/pmx.js';
import { freePort, get } from '../../helpers/net.js';

const pmx = new PmxSandbox('pmx-fork-reload-');
afterAll(() => pmx.cleanup());

/** What fixtures/apps/fork-release.js runs: the file a deploy would change. */
interface Release {
  version: number;
  ready: 'says' | 'never' | 'crashes';
  ready_delay?: number;
  /** false: it listens on no port (a worker). */
  serves?: boolean;
  health?: number;
}

interface ForkApp {
  name: string;
  /** Its ecosystem file. */
  file: string;
  ports: number[];
  /** Makes `release` the code the next reload runs. */
  ship(release: Release): void;
  /** Instances 0 and 1, as jlist has them. */
  instances(): Promise<JlistEntry[]>;
}

/** Starts `name` with 2 fork-mode instances of `release`, with `options` (ecosystem keys) over the app's. */
async function startForkApp(name: string, release: Release, options: Record<string, unknown> = {}): Promise<ForkApp> {
  const dir = join(pmx.dir, name);
  mkdirSync(join(dir, 'health'), { recursive: true });
  const releaseFile = join(dir, 'release.json');
  const ship = (next: Release): void => writeFileSync(releaseFile, JSON.stringify(next));
  ship(release);
  const ports = [await freePort(), await freePort()];
  const app = { name, script: join(FIXTURES, 'apps', 'fork-release.js'), exec_mode: 'fork', instances: 2, env: { PORTS: ports.join(','), RELEASE_FILE: releaseFile, HEALTH_DIR: join(dir, 'health') }, ...options };
  const file = join(dir, 'ecosystem.config.js');
  writeFileSync(file, `module.exports = ${JSON.stringify({ apps: [app] })};\n`);
  await pmx.ok(['start', file]);
  const instances = async (): Promise<JlistEntry[]> => (await pmx.jlist()).filter((entry) => entry.name === name).sort((a, b) => a.pm_id - b.pm_id);
  // every instance serves before a test reloads it
  if (release.serves !== false) for (const port of ports) await eventually(`port ${port} served`, () => get(port).then(() => true, () => false));
  return { name, file, ports, ship, instances };
}

const served = async (port: number): Promise<{ pid: number; version: number }> => JSON.parse((await get(port)).body) as { pid: number; version: number };

/** When each child of these instances said ready (or, with `word` 'listening', listened), from its `<word> <pid> <ms>` lines. */
function readyAt(entries: JlistEntry[], word: 'ready' | 'listening' = 'ready'): Map<number, number> {
  const said = new Map<number, number>();
  for (const entry of entries) {
    for (const line of readFileSync(String(entry.pm2_env.pm_out_log_path), 'utf8').split('\n')) {
      const match = new RegExp(`^${word} (\\d+) (\\d+)$`).exec(line);
      if (match) said.set(Number(match[1]), Number(match[2]));
    }
  }
  return said;
}

describe('pmx reload in fork mode, with wait_ready', () => {
  it("returns only once each new process said 'ready', and restarts the next only after it", async () => {
    const app = await startForkApp('said', { version: 1, ready: 'says' }, { wait_ready: true, listen_timeout: 5000 });
    app.ship({ version: 2, ready: 'says', ready_delay: 700 });
    await pmx.ok(['reload', app.name]);
    const returned = Date.now();
    const [first, second] = await app.instances();
    const said = readyAt([first!, second!]);
    expect(said.get(first!.pid)).toBeLessThanOrEqual(returned);
    expect(said.get(second!.pid)).toBeLessThanOrEqual(returned);
    // instance 1 was restarted once instance 0's new process had said ready, not before
    expect(second!.pm2_env.pm_uptime).toBeGreaterThanOrEqual(said.get(first!.pid)!);
    expect((await served(app.ports[0]!)).version).toBe(2);
    expect((await served(app.ports[1]!)).version).toBe(2);
  });

  it("stops at the first new process that never says 'ready': names id 0, and id 1 runs its release as it was", async () => {
    const app = await startForkApp('silent', { version: 1, ready: 'says' }, { wait_ready: true, listen_timeout: 1500 });
    const [first, second] = await app.instances();
    app.ship({ version: 2, ready: 'never' });
    const result = await pmx.run(['reload', app.name]);
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(
      new RegExp(`reload of silent \\(id ${first!.pm_id}\\) aborted: reload: the new process did not become ready within 1500 ms; fork mode: the old one had stopped before it started, and it runs on; not reloaded, running as they were: silent \\(id ${second!.pm_id}\\)`),
    );
    const [firstAfter, secondAfter] = await app.instances();
    // id 0 runs the new release (its old process had stopped first), as the list says; id 1 was not touched
    expect(firstAfter!.pid).not.toBe(first!.pid);
    expect(alive(first!.pid)).toBe(false);
    expect(await served(app.ports[0]!)).toEqual({ pid: firstAfter!.pid, version: 2 });
    expect(firstAfter!.pm2_env.restart_time).toBe(first!.pm2_env.restart_time + 1);
    expect(secondAfter!.pid).toBe(second!.pid);
    expect(secondAfter!.pm2_env.status).toBe('online');
    expect(secondAfter!.pm2_env.restart_time).toBe(second!.pm2_env.restart_time);
    expect(await served(app.ports[1]!)).toEqual({ pid: second!.pid, version: 1 });
  });
});

describe('pmx reload in fork mode, of an app written for systemd (notify)', () => {
  it('stops at the first new process that never says READY=1: names id 0, and id 1 runs on as it was', async () => {
    const file = join(pmx.dir, 'notify.config.js');
    writeFileSync(file, `module.exports = ${JSON.stringify({ apps: [{ name: 'notifying', script: join(FIXTURES, 'apps', 'notify.sh'), interpreter: 'none', notify: true, instances: 2, listen_timeout: 1500 }] })};\n`);
    await pmx.ok(['start', file]);
    const [first, second] = (await pmx.jlist()).filter((entry) => entry.name === 'notifying').sort((a, b) => a.pm_id - b.pm_id);
    const result = await pmx.run(['reload', 'notifying', '--update-env'], { env: { READY_AFTER: '1000' } });
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(new RegExp(`reload of notifying \\(id ${first!.pm_id}\\) aborted: reload: the new process did not become ready within 1500 ms.*; not reloaded, running as they were: notifying \\(id ${second!.pm_id}\\)`));
    const secondAfter = (await pmx.jlist()).find((entry) => entry.pm_id === second!.pm_id)!;
    expect(secondAfter.pid).toBe(second!.pid);
    expect(secondAfter.pm2_env.restart_time).toBe(second!.pm2_env.restart_time);
  });
});

describe('pmx reload in fork mode, without wait_ready', () => {
  it('restarts the next instance once the new process of the one before listens, as a cluster worker: a min_uptime of a minute is not waited for', async () => {
    const app = await startForkApp('listener', { version: 1, ready: 'never' }, { min_uptime: 60_000 });
    app.ship({ version: 2, ready: 'never' });
    await pmx.ok(['reload', app.name]);
    const [first, second] = await app.instances();
    const listened = readyAt([first!, second!], 'listening');
    // instance 1 was restarted once instance 0's new process listened, not before
    expect(second!.pm2_env.pm_uptime).toBeGreaterThanOrEqual(listened.get(first!.pid)!);
    expect((await served(app.ports[0]!)).version).toBe(2);
    expect((await served(app.ports[1]!)).version).toBe(2);
  });

  it('restarts the next instance only once the new process of the one before stayed up min_uptime, when it listens on nothing', async () => {
    const app = await startForkApp('uptime', { version: 1, ready: 'never', serves: false }, { min_uptime: 1500 });
    app.ship({ version: 2, ready: 'never', serves: false });
    const asked = Date.now();
    await pmx.ok(['reload', app.name]);
    const [first, second] = await app.instances();
    expect(first!.pm2_env.pm_uptime).toBeGreaterThanOrEqual(asked);
    expect(second!.pm2_env.pm_uptime - first!.pm2_env.pm_uptime).toBeGreaterThanOrEqual(1500);
  });

  it('stops at a new process that crashes as it starts, before it listens: names id 0, and id 1 runs its release as it was', async () => {
    const app = await startForkApp('crashing', { version: 1, ready: 'never' }, { min_uptime: 1500, restart_delay: 60_000 });
    const [first, second] = await app.instances();
    app.ship({ version: 2, ready: 'crashes' });
    const result = await pmx.run(['reload', app.name]);
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(
      new RegExp(`reload of crashing \\(id ${first!.pm_id}\\) aborted: reload: the new process exited with code 1 before it was ready; fork mode: the old one had stopped before it started, and its restart policy goes on; not reloaded, running as they were: crashing \\(id ${second!.pm_id}\\)`),
    );
    const [firstAfter, secondAfter] = await app.instances();
    // its restart policy holds id 0 back (restart_delay), as the list says
    expect(firstAfter!.pm2_env.status).toBe('waiting restart');
    expect(secondAfter!.pid).toBe(second!.pid);
    expect(secondAfter!.pm2_env.restart_time).toBe(second!.pm2_env.restart_time);
    expect(await served(app.ports[1]!)).toEqual({ pid: second!.pid, version: 1 });
  });
});

describe('pmx startOrReload in fork mode', () => {
  it('reloads as reload does: stops at a new process that crashes as it starts, and id 1 runs its release as it was', async () => {
    const app = await startForkApp('filed', { version: 1, ready: 'never' }, { min_uptime: 1500, restart_delay: 60_000 });
    const [first, second] = await app.instances();
    app.ship({ version: 2, ready: 'crashes' });
    const result = await pmx.run(['startOrReload', app.file]);
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(new RegExp(`reload of filed \\(id ${first!.pm_id}\\) aborted: reload: the new process exited with code 1 before it was ready.*; not reloaded, running as they were: filed \\(id ${second!.pm_id}\\)`));
    const [, secondAfter] = await app.instances();
    expect(secondAfter!.pid).toBe(second!.pid);
    expect(await served(app.ports[1]!)).toEqual({ pid: second!.pid, version: 1 });
  });
});

describe('pmx reload in fork mode, with a health check', () => {
  // the exec probe checks the very process it is run for ($PMX_PID)
  const health = { exec: 'test "$(cat "$HEALTH_DIR/$PMX_PID")" = 200', interval: 300, timeout: 300, failures: 3 };
  const healthOf = (entry: JlistEntry): { status: string; last_check: number | null } => entry.pm2_env.health as never;

  it("returns only once each new process's probe passed", async () => {
    const app = await startForkApp('probed', { version: 1, ready: 'never' }, { health, min_uptime: 200 });
    app.ship({ version: 2, ready: 'never' });
    const asked = Date.now();
    await pmx.ok(['reload', app.name]);
    for (const entry of await app.instances()) {
      expect(healthOf(entry).status).toBe('healthy');
      expect(healthOf(entry).last_check).toBeGreaterThanOrEqual(asked);
    }
  });

  it('stops at the first new process whose probe never passes: names id 0, and id 1 runs its release as it was', async () => {
    const app = await startForkApp('sick', { version: 1, ready: 'never' }, { health, min_uptime: 200 });
    await eventually('both healthy', async () => (await app.instances()).every((entry) => healthOf(entry).status === 'healthy'));
    const [first, second] = await app.instances();
    app.ship({ version: 2, ready: 'never', health: 503 });
    const result = await pmx.run(['reload', app.name]);
    expect(result.code).not.toBe(0);
    // its probe failed `failures` times (its health check restarts it), or the reload's time ran out first
    expect(result.stderr + result.stdout).toMatch(
      new RegExp(`reload of sick \\(id ${first!.pm_id}\\) aborted: (unhealthy: 3 health checks failed in a row|reload: the new process did not pass its health check within 1200 ms) \\(last: command exited with code 1\\).*; not reloaded, running as they were: sick \\(id ${second!.pm_id}\\)`),
    );
    const [, secondAfter] = await app.instances();
    expect(secondAfter!.pid).toBe(second!.pid);
    expect(healthOf(secondAfter!).status).toBe('healthy');
    expect(await served(app.ports[1]!)).toEqual({ pid: second!.pid, version: 1 });
  });
});

describe('pmx reload in fork mode, raced by a stop', () => {
  it('lets a stop asked while a new process is on trial win: the reload says so, and nothing is left running', async () => {
    const app = await startForkApp('raced', { version: 1, ready: 'says' }, { wait_ready: true, listen_timeout: 60_000 });
    const [first, second] = await app.instances();
    app.ship({ version: 2, ready: 'never' });
    const reload = pmx.run(['reload', app.name], { timeoutMs: 60_000 });
    // id 0's new process serves, and has not said ready
    const trial = await eventually('id 0 on trial', async () => {
      const [entry] = await app.instances();
      return entry!.pid !== first!.pid && entry!.pid > 0 && (await served(app.ports[0]!).catch(() => null))?.version === 2 ? entry!.pid : null;
    });
    await pmx.ok(['stop', app.name]);
    const result = await reload;
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(new RegExp(`reload did not complete: raced \\(id ${first!.pm_id}\\) was stopped by a later request; raced \\(id ${second!.pm_id}\\) was stopped by a later request`));
    const after = await app.instances();
    expect(after.map((entry) => entry.pm2_env.status)).toEqual(['stopped', 'stopped']);
    expect(alive(trial)).toBe(false);
    expect(alive(second!.pid)).toBe(false);
    // id 1 was stopped, never restarted into the release that did not become ready
    expect(after[1]!.pm2_env.restart_time).toBe(second!.pm2_env.restart_time);
  });
});
