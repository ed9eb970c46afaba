// Stopping: SIGINT first, SIGKILL after kill_timeout, the shutdown message, and the whole tree.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

/** Starts graceful.js and waits until it says it is ready: its handlers are in place only then (a SIGINT before ends it as Node's default does). */
async function startGraceful(args: string[], stopLog: string): Promise<void> {
  await pmx.ok(['start', join(apps, 'graceful.js'), ...args], { env: { STOP_LOG: stopLog } });
  const name = args.includes('-n') ? args[args.indexOf('-n') + 1]! : 'graceful';
  await eventually(`${name} ready`, async () => readFileSync((await pmx.proc(name)).pm2_env.pm_out_log_path, 'utf8').includes('graceful ready'));
}

describe('stop', () => {
  it('sends SIGINT and lets the app exit by itself', async () => {
    const stopLog = join(pmx.dir, 'graceful.log');
    await startGraceful([], stopLog);
    await pmx.ok(['stop', 'graceful']);
    expect(readFileSync(stopLog, 'utf8')).toBe('SIGINT\n');
  });

  it("sends the 'shutdown' message with --shutdown-with-message", async () => {
    const stopLog = join(pmx.dir, 'message.log');
    await startGraceful(['-n', 'message', '--shutdown-with-message'], stopLog);
    await pmx.ok(['stop', 'message']);
    expect(readFileSync(stopLog, 'utf8')).toBe('shutdown\n');
  });

  it('kills an app that ignores SIGINT after kill_timeout', async () => {
    const pidFile = join(pmx.dir, 'stubborn.pid');
    await pmx.ok(['start', join(apps, 'stubborn.js'), '--kill-timeout', '700'], { env: { PID_FILE: pidFile } });
    const pid = Number(await eventually('pid file', () => readFileSync(pidFile, 'utf8')));
    const started = Date.now();
    await pmx.ok(['stop', 'stubborn']);
    const took = Date.now() - started;
    expect(alive(pid)).toBe(false);
    expect(took).toBeGreaterThanOrEqual(700);
    expect(readFileSync((await pmx.proc('stubborn')).pm2_env.pm_out_log_path, 'utf8')).toContain('SIGINT ignored');
  });

  it("kills the app's own children with it, even one in its own session", async () => {
    const childPids = join(pmx.dir, 'children');
    await pmx.ok(['start', join(apps, 'spawner.js'), '--kill-timeout', '300'], { env: { CHILD_PIDS: childPids } });
    const pids = (await eventually('child pids', () => readFileSync(childPids, 'utf8'))).split(' ').map(Number);
    expect(pids.every(alive)).toBe(true);
    const parent = (await pmx.proc('spawner')).pid;
    await pmx.ok(['stop', 'spawner']);
    expect(alive(parent)).toBe(false);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it("cleans up an app's children in its process group when it crashes, before restarting it", async () => {
    const childPids = join(pmx.dir, 'children2');
    await pmx.ok(['start', join(apps, 'spawner.js'), '-n', 'spawner2'], { env: { CHILD_PIDS: childPids, DETACH: '0' } });
    const pids = (await eventually('child pids', () => readFileSync(childPids, 'utf8'))).split(' ').map(Number);
    await pmx.ok(['sendSignal', 'SIGKILL', 'spawner2']);
    await eventually('restart', async () => (await pmx.proc('spawner2')).pm2_env.restart_time === 1);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    await pmx.ok(['delete', 'spawner2']);
  });
});
