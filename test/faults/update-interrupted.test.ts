// A Ctrl-C of `pmx update` while the old agent stops the apps (one that takes its kill_timeout)
// left every app down and `ls` empty, with nothing said. The first SIGINT is held and said; the
// update ends with the saved processes running under the new agent.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PMX_BIN, PmxSandbox, alive, eventually } from '../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-update-int-');
afterAll(() => pmx.cleanup());

describe('pmx update interrupted', () => {
  it('a Ctrl-C while the old agent stops the apps is held: the update ends with every saved app running', async () => {
    await pmx.ok(['start', join(apps, 'stubborn.js'), '-n', 'slow', '--kill-timeout', '2500'], { env: { PID_FILE: join(pmx.dir, 'slow.pid') } });
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'quick']);
    const oldAgent = pmx.agentPid()!;
    const outLog = String((await pmx.proc('slow')).pm2_env.pm_out_log_path);
    const update = spawn(process.execPath, [PMX_BIN, 'update'], { env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    update.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    update.stdout.resume();
    const exited = new Promise<number | null>((resolve) => update.once('exit', (code) => resolve(code)));
    // the old agent is stopping the apps: the slow one got its SIGINT and ignores it
    await eventually('the slow app asked to stop', () => existsSync(outLog) && readFileSync(outLog, 'utf8').includes('SIGINT ignored'));
    update.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toContain('pmx update is replacing the agent: the saved processes are started again before it ends');
    expect(alive(oldAgent)).toBe(false);
    expect(pmx.agentPid()).not.toBe(oldAgent);
    expect((await pmx.jlist()).map((entry) => [entry.name, entry.pm2_env.status])).toEqual([
      ['slow', 'online'],
      ['quick', 'online'],
    ]);
  });
});
