// Cluster mode and zero-downtime reload against real HTTP clients: every request answered.
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect as connectH2 } from 'node:http2';
import { get as getTls } from 'node:https';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../../helpers/pmx.js';
import { freePort } from '../../helpers/net.js';
import { getReply, loadUntil } from '../../helpers/http-load.js';

const apps = join(FIXTURES, 'apps');
/** A loaded machine can take longer than the default 3 s to boot a replacement: these tests are about requests, not that limit. */
const LISTEN_TIMEOUT = ['--listen-timeout', '30000'];
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

describe('cluster mode', () => {
  let port: number;

  it('runs -i 2 instances of a Node app on one port, numbered by NODE_APP_INSTANCE', async () => {
    port = await freePort();
    await pmx.ok(['start', join(apps, 'http-plain.js'), '-i', '2', '-n', 'web', ...LISTEN_TIMEOUT], { env: { PORT: String(port), GREETING: 'one' } });
    const list = await pmx.jlist();
    expect(list.map((p) => [p.name, p.pm2_env.exec_mode, p.pm2_env.NODE_APP_INSTANCE])).toEqual([
      ['web', 'cluster_mode', 0],
      ['web', 'cluster_mode', 1],
    ]);
    const agent = new Agent({ keepAlive: false });
    const replies = await eventually('both instances to answer', async () => {
      const seen = new Map<string, number>();
      for (let i = 0; i < 10; i++) {
        const reply = await getReply(port, agent);
        seen.set(reply.instance, reply.pid);
      }
      return seen.size === 2 ? seen : null;
    });
    expect([...replies.keys()].sort()).toEqual(['0', '1']);
  });

  it('reloads under kept-alive load without a single failed request, keeping instance numbers', async () => {
    const before = await pmx.jlist();
    let reloaded!: () => void;
    const finished = new Promise<void>((resolve) => (reloaded = resolve));
    const running = loadUntil(port, 8, finished);
    // let the load run, reload twice while it runs, then let it run a little more
    await eventually('some answers', async () => true);
    await pmx.ok(['reload', 'web']);
    await pmx.ok(['reload', 'web']);
    reloaded();
    const { answered, failures, pids } = await running;
    expect([...new Set(failures)], `${failures.length} failures`).toEqual([]);
    expect(answered).toBeGreaterThan(50);
    const after = await pmx.jlist();
    expect(after.map((p) => p.pm2_env.NODE_APP_INSTANCE)).toEqual([0, 1]);
    expect(after.every((p) => p.pm2_env.restart_time === 2 && p.pm2_env.status === 'online')).toBe(true);
    for (const old of before) expect(alive(old.pid)).toBe(false);
    expect(pids.size).toBeGreaterThanOrEqual(4);
  });

  it('applies --update-env on reload', async () => {
    await pmx.ok(['reload', 'web', '--update-env'], { env: { PORT: String(port), GREETING: 'two' } });
    expect((await getReply(port, new Agent({ keepAlive: false }))).greeting).toBe('two');
  });

  it('aborts a reload whose replacement crashes, and the old instances keep serving', async () => {
    const before = await pmx.jlist();
    const result = await pmx.run(['reload', 'web', '--update-env'], { env: { PORT: String(port), GREETING: 'three', CRASH: '1' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('reload of web (id 0) aborted');
    const after = await pmx.jlist();
    expect(after.map((p) => p.pid)).toEqual(before.map((p) => p.pid));
    expect((await getReply(port, new Agent({ keepAlive: false }))).greeting).toBe('two');
    // the list tells what the serving children run: not the environment the aborted reload brought
    expect(after.map((p) => [p.pm2_env.env.GREETING, p.pm2_env.env.CRASH])).toEqual(before.map((p) => [p.pm2_env.env.GREETING, p.pm2_env.env.CRASH]));
    expect(after.every((p) => p.pm2_env.env.CRASH === undefined)).toBe(true);
  });

  it("startOrReload of a file whose first app's new code crashes: that app's list and children stay as they were (the list showed the new environment on all), and the file's other apps are still reloaded, as PM2 goes on to them", async () => {
    const [frailPort, soundPort] = [await freePort(), await freePort()];
    const file = join(pmx.dir, 'two-apps.config.js');
    const write = (greeting: string, crash: boolean): void => writeFileSync(file, `module.exports = { apps: ${JSON.stringify([
      { name: 'frail', script: join(apps, 'http-plain.js'), instances: 2, exec_mode: 'cluster', listen_timeout: 30000, env: { PORT: String(frailPort), GREETING: greeting, ...(crash ? { CRASH: '1' } : {}) } },
      { name: 'sound', script: join(apps, 'http-plain.js'), instances: 2, exec_mode: 'cluster', listen_timeout: 30000, env: { PORT: String(soundPort), GREETING: greeting } },
    ])} };\n`);
    write('one', false);
    await pmx.ok(['start', file]);
    const before = (await pmx.jlist()).filter((p) => p.name === 'frail');
    write('two', true);
    const result = await pmx.run(['startOrReload', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`reload of frail \\(id ${before[0]!.pm_id}\\) aborted: .*; not reloaded, running as they were: frail \\(id ${before[1]!.pm_id}\\)`));
    const after = await pmx.jlist();
    const frail = after.filter((p) => p.name === 'frail');
    expect(frail.map((p) => [p.pid, p.pm2_env.env.GREETING, p.pm2_env.env.CRASH])).toEqual(before.map((p) => [p.pid, 'one', undefined]));
    expect(after.filter((p) => p.name === 'sound').map((p) => [p.pm2_env.status, p.pm2_env.restart_time, p.pm2_env.env.GREETING])).toEqual([['online', 1, 'two'], ['online', 1, 'two']]);
    expect((await getReply(frailPort, new Agent({ keepAlive: false }))).greeting).toBe('one');
    expect((await getReply(soundPort, new Agent({ keepAlive: false }))).greeting).toBe('two');
    await pmx.ok(['delete', file]);
  });

  it('reloads an app that waits for ready and closes on SIGINT, two instances at once, without a failure', async () => {
    const readyPort = await freePort();
    await pmx.ok(['start', join(apps, 'http-ready.js'), '-i', '2', '-n', 'ready', '--wait-ready', ...LISTEN_TIMEOUT], { env: { PORT: String(readyPort) } });
    let reloaded!: () => void;
    const running = loadUntil(readyPort, 8, new Promise<void>((resolve) => (reloaded = resolve)));
    await pmx.ok(['reload', 'ready', '--parallel', '2']);
    reloaded();
    const { answered, failures } = await running;
    expect([...new Set(failures)], `${failures.length} failures`).toEqual([]);
    expect(answered).toBeGreaterThan(20);
    expect((await pmx.jlist()).filter((p) => p.name === 'ready').every((p) => p.pm2_env.restart_time === 1)).toBe(true);
    await pmx.ok(['delete', 'ready']);
  });

  it('startOrReload <file> and reload <file> reload one instance at a time, without a failed request', async () => {
    const filePort = await freePort();
    const file = join(pmx.dir, 'filed.config.js');
    writeFileSync(file, `module.exports = { apps: [{ name: 'filed', script: ${JSON.stringify(join(apps, 'http-ready.js'))}, instances: 2, exec_mode: 'cluster', wait_ready: true, listen_timeout: 30000, env: { PORT: '${filePort}' } }] };\n`);
    await pmx.ok(['start', file]);
    let reloaded!: () => void;
    const running = loadUntil(filePort, 8, new Promise<void>((resolve) => (reloaded = resolve)));
    await pmx.ok(['startOrReload', file]);
    await pmx.ok(['reload', file]);
    reloaded();
    const { answered, failures } = await running;
    expect([...new Set(failures)], `${failures.length} failures`).toEqual([]);
    expect(answered).toBeGreaterThan(20);
    expect((await pmx.jlist()).filter((p) => p.name === 'filed').map((p) => [p.pm2_env.status, p.pm2_env.restart_time])).toEqual([['online', 2], ['online', 2]]);
    await pmx.ok(['delete', 'filed']);
  });

  it('scales up and down', async () => {
    await pmx.ok(['scale', 'web', '4']);
    expect((await pmx.jlist()).map((p) => p.pm2_env.NODE_APP_INSTANCE)).toEqual([0, 1, 2, 3]);
    // as PM2, scaling down removes the oldest processes, and scaling up takes the free numbers
    await pmx.ok(['scale', 'web', '-3']);
    const left = await pmx.jlist();
    expect(left.map((p) => p.pm2_env.NODE_APP_INSTANCE)).toEqual([3]);
    await pmx.ok(['scale', 'web', '+1']);
    expect((await pmx.jlist()).map((p) => p.pm2_env.NODE_APP_INSTANCE)).toEqual([3, 0]);
  });

  describe('a request still running when its worker is replaced', () => {
    /** How each kind of server is made: HTTP, HTTPS with the key and certificate in $TLS_DIR, HTTP/2 without TLS (h2c). */
    const SERVERS = {
      http: { setup: [], create: "require('node:http').createServer(" },
      https: {
        setup: [
          "const { readFileSync } = require('node:fs');",
          "const tls = { key: readFileSync(process.env.TLS_DIR + '/key.pem'), cert: readFileSync(process.env.TLS_DIR + '/cert.pem') };",
        ],
        create: "require('node:https').createServer(tls, ",
      },
      h2c: { setup: [], create: "require('node:http2').createServer(" },
    };
    /** Answers /slow after $SLOW_MS with its pid; says on stdout when a request came in. */
    const slowApp = (dir: string, kind: keyof typeof SERVERS = 'http'): string => {
      const file = join(dir, `slow-${kind}.js`);
      writeFileSync(file, [
        ...SERVERS[kind].setup,
        `${SERVERS[kind].create}(req, res) => {`,
        "  console.log('request in');",
        '  setTimeout(() => res.end(String(process.pid)), Number(process.env.SLOW_MS));',
        "}).listen(Number(process.env.PORT), '127.0.0.1');",
      ].join('\n'));
      return file;
    };
    /** One GET of /slow over HTTP/2 on a session of its own: the body, or the error that ended it (a stream cut ends with an empty body). */
    const slowH2Get = (slowPort: number): Promise<{ body: string } | { error: string }> =>
      new Promise((resolve) => {
        const session = connectH2(`http://127.0.0.1:${slowPort}`);
        session.on('error', (error) => resolve({ error: error.message }));
        const stream = session.request({ ':path': '/slow' });
        let body = '';
        stream.on('data', (chunk: Buffer) => (body += chunk.toString()));
        stream.on('end', () => resolve(body === '' ? { error: 'stream ended without a body' } : { body }));
        stream.on('error', (error) => resolve({ error: error.message }));
        stream.on('close', () => session.close());
      });
    /** One GET of /slow on a fresh connection (over TLS with `tls`): the body, or the error that ended it. */
    const slowGet = (slowPort: number, tls = false): Promise<{ body: string } | { error: string }> =>
      new Promise((resolve) => {
        const req = (tls ? getTls : get)({ host: '127.0.0.1', port: slowPort, path: '/slow', agent: false, rejectUnauthorized: false }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ body }));
          res.on('error', (error) => resolve({ error: error.message }));
        });
        req.on('error', (error) => resolve({ error: error.message }));
      });

    /** Starts a slow app of `kind`, sends it a request, reloads it while the request runs: the request's answer. */
    const reloadDuringRequest = async (name: string, kind: keyof typeof SERVERS, env: Record<string, string> = {}) => {
      const slowPort = await freePort();
      await pmx.ok(['start', slowApp(pmx.dir, kind), '-i', '1', '-n', name, ...LISTEN_TIMEOUT], { env: { PORT: String(slowPort), SLOW_MS: '5000', ...env } });
      const [old] = await pmx.jlist().then((list) => list.filter((p) => p.name === name));
      const reply = kind === 'h2c' ? slowH2Get(slowPort) : slowGet(slowPort, kind === 'https');
      await eventually('the request to reach the worker', async () => (await pmx.ok(['logs', name, '--nostream', '--lines', '5'])).includes('request in'));
      await pmx.ok(['reload', name]);
      const answer = await reply;
      await pmx.ok(['delete', name]);
      return { answer, oldPid: old!.pid };
    };

    it('is answered by the old worker: the reload waits for it (up to drain_timeout, 30 s by default)', async () => {
      const { answer, oldPid } = await reloadDuringRequest('slow', 'http');
      expect(answer).toEqual({ body: String(oldPid) });
    });

    it('is answered by the old worker over HTTPS too (its requests are counted on the TCP connection the drain tracks)', async () => {
      const tlsDir = join(pmx.dir, 'tls');
      mkdirSync(tlsDir);
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tlsDir, 'key.pem'), '-out', join(tlsDir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
      const { answer, oldPid } = await reloadDuringRequest('slow-tls', 'https', { TLS_DIR: tlsDir });
      expect(answer).toEqual({ body: String(oldPid) });
    });

    it('is answered by the old worker over HTTP/2 too (its session is closed gracefully: open streams finish)', async () => {
      const { answer, oldPid } = await reloadDuringRequest('slow-h2', 'h2c');
      expect(answer).toEqual({ body: String(oldPid) });
    });

    it("overlaps the drains of an app's instances: with connections that never end, a reload takes one drain_timeout, not one per instance (each waited out the one before)", async () => {
      const slowPort = await freePort();
      const file = join(pmx.dir, 'overlap.config.js');
      writeFileSync(file, `module.exports = { apps: [${JSON.stringify({ name: 'held-open', script: slowApp(pmx.dir), instances: 2, exec_mode: 'cluster', drain_timeout: '5s', listen_timeout: 30000, env: { PORT: String(slowPort), SLOW_MS: '600000' } })}] };`);
      await pmx.ok(['start', file]);
      const pids = (await pmx.jlist()).filter((p) => p.name === 'held-open').map((p) => p.pid);
      // a request that never ends held by each worker (node's cluster hands connections round-robin)
      const replies = [slowGet(slowPort), slowGet(slowPort), slowGet(slowPort), slowGet(slowPort)];
      await eventually('a request held by each worker', async () => (await pmx.ok(['logs', 'held-open', '--nostream', '--lines', '10', '--out', '--raw'])).split('\n').filter((line) => line === 'request in').length >= 4);
      await pmx.ok(['reload', 'held-open']);
      await Promise.all(replies);
      const cuts = readFileSync(join(pmx.home, 'agent.log'), 'utf8').split('\n').filter((line) => /held-open \(id \d+\): the replaced worker \(pid (\d+)\) still held connections after drain_timeout \(5000 ms\)/.test(line));
      expect(cuts.map((line) => Number(/pid (\d+)/.exec(line)![1])).sort()).toEqual([...pids].sort());
      // one after the other, the second cut came a whole drain_timeout (5 s) after the first; together, a replacement's boot apart
      const [first, second] = cuts.map((line) => Date.parse(line.split(' ')[0]!));
      expect(second! - first!).toBeLessThan(2500);
      await pmx.ok(['delete', 'held-open']);
    }, 30_000);

    it('is cut once drain_timeout has passed, and the agent log says so', async () => {
      const slowPort = await freePort();
      const file = join(pmx.dir, 'drain.config.js');
      writeFileSync(file, `module.exports = { apps: [${JSON.stringify({ name: 'short-drain', script: slowApp(pmx.dir), instances: 1, exec_mode: 'cluster', drain_timeout: '3s', listen_timeout: 30000, env: { PORT: String(slowPort), SLOW_MS: '8000' } })}] };`);
      await pmx.ok(['start', file]);
      const reply = slowGet(slowPort);
      await eventually('the request to reach the worker', async () => (await pmx.ok(['logs', 'short-drain', '--nostream', '--lines', '5'])).includes('request in'));
      await pmx.ok(['reload', 'short-drain']);
      expect(await reply).toHaveProperty('error');
      const log = readFileSync(join(pmx.home, 'agent.log'), 'utf8');
      expect(log).toMatch(/short-drain \(id \d+\): the replaced worker \(pid \d+\) still held connections after drain_timeout \(3000 ms\): they are cut as it stops/);
      await pmx.ok(['delete', 'short-drain']);
    });
  });
});

