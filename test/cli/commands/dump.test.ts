// save -> kill -> resurrect, the dump's safety, and the agent being replaced after a crash.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

describe('save / resurrect / kill', () => {
  it('restores names, ids, namespaces, env and options after kill', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'a', '--namespace', 'ns1', '--kill-timeout', '900'], { env: { MARK: 'one' } });
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'b']);
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'c']);
    await pmx.ok(['delete', 'b']); // leaves a hole in the ids: c keeps id 2
    await pmx.ok(['stop', 'c']);
    const before = await pmx.jlist();
    const saved = await pmx.ok(['save']);
    expect(saved).toContain('Saved 2 processes');

    const pids = before.map((p) => p.pid).filter((pid) => pid > 0);
    await pmx.ok(['kill']);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(existsSync(join(pmx.home, 'agent.sock'))).toBe(false);

    await pmx.ok(['resurrect']);
    const after = await pmx.jlist();
    expect(after.map((p) => [p.pm_id, p.name, p.pm2_env.namespace, p.pm2_env.status])).toEqual([
      [0, 'a', 'ns1', 'online'],
      [2, 'c', 'default', 'stopped'],
    ]);
    const a = after[0]!;
    expect(a.pm2_env.env.MARK).toBe('one');
    expect(a.pm2_env.kill_timeout).toBe(900);

    // again, with both here: neither is started twice, and the stopped one is not called running
    const again = await pmx.ok(['resurrect']);
    expect(again).toContain(`Resurrected 0 processes from ${join(pmx.home, 'dump.pmx')} (2 already here, left as they are: 1 running, 1 stopped or errored; 'pmx start <name>' starts one)`);
    expect((await pmx.jlist()).map((p) => [p.name, p.pm2_env.status, p.pid])).toEqual([['a', 'online', a.pid], ['c', 'stopped', 0]]);
  });

  it('never saves an empty list over a saved one without --force (and, as PM2, that is no failure)', async () => {
    await pmx.ok(['delete', 'all']);
    const refused = await pmx.run(['save']);
    expect(refused.code).toBe(0);
    expect(refused.stderr).toContain('empty');
    expect(refused.stderr).toContain('the saved list is kept');
    expect(JSON.parse(readFileSync(join(pmx.home, 'dump.pmx'), 'utf8')).processes).toHaveLength(2);
    await pmx.ok(['save', '--force']);
    expect(JSON.parse(readFileSync(join(pmx.home, 'dump.pmx'), 'utf8')).processes).toHaveLength(0);
  });

  it('resurrects from the previous dump when the dump was torn by a crash', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'kept']);
    await pmx.ok(['save']);
    await pmx.ok(['save']); // the .bak now holds 'kept' too
    writeFileSync(join(pmx.home, 'dump.pmx'), '{"pmx_dump":1,"processes":[{"pm_'); // torn write
    await pmx.ok(['delete', 'all']);
    expect(await pmx.ok(['resurrect'])).toContain(`Resurrected 1 process from ${join(pmx.home, 'dump.pmx.bak')}`);
    expect((await pmx.jlist()).map((p) => p.name)).toEqual(['kept']);
  });
});

describe('the agent', () => {
  it('is replaced after a crash: the stale socket is taken over, and so are the processes it ran', async () => {
    const oldAgent = pmx.agentPid()!;
    const app = await pmx.proc('kept');
    process.kill(oldAgent, 'SIGKILL');
    await eventually('the agent to die', () => !alive(oldAgent));
    expect(existsSync(join(pmx.home, 'agent.sock'))).toBe(true); // stale
    const list = await pmx.jlist(); // starts a new agent
    expect(pmx.agentPid()).not.toBe(oldAgent);
    expect(list.map((entry) => [entry.name, entry.pid])).toEqual([['kept', app.pid]]);
  });

  it('update restarts the agent and brings the saved processes back', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'survivor', '--namespace', 'keep']);
    const before = await pmx.proc('survivor');
    const oldAgent = pmx.agentPid()!;
    const out = await pmx.ok(['update']);
    expect(out).toContain('Resurrected 2 processes'); // survivor, and kept, taken over after the crash above
    expect(alive(oldAgent)).toBe(false);
    expect(pmx.agentPid()).not.toBe(oldAgent);
    const after = await pmx.proc('survivor');
    expect(after.pm2_env.status).toBe('online');
    expect(after.pm2_env.namespace).toBe('keep');
    expect(after.pm_id).toBe(before.pm_id);
    expect(after.pid).not.toBe(before.pid);
  });

  it('an app errored when it was saved (a crash loop given up on) comes back errored, not stopped as if asked to', async () => {
    await pmx.ok(['delete', 'all']);
    writeFileSync(join(pmx.dir, 'crashes.js'), 'process.exit(3);\n');
    await pmx.ok(['start', join(pmx.dir, 'crashes.js'), '-n', 'gaveup', '--max-restarts', '1', '--no-pmx']);
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'fine']);
    await eventually('the crash loop given up on', async () => (await pmx.proc('gaveup')).pm2_env.status === 'errored');
    await pmx.ok(['update']);
    expect((await pmx.jlist()).map((entry) => [entry.name, entry.pm2_env.status])).toEqual([
      ['gaveup', 'errored'],
      ['fine', 'online'],
    ]);
  });

  it('answers ping, and kill with no agent says so', async () => {
    expect(await pmx.ok(['ping'])).toContain('pong');
    await pmx.ok(['kill']);
    expect(await pmx.ok(['kill'])).toContain('No agent');
  });
  it("leaves out every saved instance of an app whose name is here already, as PM2 does (another script of that name got the dump's second instance beside it)", async () => {
    await pmx.run(['delete', 'all']);
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'web', '-i', '2'], { env: { MARK: 'saved' } });
    await pmx.ok(['save']);
    await pmx.ok(['kill']);
    await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'web']);
    const result = await pmx.ok(['resurrect']);
    expect(result).toContain('Resurrected 0 processes');
    const web = (await pmx.jlist()).filter((p) => p.name === 'web');
    expect(web.map((p) => [p.pm2_env.pm_exec_path, p.pm2_env.exec_mode])).toEqual([[join(apps, 'ticker.js'), 'fork_mode']]);
    await pmx.ok(['delete', 'all']);
    await pmx.ok(['save', '--force']);
  });
});
