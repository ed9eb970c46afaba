// A reload waits for health: the old instance retires only once its replacement's probe passed;
// a replacement whose probe never passes within start_period + interval x failures (+ the last
// probe's timeout) fails the reload, is killed, and the old instance keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually, type JlistEntry } from '../../helpers/pmx.js';
import { freePort, get } from '../../helpers/net.js';
import { loadUntil } from '../../helpers/http-load.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

const health = (entry: JlistEntry): { status: string; last_check: number | null } | undefined => entry.pm2_env.health as never;
const servedBy = async (port: number): Promise<number> => (JSON.parse((await get(port)).body) as { pid: number }).pid;

describe('pmx reload of an app with a health check', () => {
  let port = 0;
  const healthDir = join(pmx.dir, 'health');
  beforeAll(async () => {
    port = await freePort();
    mkdirSync(healthDir);
    const file = join(pmx.dir, 'web.config.js');
    // the exec probe checks the very child it is run for ($PMX_PID), not whichever worker answers the shared port
    const app = {
      name: 'web', script: join(apps, 'health.js'), exec_mode: 'cluster', instances: 1, env: { PORT: String(port), HEALTH_DIR: healthDir },
      health: { exec: 'test "$(cat "$HEALTH_DIR/$PMX_PID")" = 200', interval: 500, timeout: 500, failures: 5 },
    };
    writeFileSync(file, `module.exports = ${JSON.stringify({ apps: [app] })};\n`);
    await pmx.ok(['start', file]);
    await eventually('web healthy', async () => health(await pmx.proc('web'))?.status === 'healthy');
  });

  it("retires the old instance only once the replacement's probe passed", async () => {
    const before = await pmx.proc('web');
    const asked = Date.now();
    await pmx.ok(['reload', 'web']);
    const after = await pmx.proc('web');
    expect(after.pid).not.toBe(before.pid);
    expect(alive(before.pid)).toBe(false);
    // the health state came over with the replacement: a probe of it passed before it took over
    expect(health(after)?.status).toBe('healthy');
    expect(health(after)!.last_check).toBeGreaterThanOrEqual(asked);
    expect(await servedBy(port)).toBe(after.pid);
  });

  it('keeps the old instance serving when the replacement never passes its probe', async () => {
    const before = await pmx.proc('web');
    const result = await pmx.run(['reload', 'web', '--update-env'], { env: { HEALTH_STATUS: '503' } });
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/reload of web \(id \d+\) aborted: reload: the new process did not pass its health check within 3000 ms \(last: command exited with code 1\); the old one keeps serving/);
    const after = await pmx.proc('web');
    expect(after.pid).toBe(before.pid);
    expect(after.pm2_env.status).toBe('online');
    expect(after.pm2_env.restart_time).toBe(before.pm2_env.restart_time);
    expect(health(after)?.status).toBe('healthy');
    for (let i = 0; i < 5; i++) expect(await servedBy(port)).toBe(before.pid);
  });

  it('fails no request of the clients while a replacement that never passes its probe is sent away: it finishes what it took first', async () => {
    const before = await pmx.proc('web');
    const reload = pmx.run(['reload', 'web', '--update-env'], { env: { HEALTH_STATUS: '503' } });
    // the replacement listens on the shared port during its trial and takes connections: fresh ones, and kept ones
    const [fresh, kept, result] = await Promise.all([loadUntil(port, 3, reload, { keepAlive: false }), loadUntil(port, 3, reload), reload]);
    expect(result.code).not.toBe(0);
    expect([...fresh.failures, ...kept.failures]).toEqual([]);
    // it did take some: the test saw the case it is about
    expect([...fresh.pids, ...kept.pids].some((pid) => pid !== before.pid)).toBe(true);
    const after = await pmx.proc('web');
    expect([after.pid, after.pm2_env.status]).toEqual([before.pid, 'online']);
  });
});
