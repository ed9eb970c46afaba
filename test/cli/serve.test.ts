// `pmx serve` and `script: 'serve'`: a managed static server with the right headers, ranges and
// 304s, SPA fallback and basic auth, that never hands out a file outside its root.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { PmxSandbox, ROOT, eventually } from '../helpers/pmx.js';
import { connect, type Socket } from 'node:net';
import { freePort } from '../helpers/net.js';

const pmx = new PmxSandbox('pmx-serve-');
const root = join(pmx.dir, 'site');
const SECRET = 'secret-outside-the-root';
let port: number;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request sent with its path exactly as written (no client-side normalisation). */
function fetchRaw(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const serving = (port: number, path = '/') => eventually(`a server on ${port}`, () => fetchRaw(port, path).catch(() => null), 10_000);

beforeAll(async () => {
  mkdirSync(join(root, 'assets'), { recursive: true });
  mkdirSync(join(pmx.dir, 'private'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>home</title>');
  writeFileSync(join(root, 'app.html'), '<!doctype html><title>spa shell</title>');
  writeFileSync(join(root, 'assets', 'style.css'), 'body { color: red }');
  writeFileSync(join(root, 'assets', 'main.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'data.json'), '{"a":1}');
  writeFileSync(join(root, 'assets', 'logo.svg'), '<svg/>');
  writeFileSync(join(root, 'digits.txt'), '0123456789');
  writeFileSync(join(pmx.dir, 'outside.txt'), SECRET);
  writeFileSync(join(pmx.dir, 'private', 'key.txt'), SECRET);
  symlinkSync(join(pmx.dir, 'outside.txt'), join(root, 'escape.txt'));
  symlinkSync(join(pmx.dir, 'private'), join(root, 'escape-dir'));
  symlinkSync(join(root, 'digits.txt'), join(root, 'inside-link.txt'));
  writeFileSync(join(root, '.env'), `TOKEN=${SECRET}`);
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'config'), SECRET);
  mkdirSync(join(root, '.well-known'));
  writeFileSync(join(root, '.well-known', 'security.txt'), 'Contact: mailto:security@example.com');
  port = await freePort();
  const out = await pmx.ok(['serve', root, String(port)], { env: { PM2_SERVE_HOST: '127.0.0.1' } });
  expect(out).toContain(`static-page-server-${port}`);
  await serving(port);
});
afterAll(() => pmx.cleanup());

describe('pmx serve', () => {
  it('runs as a managed app named static-page-server-<port>, with PM2_SERVE_* in its env', async () => {
    const entry = await pmx.proc(`static-page-server-${port}`);
    expect(entry.pm2_env.status).toBe('online');
    expect(entry.pm2_env.env.PM2_SERVE_PATH).toBe(root);
    expect(entry.pm2_env.env.PM2_SERVE_PORT).toBe(String(port));
  });

  it('answers with the content type of each file, and index.html for /', async () => {
    const types: Record<string, string> = {
      '/': 'text/html; charset=utf-8',
      '/assets/style.css': 'text/css; charset=utf-8',
      '/assets/main.js': 'text/javascript; charset=utf-8',
      '/assets/data.json': 'application/json; charset=utf-8',
      '/assets/logo.svg': 'image/svg+xml',
      '/digits.txt': 'text/plain; charset=utf-8',
    };
    for (const [path, type] of Object.entries(types)) {
      const reply = await fetchRaw(port, path);
      expect(reply.status, path).toBe(200);
      expect(reply.headers['content-type'], path).toBe(type);
    }
    expect((await fetchRaw(port, '/')).body).toContain('<title>home</title>');
    expect((await fetchRaw(port, '/assets/')).status).toBe(404);
  });

  it("redirects a directory named without its trailing slash to the name with one, so that its page's relative links resolve; never to another host", async () => {
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'index.html'), '<!doctype html><title>docs</title><link rel="stylesheet" href="docs.css">');
    const moved = await fetchRaw(port, '/docs?v=2');
    expect(moved.status).toBe(301);
    expect(moved.headers.location).toBe('/docs/?v=2');
    expect((await fetchRaw(port, '/docs/')).body).toContain('<title>docs</title>');
    expect((await fetchRaw(port, '//docs')).headers.location).toBe('/docs/');
    expect((await fetchRaw(port, '/assets')).headers.location).toBe('/assets/');
  });

  it('serves byte ranges with 206 and 416', async () => {
    const part = await fetchRaw(port, '/digits.txt', { Range: 'bytes=2-5' });
    expect(part.status).toBe(206);
    expect(part.body).toBe('2345');
    expect(part.headers['content-range']).toBe('bytes 2-5/10');
    expect(part.headers['content-length']).toBe('4');
    expect((await fetchRaw(port, '/digits.txt', { Range: 'bytes=-3' })).body).toBe('789');
    expect((await fetchRaw(port, '/digits.txt', { Range: 'bytes=7-' })).body).toBe('789');
    const beyond = await fetchRaw(port, '/digits.txt', { Range: 'bytes=20-30' });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe('bytes */10');
  });

  it('sends ETag and Last-Modified, and 304 when the client has the file', async () => {
    const first = await fetchRaw(port, '/assets/style.css');
    const etag = first.headers.etag!;
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.headers['last-modified']).toBeTruthy();
    expect(first.headers['cache-control']).toBe('public, max-age=0');
    const cached = await fetchRaw(port, '/assets/style.css', { 'If-None-Match': etag });
    expect(cached.status).toBe(304);
    expect(cached.body).toBe('');
    expect((await fetchRaw(port, '/assets/style.css', { 'If-Modified-Since': first.headers['last-modified']! })).status).toBe(304);
    expect((await fetchRaw(port, '/assets/style.css', { 'If-None-Match': 'W/"other"' })).status).toBe(200);
  });

  it('never serves a file outside the root: .., encoded .., backslashes, symlinks out', async () => {
    const attempts = [
      '/../outside.txt',
      '/assets/../../outside.txt',
      '/%2e%2e/outside.txt',
      '/%2E%2E%2Foutside.txt',
      '/assets/%2e%2e%2f%2e%2e%2foutside.txt',
      '/..%5coutside.txt',
      '/%252e%252e/outside.txt',
      '/escape.txt',
      '/escape-dir/key.txt',
      '/escape-dir/',
      '/digits.txt%00.html',
    ];
    for (const path of attempts) {
      const reply = await fetchRaw(port, path);
      expect([400, 403, 404], `${path} -> ${reply.status}`).toContain(reply.status);
      expect(reply.body, path).not.toContain(SECRET);
    }
    // a symlink that stays inside the root is fine
    expect((await fetchRaw(port, '/inside-link.txt')).body).toBe('0123456789');
  });

  it('never opens what a link out of the root points to: a writer blocked on a FIFO outside stays blocked', async () => {
    const fifo = join(pmx.dir, 'outside.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    symlinkSync(fifo, join(root, 'to-fifo'));
    // the writer's open returns only once something opens the FIFO for reading
    const writer = spawn('sh', ['-c', `echo released > ${fifo}`], { stdio: 'ignore' });
    const exited = new Promise<'released'>((resolve) => writer.once('exit', () => resolve('released')));
    try {
      expect((await fetchRaw(port, '/to-fifo')).status).toBe(403);
      // an open by the server would have happened before its answer; a second is ample for the
      // writer to be scheduled if it had been released (it never is: the test cannot fail by luck)
      expect(await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('blocked'), 1000))])).toBe('blocked');
    } finally {
      writer.kill('SIGKILL');
    }
  });

  it('does not serve dotfiles (.env, .git/) unless --dotfiles; .well-known/ is served', async () => {
    for (const path of ['/.env', '/.git/config', '/.git/', '/%2eenv', '/assets/%2E%67it/config']) {
      const reply = await fetchRaw(port, path);
      expect(reply.status, path).toBe(404);
      expect(reply.body, path).not.toContain(SECRET);
    }
    expect((await fetchRaw(port, '/.well-known/security.txt')).body).toContain('Contact:');
    const dotPort = await freePort();
    await pmx.ok(['serve', root, String(dotPort), '--dotfiles'], { env: { PM2_SERVE_HOST: '127.0.0.1' } });
    await serving(dotPort);
    expect((await fetchRaw(dotPort, '/.env')).body).toBe(`TOKEN=${SECRET}`);
  });

  it('keeps no file open for a client that goes away mid-download', async () => {
    writeFileSync(join(root, 'big.bin'), Buffer.alloc(16 * 1024 * 1024, 7));
    const server = (await pmx.jlist()).find((p) => p.name === `static-page-server-${port}`)!;
    const open = (): number => readdirSync(`/proc/${server.pid}/fd`).length;
    const before = open();
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/big.bin', agent: false }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (error) => (req.destroyed ? resolve() : reject(error)));
        req.end();
      });
    }
    // each abort is seen by the server as its connection closes: the descriptors go with them
    await eventually('the aborted downloads to let go of their files', () => open() <= before);
  });

  it('closes the connection of a download whose file shrank mid-send, instead of leaving a kept-alive client waiting for the bytes promised', async () => {
    const size = 32 * 1024 * 1024;
    writeFileSync(join(root, 'shrinks.bin'), Buffer.alloc(size, 7));
    const agent = new Agent({ keepAlive: true });
    try {
      const outcome = await new Promise<{ length: number; received: number; complete: boolean; waited: number }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/shrinks.bin', agent }, (res) => {
          // held while the file is cut to 1 MB: what the server has not read yet is gone
          res.pause();
          truncateSync(join(root, 'shrinks.bin'), 1024 * 1024);
          let received = 0;
          res.on('data', (chunk: Buffer) => (received += chunk.length));
          res.on('error', () => undefined);
          const resumed = Date.now();
          res.once('close', () => resolve({ length: Number(res.headers['content-length']), received, complete: res.complete, waited: Date.now() - resumed }));
          res.resume();
        });
        req.on('error', () => undefined);
        req.setTimeout(15_000, () => reject(new Error('the download neither ended nor was cut within 15 s')));
        req.end();
      });
      expect(outcome.length).toBe(size);
      expect(outcome.received).toBeLessThan(size);
      expect(outcome.complete).toBe(false);
      // cut as the file ran out, not by the server's 5 s keep-alive timeout on an idle connection
      expect(outcome.waited).toBeLessThan(2500);
    } finally {
      agent.destroy();
    }
  });

  it('holds at most its cap of connections (40 % of its descriptor limit): a flood of idle ones neither locks a client out nor runs it out of descriptors', async () => {
    const own = await freePort();
    // the server alone, under a limit of 64 descriptors (the flood with the default limit would be thousands)
    const child = spawn('prlimit', ['--nofile=64:64', process.execPath, join(ROOT, 'dist/agent/serve/server.js'), root, String(own), '127.0.0.1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const flood: Socket[] = [];
    try {
      await serving(own);
      let closedByServer = 0;
      for (let i = 0; i < 100; i++) {
        const socket = connect(own, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.on('close', () => closedByServer++);
        flood.push(socket);
        await new Promise((resolve) => socket.once('connect', resolve));
      }
      const reply = await fetchRaw(own, '/digits.txt');
      expect([reply.status, reply.body]).toEqual([200, '0123456789']);
      expect(child.exitCode).toBeNull();
      expect(readdirSync(`/proc/${child.pid}/fd`).length).toBeLessThan(64);
      // the longest idle went to make room: at least all past the cap of 25
      await eventually('the server to close the connections over its cap', () => closedByServer >= 100 - 25);
      expect(stderr).toContain('pmx serve: static server 127.0.0.1:' + own + ': 25 connections open (its cap)');
    } finally {
      for (const socket of flood) socket.destroy();
      child.kill();
    }
  });

  it('follows a root that is a symlink switched to another directory, as a deploy does', async () => {
    const releases = join(pmx.dir, 'releases');
    mkdirSync(join(releases, 'one'), { recursive: true });
    mkdirSync(join(releases, 'two'));
    writeFileSync(join(releases, 'one', 'index.html'), 'release one');
    writeFileSync(join(releases, 'two', 'index.html'), 'release two');
    const current = join(pmx.dir, 'current');
    symlinkSync(join(releases, 'one'), current);
    const livePort = await freePort();
    await pmx.ok(['serve', current, String(livePort)], { env: { PM2_SERVE_HOST: '127.0.0.1' } });
    expect((await serving(livePort)).body).toBe('release one');
    symlinkSync(join(releases, 'two'), `${current}.new`);
    renameSync(`${current}.new`, current);
    expect((await fetchRaw(livePort, '/index.html')).body).toBe('release two');
  });

  it('answers 404 for a missing file, and 405 for other methods', async () => {
    expect((await fetchRaw(port, '/missing.html')).status).toBe(404);
    const post = await fetchRaw(port, '/', {}, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('falls back to the home page with --spa', async () => {
    const spaPort = await freePort();
    await pmx.ok(['serve', root, String(spaPort), '--spa'], { env: { PM2_SERVE_HOST: '127.0.0.1' } });
    await serving(spaPort);
    const deep = await fetchRaw(spaPort, '/users/42/profile');
    expect(deep.status).toBe(200);
    expect(deep.body).toContain('<title>home</title>');
    expect((await fetchRaw(spaPort, '/assets/style.css')).body).toBe('body { color: red }');
    expect((await fetchRaw(spaPort, '/../outside.txt')).status).toBe(403);
  });

  it('asks for credentials with basic auth, and serves with the right ones', async () => {
    const authPort = await freePort();
    await pmx.ok(['serve', root, String(authPort), '--basic-auth-username', 'admin', '--basic-auth-password', 's3cret'], { env: { PM2_SERVE_HOST: '127.0.0.1' } });
    const denied = await serving(authPort);
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toMatch(/^Basic /);
    const basic = (user: string) => ({ Authorization: `Basic ${Buffer.from(user).toString('base64')}` });
    expect((await fetchRaw(authPort, '/', basic('admin:wrong'))).status).toBe(401);
    const allowed = await fetchRaw(authPort, '/', basic('admin:s3cret'));
    expect(allowed.status).toBe(200);
    expect(allowed.body).toContain('<title>home</title>');
  });

  it('refuses basic auth with a user name and no password (or the other way round), instead of serving to anyone', async () => {
    const lonePort = await freePort();
    const result = await pmx.run(['serve', root, String(lonePort), '--basic-auth-password', 'only']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--basic-auth-username and --basic-auth-password go together: --basic-auth-username is missing or empty (nothing was started)');
    expect((await pmx.jlist()).some((p) => p.name === `static-page-server-${lonePort}`)).toBe(false);
    // both given, empty (a shell variable that was not set)
    const empty = await pmx.run(['serve', root, String(lonePort), '--basic-auth-username', '', '--basic-auth-password', '']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('--basic-auth-username is missing or empty');
    // from an ecosystem file: the server does not start, and says why in its error log
    const file = join(pmx.dir, 'lone-auth.config.js');
    const env = { PM2_SERVE_PATH: root, PM2_SERVE_PORT: String(lonePort), PM2_SERVE_HOST: '127.0.0.1', PM2_SERVE_BASIC_AUTH: 'true', PM2_SERVE_BASIC_AUTH_USERNAME: 'eco' };
    writeFileSync(file, `module.exports = { apps: [{ name: 'lone-auth', script: 'serve', autorestart: false, env: ${JSON.stringify(env)} }] };\n`);
    await pmx.ok(['start', file]);
    const stopped = await eventually('the server ends', async () => ((await pmx.proc('lone-auth')).pm2_env.status === 'stopped' ? pmx.proc('lone-auth') : null));
    expect(stopped.pm2_env.exit_code).toBe(1);
    expect((await pmx.ok(['logs', 'lone-auth', '--nostream', '--err', '--lines', '5']))).toContain('PM2_SERVE_BASIC_AUTH_PASSWORD is empty: refusing to serve without the credentials asked for');
    await expect(fetchRaw(lonePort, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it("runs script: 'serve' from an ecosystem file with PM2_SERVE_* in its env", async () => {
    const ecoPort = await freePort();
    const file = join(pmx.dir, 'ecosystem.config.js');
    const env = { PM2_SERVE_PATH: root, PM2_SERVE_PORT: String(ecoPort), PM2_SERVE_HOST: '127.0.0.1', PM2_SERVE_SPA: 'true', PM2_SERVE_HOMEPAGE: '/app.html', PM2_SERVE_BASIC_AUTH: 'true', PM2_SERVE_BASIC_AUTH_USERNAME: 'eco', PM2_SERVE_BASIC_AUTH_PASSWORD: 'pw' };
    writeFileSync(file, `module.exports = { apps: [{ name: 'eco-static', script: 'serve', env: ${JSON.stringify(env)} }] };\n`);
    await pmx.ok(['start', file]);
    expect((await pmx.proc('eco-static')).pm2_env.status).toBe('online');
    expect((await serving(ecoPort)).status).toBe(401);
    const auth = { Authorization: `Basic ${Buffer.from('eco:pw').toString('base64')}` };
    const home = await fetchRaw(ecoPort, '/', auth);
    expect(home.body).toContain('spa shell');
    expect((await fetchRaw(ecoPort, '/any/route', auth)).body).toContain('spa shell');
  });
});
