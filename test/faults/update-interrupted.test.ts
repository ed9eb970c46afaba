// A Ctrl-C of `pmx update` while the old agent stops the apps (one that takes its kill_timeout)
// left every app down and `ls` empty, with nothing said. The first SIGINT is held and said; the
// update ends with the saved processes running under the new agent.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
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

  it('the old agent killed (SIGKILL) while it stops the apps: the update goes on, and ends with every saved app running (they stayed stopped, and resurrect took them for running)', async () => {
    const slowPid = join(pmx.dir, 'slow-2.pid');
    await pmx.ok(['delete', 'all']);
    await pmx.ok(['start', join(apps, 'stubborn.js'), '-n', 'slow', '--kill-timeout', '2500'], { env: { PID_FILE: slowPid } });
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'quick']);
    const oldAgent = pmx.agentPid()!;
    const outLog = String((await pmx.proc('slow')).pm2_env.pm_out_log_path);
    const oldSlow = (await pmx.proc('slow')).pid;
    const before = readFileSync(outLog, 'utf8').split('SIGINT ignored').length;
    const update = spawn(process.execPath, [PMX_BIN, 'update'], { env: pmx.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    update.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    update.stdout.resume();
    const exited = new Promise<number | null>((resolve) => update.once('exit', (code) => resolve(code)));
    await eventually('the slow app asked to stop', () => readFileSync(outLog, 'utf8').split('SIGINT ignored').length > before);
    process.kill(oldAgent, 'SIGKILL');
    expect(await exited, stderr).toBe(0);
    expect(stderr).toContain(`The old agent (pid ${oldAgent}) died while it stopped the processes: going on with the update`);
    expect((await pmx.jlist()).map((entry) => [entry.name, entry.pm2_env.status])).toEqual([
      ['slow', 'online'],
      ['quick', 'online'],
    ]);
    // the slow app the dead agent was stopping was stopped, not left running beside the new one
    expect(alive(oldSlow)).toBe(false);
  });

  it('an agent killed while it stops every app (a service stop cut short): the next command says so and finished that stop; resurrect starts the saved apps (it kept them stopped for good)', async () => {
    await pmx.ok(['delete', 'all']);
    const slowPid = join(pmx.dir, 'slow-3.pid');
    await pmx.ok(['start', join(apps, 'stubborn.js'), '-n', 'slow', '--kill-timeout', '2500'], { env: { PID_FILE: slowPid } });
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'quick']);
    await pmx.ok(['save']);
    const agent = pmx.agentPid()!;
    const outLog = String((await pmx.proc('slow')).pm2_env.pm_out_log_path);
    const before = readFileSync(outLog, 'utf8').split('SIGINT ignored').length;
    const slow = (await pmx.proc('slow')).pid;
    process.kill(agent, 'SIGTERM');
    await eventually('the slow app asked to stop', () => readFileSync(outLog, 'utf8').split('SIGINT ignored').length > before);
    process.kill(agent, 'SIGKILL');
    await eventually('the agent to die', () => !alive(agent));
    const ls = await pmx.run(['jlist']);
    expect(ls.stderr).toContain(`The pmx agent (pid ${agent}) had died while stopping every process`);
    expect(ls.stderr).toContain("'pmx resurrect' starts what 'pmx save' recorded");
    expect(JSON.parse(ls.stdout)).toEqual([]);
    expect(alive(slow)).toBe(false);
    await pmx.ok(['resurrect']);
    expect((await pmx.jlist()).map((entry) => [entry.name, entry.pm2_env.status])).toEqual([
      ['slow', 'online'],
      ['quick', 'online'],
    ]);
  });

  it("an update whose save fails (dump.pmx cannot be written) stops nothing and says to run the update again, not a save", async () => {
    await pmx.run(['delete', 'all']);
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'kept']);
    const before = await pmx.proc('kept');
    const agent = pmx.agentPid();
    const dump = join(pmx.home, 'dump.pmx');
    rmSync(dump, { force: true });
    mkdirSync(dump);
    try {
      const update = await pmx.run(['update']);
      expect(update.code).toBe(1);
      expect(update.stderr).toContain('; nothing was stopped');
      expect(update.stderr).toContain("run 'pmx update' again");
      expect([pmx.agentPid(), (await pmx.proc('kept')).pid]).toEqual([agent, before.pid]);
    } finally {
      rmSync(dump, { recursive: true, force: true });
    }
  });
});
