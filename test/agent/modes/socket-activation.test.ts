// Cluster mode for any language: the agent opens the port and passes it as fd 3 (LISTEN_FDS) to
// each instance of a Python server; a reload swaps them without a refused or failed request.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PmxSandbox, ROOT, alive, eventually } from '../../helpers/pmx.js';
import { freePort } from '../../helpers/net.js';
import { getReply, loadUntil } from '../../helpers/http-load.js';

const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());
const server = join(ROOT, 'examples/socket-activation/server.py');

describe('socket activation', () => {
  let port: number;

  it('runs two Python instances on one port the agent opened', async () => {
    port = await freePort();
    // a kill_timeout that a loaded machine never reaches: the old server finishes what it accepted
    // (python's shutdown waits for its poll interval and its threads), and is never SIGKILLed mid-request
    await pmx.ok(['start', server, '-n', 'py', '-i', '2', '--listen', `127.0.0.1:${port}`, '--kill-timeout', '15000'], { env: { GREETING: 'one' } });
    const list = await pmx.jlist();
    expect(list.map((p) => p.pm2_env.exec_interpreter)).toEqual(['python3', 'python3']);
    const pids = await eventually('both instances to answer', async () => {
      const seen = new Set<number>();
      for (let i = 0; i < 30; i++) seen.add((await getReply(port)).pid);
      return seen.size === 2 ? seen : null;
    });
    expect([...pids].sort()).toEqual(list.map((p) => p.pid).sort());
  });

  it('reloads one instance at a time with every request answered', async () => {
    const before = await pmx.jlist();
    let reloaded!: () => void;
    const running = loadUntil(port, 4, new Promise<void>((resolve) => (reloaded = resolve)), { keepAlive: false });
    try {
      await pmx.ok(['reload', 'py', '--update-env'], { env: { GREETING: 'two' } });
    } finally {
      reloaded();
    }
    const { answered, failures } = await running;
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(20);
    for (const old of before) expect(alive(old.pid)).toBe(false);
    expect((await getReply(port)).greeting).toBe('two');
  });

  it('closes the port when the app is deleted', async () => {
    await pmx.ok(['delete', 'py']);
    await expect(getReply(port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('two starts of one file of socket-activated apps at once: both succeed, one copy of each app, no EADDRINUSE on pmx\'s own sockets', async () => {
    await pmx.run(['delete', 'all']); // what the tests before left, if anything
    const ports = await Promise.all(Array.from({ length: 6 }, () => freePort()));
    const file = join(pmx.dir, 'listening.config.js');
    const apps = ports.map((port, i) => ({ name: `l${i}`, script: join(ROOT, 'test/fixtures/apps/slow-listen.js'), listen: `127.0.0.1:${port}`, env: { LISTEN_DELAY: '0' } }));
    writeFileSync(file, `module.exports = ${JSON.stringify({ apps })};`);
    const [first, second] = await Promise.all([pmx.run(['start', file]), pmx.run(['start', file])]);
    expect(first.stderr + second.stderr).not.toContain('EADDRINUSE');
    expect([first.code, second.code]).toEqual([0, 0]);
    expect((await pmx.jlist()).map((entry) => entry.name).sort()).toEqual(apps.map((app) => app.name).sort());
    for (const port of ports) await eventually(`an answer on ${port}`, () => getReply(port).catch(() => null));
  });
});
