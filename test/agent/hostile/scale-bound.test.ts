// `pmx scale app 100000`: refused with the documented limit and nothing spawned; a large scale
// within the limit spawns in batches, and the agent answers `list` between them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PmxSandbox, type JlistEntry } from '../../helpers/pmx.js';
import { RawClient } from './socket-client.js';

const pmx = new PmxSandbox();
beforeAll(() => pmx.ok(['start', 'sleep', '-n', 'many', '--', '1000']));
afterAll(() => pmx.cleanup());

describe('scale', () => {
  it.each(['100000', '+1024', '1025'])('refuses `scale many %s`, naming the limit of 1024 instances, and starts nothing', async (count) => {
    const result = await pmx.run(['scale', 'many', count]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/scale: many would have \d+ instances; an app has at most 1024/);
    expect((await pmx.jlist()).length).toBe(1);
  });

  it('answers list while it spawns 300 instances, showing them come up', async () => {
    const socket = join(pmx.home, 'agent.sock');
    const [scaler, lister] = await Promise.all([RawClient.open(socket), RawClient.open(socket)]);
    scaler.send({ id: 1, method: 'scale', params: { name: 'many', count: '300' } });
    const scaled = scaler.reply(1);
    let done = false;
    void scaled.then(() => (done = true));
    const seenWhileScaling: number[] = [];
    for (let id = 1; !done; id++) {
      const reply = await lister.call(id, 'list', {});
      if (!done) seenWhileScaling.push((reply.result as JlistEntry[]).length);
    }
    expect((await scaled).ok).toBe(true);
    // a list answered in the middle: more than the one instance, fewer than all of them
    expect(seenWhileScaling.some((count) => count > 1 && count < 300), `counts seen: ${seenWhileScaling.join(', ')}`).toBe(true);
    const all = await pmx.jlist();
    expect(all.length).toBe(300);
    expect(all.every((proc) => proc.pm2_env.status === 'online')).toBe(true);
    expect(new Set(all.map((proc) => proc.pm2_env.NODE_APP_INSTANCE)).size).toBe(300);
    scaler.close();
    lister.close();
    expect((await pmx.run(['delete', 'all'], { timeoutMs: 100_000 })).code).toBe(0);
  }, 180_000);
});
