// `pmx save` while a stop or a delete is under way (an app that takes its kill_timeout to end):
// the dump once recorded both as `stopping`, and a resurrect (or `pmx update`) then started the
// stopped app again and brought the deleted one back. A save records where the requests under way
// take each process: a delete leaves it out, a stop records it stopped by a command.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually } from '../helpers/pmx.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-save-stopping-');
afterAll(() => pmx.cleanup());

interface Saved {
  status: string;
  stopped_by?: string;
  spec: { name: string };
}
const saved = (): Saved[] => (JSON.parse(readFileSync(join(pmx.home, 'dump.pmx'), 'utf8')) as { processes: Saved[] }).processes;

describe('save during a stop or a delete', () => {
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
});
