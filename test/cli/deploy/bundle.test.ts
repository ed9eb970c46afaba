// The bundle's install and the stale agent's restart, one command run by a real sh in a temporary
// HOME, with a stand-in `pmx` first on PATH that records its calls: the restart runs only after an
// install that succeeded, and its failure is told apart (RESTART_FAILED) from the install's.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASHRC_MARKER, installAndRestartCommand, RESTART_FAILED } from '../../../cli/deploy/bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-bundle-install-'));
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

const content = Buffer.from('// the pmx bundle, as far as this test is concerned\n');
const bundle = { sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length };

let count = 0;
/** A HOME with a stand-in pmx whose `ping` and `update` exit as asked; `agent`: a live socket at ~/.pmx/agent.sock. */
async function host(options: { agent: boolean; ping?: number; update?: number }): Promise<{ home: string; calls: () => string[]; run: (input: Buffer) => { code: number; stderr: string } }> {
  const home = join(dir, `home${++count}`);
  const bin = join(home, 'fake-bin');
  mkdirSync(join(home, '.pmx'), { recursive: true });
  mkdirSync(bin);
  const log = join(home, 'calls');
  // a pmx that was handed the install's lock (fd 9) says so: the agent an update starts would hold it for its life
  writeFileSync(join(bin, 'pmx'), `#!/bin/sh\necho "$1" >> ${log}\ntest -e /proc/$$/fd/9 && echo "$1 holds the install lock" >> ${log}\ncase "$1" in ping) exit ${options.ping ?? 0} ;; update) echo 'pmx update: the agent cannot be reached' >&2; exit ${options.update ?? 0} ;; esac\n`);
  chmodSync(join(bin, 'pmx'), 0o755);
  if (options.agent) {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(home, '.pmx', 'agent.sock'), resolve));
  }
  return {
    home,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    run: (input) => {
      const result = spawnSync('sh', ['-c', installAndRestartCommand(bundle, '/usr/bin/node')], { input, encoding: 'utf8', env: { HOME: home, PATH: `${bin}:/usr/bin:/bin` } });
      return { code: result.status ?? -1, stderr: result.stderr };
    },
  };
}

const installed = (home: string): string | null => (existsSync(join(home, '.pmx', 'pmx.cjs')) ? readFileSync(join(home, '.pmx', 'pmx.cjs'), 'utf8') : null);

describe('installing the bundle and restarting a stale agent, in one command', () => {
  it('installs with no agent running and asks nothing of pmx; a user with no ~/.bashrc gets one with the PATH line', async () => {
    const h = await host({ agent: false });
    expect(h.run(content).code).toBe(0);
    expect(readFileSync(join(h.home, '.bashrc'), 'utf8')).toContain(BASHRC_MARKER);
    expect(installed(h.home)).toBe(content.toString());
    expect(readFileSync(join(h.home, '.pmx', 'bundle.sha256'), 'utf8').trim()).toBe(bundle.sha256);
    expect(h.calls()).toEqual([]);
  });

  it('leaves an agent that answers alone, and updates one that does not', async () => {
    const answering = await host({ agent: true, ping: 0 });
    expect(answering.run(content).code).toBe(0);
    expect(answering.calls()).toEqual(['ping']);
    const stale = await host({ agent: true, ping: 1, update: 0 });
    expect(stale.run(content).code).toBe(0);
    expect(stale.calls()).toEqual(['ping', 'update']);
  });

  it(`exits ${RESTART_FAILED} when the restart fails, the new bundle in place`, async () => {
    const h = await host({ agent: true, ping: 1, update: 3 });
    const result = h.run(content);
    expect(result.code).toBe(RESTART_FAILED);
    expect(result.stderr.trim().split('\n').pop()).toBe('pmx update: the agent cannot be reached');
    expect(installed(h.home)).toBe(content.toString());
  });

  it('fails with the install, the old bundle kept and no restart tried, when the bundle cannot be written or arrives short', async () => {
    const blocked = await host({ agent: true, ping: 1, update: 3 });
    writeFileSync(join(blocked.home, '.pmx', 'pmx.cjs'), 'old');
    mkdirSync(join(blocked.home, '.pmx', 'pmx.cjs.pmx-new'));
    const failed = blocked.run(content);
    expect(failed.code).not.toBe(0);
    expect(failed.code).not.toBe(RESTART_FAILED);
    expect([installed(blocked.home), blocked.calls()]).toEqual(['old', []]);
    const short = await host({ agent: true, ping: 1, update: 3 });
    writeFileSync(join(short.home, '.pmx', 'pmx.cjs'), 'old');
    const cut = short.run(content.subarray(0, 10));
    expect([cut.code, cut.stderr]).toEqual([6, expect.stringContaining(`the bundle arrived incomplete (10 of ${bundle.bytes} bytes)`)]);
    expect([installed(short.home), short.calls()]).toEqual(['old', []]);
  });

  it('refuses a bundle of the right size whose sha256 differs, the old one kept', async () => {
    const h = await host({ agent: true, ping: 1, update: 3 });
    writeFileSync(join(h.home, '.pmx', 'pmx.cjs'), 'old');
    const garbled = Buffer.from(content);
    garbled[0] = garbled[0]! ^ 1;
    const result = h.run(garbled);
    expect([result.code, result.stderr]).toEqual([6, expect.stringContaining('the bundle arrived incomplete (its sha256 differs)')]);
    expect([installed(h.home), h.calls()]).toEqual(['old', []]);
  });

  it('waits for another install of the same user to end (two deploys upgrading one host at once wrote the same temporary files)', async () => {
    const h = await host({ agent: false });
    // another install under way: it holds the lock 1.5 s, and says whether the bundle was installed meanwhile
    const holder = spawn('sh', ['-c', 'exec 9>>"$HOME/.pmx/install.lock" && flock 9 && echo held && sleep 1.5 && if test -e "$HOME/.pmx/pmx.cjs"; then echo "installed meanwhile"; else echo waited; fi'], { env: { HOME: h.home, PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let said = '';
    holder.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const installing = new Promise<number | null>((resolve) => {
      const child = spawn('sh', ['-c', installAndRestartCommand(bundle, '/usr/bin/node')], { env: { HOME: h.home, PATH: '/usr/bin:/bin' }, stdio: ['pipe', 'ignore', 'ignore'] });
      child.stdin.end(content);
      child.on('exit', resolve);
    });
    const [code] = await Promise.all([installing, new Promise((resolve) => holder.on('close', resolve))]);
    expect(said.trim().split('\n')).toEqual(['held', 'waited']);
    expect(code).toBe(0);
    expect(installed(h.home)).toBe(content.toString());
  });
});
