// The agent writes `list` from JSON text made piece by piece (each spec serialized once), and every
// other answer from objects: both must say the same. A stopped process does not change, so the
// entries a `stop` answered with and those `list` gives afterwards are compared whole; `brief`
// leaves the environment out and nothing else.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox } from '../helpers/pmx.js';
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