describe("a cluster worker's environment", () => {
  const own = new PmxSandbox();
  afterAll(() => own.cleanup());

  it("is its app's alone, as a fork-mode child's: nothing of the shell that started the agent (node:cluster adds the primary's)", async () => {
    // the agent starts from a shell that has a variable of its own
    await own.ok(['ping'], { env: { SHELL_OF_AGENT: 'not-the-apps' } });
    const show = { SHOW: 'SHELL_OF_AGENT,FROM_APP' };
    await own.ok(['start', join(apps, 'env.js'), '-i', '1', '-n', 'clustered'], { env: { ...show, FROM_APP: 'yes' } });
    await own.ok(['start', join(apps, 'env.js'), '-n', 'forked'], { env: { ...show, FROM_APP: 'yes' } });
    const printed = async (name: string): Promise<unknown> => {
      const line = await eventually(`${name} to print`, async () => (await own.ok(['logs', name, '--nostream', '--raw', '--lines', '1', '--out'])).split('\n').find((text) => text.startsWith('{')) ?? null);
      return JSON.parse(line);
    };
    expect(await printed('clustered')).toEqual({ SHELL_OF_AGENT: null, FROM_APP: 'yes' });
    expect(await printed('forked')).toEqual({ SHELL_OF_AGENT: null, FROM_APP: 'yes' });
  });
});


