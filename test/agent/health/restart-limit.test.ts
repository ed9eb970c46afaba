// restart_limit counts the restarts the agent decides on a live app too: an app that never passes
// its health check, never pings its watchdog or always hangs is restarted `burst` times within
// `interval`, then stopped and errored with the reason, as a crashing app is (regression: those
// restarts were never counted, and an always-failing check restarted the app for ever).
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually, type JlistEntry } from '../../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-restart-limit-');
afterAll(() => pmx.cleanup());

const LIMIT = { burst: 2, interval: '60s' };

function ecosystem(name: string, app: object): string {
  const file = join(pmx.dir, `${name}.config.js`);
  writeFileSync(file, `module.exports = ${JSON.stringify({ apps: [app] })};\n`);
  return file;
}

const events = (entry: JlistEntry): { event: string; outcome?: string }[] => (entry.pm2_env.pmx_events as { event: string; outcome?: string }[] | undefined) ?? [];

/** Starts `app`, waits for it to be errored, and checks what a user relies on: `burst` restarts, then stopped, with the reason. */
async function erroredPastLimit(app: { name: string }, event: string, problem: RegExp): Promise<void> {
  await pmx.ok(['start', ecosystem(app.name, app)]);
  const pids = new Set<number>();
  const errored = await eventually(`${app.name} errored`, async () => {
    const entry = await pmx.proc(app.name);
    if (entry.pid > 0) pids.add(entry.pid);
    return entry.pm2_env.status === 'errored' ? entry : null;
  }, 40_000);
  expect(errored.pm2_env.restart_time).toBe(LIMIT.burst);
  expect(errored.pid).toBe(0);
  expect([...pids].filter(alive)).toEqual([]);
  // every decision is recorded: the burst restarts and the one that was not made
  expect(events(errored).map((each) => each.event)).toEqual(Array(LIMIT.burst + 1).fill(event));
  // with what came of each: describe no longer calls the one restart_limit refused a restart
  expect(events(errored).map((each) => each.outcome)).toEqual([...Array(LIMIT.burst).fill('restarted'), 'errored']);
  expect(await pmx.ok(['describe', app.name])).toMatch(new RegExp(`│ ${event}, errored +│`));
  expect(errored.pm2_env.pmx_error).toMatch(problem);
  expect(errored.pm2_env.pmx_error).toContain('not restarted, it was restarted 2 times within 60000 ms (restart_limit: { burst: 2, interval: 60000 })');
  expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toMatch(new RegExp(`${app.name} \\(id \\d+\\) errored: .*not restarted, it was restarted 2 times within 60000 ms`));
}

describe('restart_limit counts the restarts the agent decides on its own', { timeout: 60_000 }, () => {
  it('for a health check that always fails: errored after `burst` restarts', async () => {
    const app = { name: 'sick', script: join(apps, 'forever.js'), kill_timeout: 300, restart_limit: LIMIT, health: { exec: 'exit 3', interval: 300, timeout: 1500, failures: 2 } };
    await erroredPastLimit(app, 'health', /^unhealthy: 2 health checks failed in a row \(last: command exited with code 3\): not restarted/);
    // started again, it is restarted again: the count starts over
    await pmx.ok(['start', 'sick']);
    await eventually('a health restart after the start', async () => (await pmx.proc('sick')).pm2_env.restart_time > LIMIT.burst, 20_000);
    await pmx.ok(['delete', 'sick']);
  });

  it('for a watchdog never fed: errored after `burst` restarts', async () => {
    const app = { name: 'mute', script: join(apps, 'forever.js'), kill_timeout: 300, restart_limit: LIMIT, watchdog: '1s' };
    await erroredPastLimit(app, 'watchdog', /^watchdog: no WATCHDOG=1 for \d+ ms \(watchdog 1000 ms\): not restarted/);
    await pmx.ok(['delete', 'mute']);
  });

  it('for an app that always hangs: errored after `burst` restarts', async () => {
    const app = { name: 'stuck', script: join(apps, 'blocks.js'), kill_timeout: 300, restart_limit: LIMIT, hang_timeout: '2s', env: { BLOCK_AFTER: '1500' } };
    await erroredPastLimit(app, 'hung', /^hung: its event loop has been blocked for \d+ ms \(hang_timeout 2000 ms\): not restarted/);
    await pmx.ok(['delete', 'stuck']);
  });
});
