// Commands that come while a stop or a delete is under way (an app that takes its kill_timeout to
// end). `pmx save` once recorded both as `stopping`, and a resurrect (or `pmx update`) then started
// the stopped app again and brought the deleted one back: a save records where the requests under
// way take each process. A `pmx start` of the app said "already launched" (exit 1) and the app
// ended stopped or deleted, and a resurrect counted the apps being deleted as "already running":
// the later command wins, as PM2 restarts an app that is not online.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-save-stopping-');
afterAll(() => pmx.cleanup());

interface Saved {
  status: string;
  stopped_by?: string;
  spec: { name: string };
}
const saved = (): Saved[] => (JSON.parse(readFileSync(join(pmx.home, 'dump.pmx'), 'utf8')) as { processes: Saved[] }).processes;

describe('commands during a stop or a delete', () => {
  it('leaves out the app being deleted, records the one being stopped as stopped; a resurrect then starts neither', async () => {
    for (const name of ['deleting', 'stopping']) {
      await pmx.ok(['start', join(apps, 'stubborn.js'), '-n', name, '--kill-timeout', '4000'], { env: { PID_FILE: join(pmx.dir, `${name}.pid`) } });
    }
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'running']);
    const deleting = pmx.run(['delete', 'deleting']);
    const stopping = pmx.run(['stop', 'stopping']);
    await eventually('both apps stopping', async () => (await pmx.jlist()).filter((entry) => entry.pm2_env.status === 'stopping').length === 2);
    const save = await pmx.run(['save']);
    expect(save.code, save.stderr).toBe(0);
    expect((await pmx.jlist()).filter((entry) => entry.pm2_env.status === 'stopping').length).toBe(2); // the save came during both
    expect(saved().map((entry) => [entry.spec.name, entry.status, entry.stopped_by])).toEqual([
      ['stopping', 'stopped', 'command'],
      ['running', 'online', undefined],
    ]);
    expect((await deleting).code).toBe(0);
    expect((await stopping).code).toBe(0);
    await pmx.ok(['kill']);
    await pmx.ok(['resurrect']);
    expect((await pmx.jlist()).map((entry) => [entry.name, entry.pm2_env.status])).toEqual([
      ['stopping', 'stopped'],
      ['running', 'online'],
    ]);
  });

  it('a start of an app being stopped starts it again: the later command wins', async () => {
    await pmx.ok(['start', join(apps, 'stubborn.js'), '-n', 'restopped', '--kill-timeout', '4000'], { env: { PID_FILE: join(pmx.dir, 'restopped.pid') } });
    const stopping = pmx.run(['stop', 'restopped']);
    await eventually('the app stopping', async () => (await pmx.proc('restopped')).pm2_env.status === 'stopping');
    const started = await pmx.run(['start', join(apps, 'stubborn.js'), '-n', 'restopped'], { env: { PID_FILE: join(pmx.dir, 'restopped.pid') } });
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).not.toContain('already launched');
    await stopping;
    const after = (await pmx.jlist()).filter((entry) => entry.name === 'restopped');
    expect(after.map((entry) => entry.pm2_env.status)).toEqual(['online']);
    expect(alive(after[0]!.pid)).toBe(true);
  });

  it('a start of an app being deleted waits for the delete, then starts it anew', async () => {
    await pmx.ok(['start', join(apps, 'stubborn.js'), '-n', 'redeleted', '--kill-timeout', '3000'], { env: { PID_FILE: join(pmx.dir, 'redeleted.pid') } });
    const before = (await pmx.proc('redeleted')).pid;
    const deleting = pmx.run(['delete', 'redeleted']);
    await eventually('the app being deleted', async () => (await pmx.proc('redeleted')).pm2_env.status === 'stopping');
    const started = await pmx.run(['start', join(apps, 'stubborn.js'), '-n', 'redeleted'], { env: { PID_FILE: join(pmx.dir, 'redeleted.pid') } });
    expect(started.code, started.stderr).toBe(0);
    expect((await deleting).code).toBe(0);
    const after = (await pmx.jlist()).filter((entry) => entry.name === 'redeleted');
    expect(after.map((entry) => entry.pm2_env.status)).toEqual(['online']);
    expect(after[0]!.pid).not.toBe(before);
    expect(alive(before)).toBe(false);
  });

  it('a resurrect during a delete of the saved apps waits for it, then starts them: not "already running"', async () => {
    await pmx.ok(['delete', 'all']);
    await pmx.ok(['start', join(apps, 'stubborn.js'), '-n', 'saved-slow', '--kill-timeout', '3000'], { env: { PID_FILE: join(pmx.dir, 'saved-slow.pid') } });
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'saved-quick']);
    await pmx.ok(['save']);
    const deleting = pmx.run(['delete', 'all']);
    await eventually('the slow app being deleted', async () => (await pmx.proc('saved-slow')).pm2_env.status === 'stopping');
    const resurrected = await pmx.run(['resurrect']);
    expect(resurrected.code, resurrected.stderr).toBe(0);
    expect(resurrected.stdout).not.toContain('already running');
    expect((await deleting).code).toBe(0);
    expect((await pmx.jlist()).map((entry) => [entry.name, entry.pm2_env.status])).toEqual([
      ['saved-slow', 'online'],
      ['saved-quick', 'online'],
    ]);
  });
});