describe('a reload after a worker crashed', () => {
  it('waits for the replacement to listen when the app served a port before, though the restarted worker it replaces has not listened yet: no success is claimed while nothing listens', async () => {
    const port = await freePort();
    const gate = join(pmx.dir, 'listen-gate');
    writeFileSync(gate, '');
    await pmx.ok(['start', join(apps, 'slow-listen.js'), '-i', '1', '-n', 'gated', '--listen-timeout', '4000'], { env: { PORT: String(port), LISTEN_GATE: gate } });
    const first = await pmx.proc('gated');
    expect((await getReply(port)).pid).toBe(first.pid);
    // from now on a worker boots and stays up but does not listen (a bad config, a dependency down)
    rmSync(gate);
    process.kill(first.pid, 'SIGKILL');
    const restarted = await eventually('the crashed worker restarted', async () => {
      const entry = await pmx.proc('gated');
      return entry.pid > 0 && entry.pid !== first.pid && entry.pm2_env.status === 'online' ? entry : null;
    });
    const result = await pmx.run(['reload', 'gated']);
    // a replacement that only stayed up min_uptime was taken as ready: the reload said it succeeded
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(1);
    expect(result.stderr).toContain('reload of gated (id');
    // the worker it was to replace still runs, tracked
    const after = await pmx.proc('gated');
    expect([after.pid, alive(after.pid)]).toEqual([restarted.pid, true]);
    // once the app can listen again, a reload goes through and the port answers
    writeFileSync(gate, '');
    await pmx.ok(['reload', 'gated']);
    const served = await pmx.proc('gated');
    expect((await getReply(port)).pid).toBe(served.pid);
    await pmx.ok(['delete', 'gated']);
  });
});
