// What a command changes without a process changing its status: `pmx reset`, and a file's new
// options given to an app at rest (autostart: false). The state file was written only on a change
// of status or child, so an agent killed with SIGKILL afterwards left the next one the counters
// before the reset (an app then given up on after fewer crashes than max_restarts allows) and the
// options before the file changed, which its next start ran with.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-unwritten-changes-');
afterAll(() => pmx.cleanup());

async function killAgent(): Promise<void> {
  const agent = pmx.agentPid()!;
  process.kill(agent, 'SIGKILL');
  await eventually('the agent to die', () => !alive(agent));
}

describe('changes with no change of status, then the agent killed with SIGKILL', () => {
  it('pmx reset: the next agent shows the counters at zero, as the reset left them', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'counted']);
    for (let i = 0; i < 3; i++) await pmx.ok(['restart', 'counted']);
    expect((await pmx.proc('counted')).pm2_env.restart_time).toBe(3);
    await pmx.ok(['reset', 'counted']);
    const reset = await pmx.proc('counted');
    expect([reset.pm2_env.restart_time, reset.pm2_env.unstable_restarts]).toEqual([0, 0]);

    await killAgent();
    const run = await pmx.run(['jlist']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`adopted, still running: counted (id 0, pid ${reset.pid})`);
    const after = (JSON.parse(run.stdout) as { name: string; pid: number; pm2_env: { restart_time: number; unstable_restarts: number } }[]).find((entry) => entry.name === 'counted')!;
    expect([after.pid, after.pm2_env.restart_time, after.pm2_env.unstable_restarts]).toEqual([reset.pid, 0, 0]);
    await pmx.ok(['delete', 'counted']);
  });

  it("a file's new variables for an app at rest (autostart: false): the next agent keeps them, and the app starts with them", async () => {
    const file = join(pmx.dir, 'lazy.config.js');
    const write = (version: string): void =>
      writeFileSync(file, `module.exports = ${JSON.stringify({ apps: [{ name: 'lazy', script: join(apps, 'env.js'), autostart: false, env: { VERSION: version } }] })};\n`);
    write('v1');
    await pmx.ok(['start', file]);
    write('v2');
    await pmx.ok(['start', file]);
    expect((await pmx.proc('lazy')).pm2_env.env.VERSION).toBe('v2');

    await killAgent();
    const lazy = await pmx.proc('lazy');
    expect([lazy.pm2_env.status, lazy.pm2_env.env.VERSION]).toEqual(['stopped', 'v2']);
    await pmx.ok(['start', 'lazy']);
    const started = await pmx.proc('lazy');
    expect(started.pm2_env.status).toBe('online');
    const environ = await eventually('the app running', () => {
      try {
        return readFileSync(`/proc/${started.pid}/environ`, 'utf8');
      } catch {
        return null;
      }
    });
    expect(environ.split('\0')).toContain('VERSION=v2');
    await pmx.ok(['kill']);
  });
});
