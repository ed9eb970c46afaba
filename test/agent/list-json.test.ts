// The agent writes `list` from JSON text made piece by piece (each spec serialized once), and every
// other answer from objects: both must say the same. A stopped process does not change, so the
// entries a `stop` answered with and those `list` gives afterwards are compared whole; `brief`
// leaves the environment out and nothing else.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { FIXTURES, PmxSandbox, eventually } from '../helpers/pmx.js';
import { RawClient } from './hostile/socket-client.js';

const pmx = new PmxSandbox('pmx-list-json-');
afterAll(() => pmx.cleanup());

describe('list as pre-serialized JSON', () => {
  it('gives what the object path gives, and brief only lacks the environment', async () => {
    const script = join(FIXTURES, 'apps/forever.js');
    await pmx.ok(['start', script, '-n', 'plain', '-i', '2', '--', 'an arg']);
    await pmx.ok(['start', script, '-n', 'with-env', '--max-memory-restart', '200M'], { env: { SECRETISH: 'x"y\\z\n', UNICODE: 'ünï' } });
    const client = await RawClient.open(join(pmx.home, 'agent.sock'));
    try {
      const stopped = await client.call(1, 'stop', { selector: { kind: 'all' } });
      expect(stopped.ok, JSON.stringify(stopped.error)).toBe(true);
      const fromObjects = stopped.result as { pm_id: number; pm2_env: Record<string, unknown> }[];
      expect(fromObjects).toHaveLength(3);
      const listed = await client.call(2, 'list', {});
      expect(listed.result).toEqual(fromObjects);
      // the same keys in the same order, as a script that prints them would see
      expect((listed.result as typeof fromObjects).map((entry) => Object.keys(entry.pm2_env))).toEqual(fromObjects.map((entry) => Object.keys(entry.pm2_env)));
      const brief = (await client.call(3, 'list', { brief: true })).result as typeof fromObjects;
      expect(brief).toEqual(fromObjects.map((entry) => ({ ...entry, pm2_env: { ...entry.pm2_env, env: {}, app_env: undefined } })));
      expect(JSON.stringify(brief)).not.toContain('SECRETISH');
      expect(JSON.stringify(listed.result)).toContain('x\\"y\\\\z\\n');
    } finally {
      client.close();
    }
  });
});

describe('unique_id', () => {
  it("is the app's own random UUID: what it was given in its environment, kept by a restart; a process deleted and started again gets another (it was made from namespace, name and id, the same on every host)", async () => {
    const script = join(FIXTURES, 'apps/env.js');
    // the id listed is the one the app prints (the log holds what each start printed, one line each)
    const started = async (): Promise<{ listed: string; seen: string }> => {
      const proc = await pmx.proc('uid');
      const listed = proc.pm2_env.unique_id as string;
      const seen = await eventually('the app to print the id listed', () => {
        const ids = readFileSync(proc.pm2_env.pm_out_log_path, 'utf8').trim().split('\n').filter(Boolean).map((line) => (JSON.parse(line) as Record<string, string>).unique_id);
        return ids.includes(listed) ? listed : null;
      });
      return { listed, seen };
    };
    await pmx.ok(['start', script, '-n', 'uid'], { env: { SHOW: 'unique_id' } });
    const first = await started();
    expect(first.seen).toBe(first.listed);
    expect(first.listed).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await pmx.ok(['restart', 'uid']);
    expect((await pmx.proc('uid')).pm2_env.unique_id).toBe(first.listed);
    await pmx.ok(['delete', 'uid']);
    await pmx.ok(['start', script, '-n', 'uid'], { env: { SHOW: 'unique_id' } });
    const second = await started();
    expect(second.seen).toBe(second.listed);
    expect(second.listed).not.toBe(first.listed);
    await pmx.ok(['delete', 'uid']);
  });
});
