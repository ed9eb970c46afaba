// Ecosystem files through the real CLI: --env, --only, --update-env, startOrRestart, init,
// and bad input that must start nothing.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually } from '../../helpers/pmx.js';
import { freePort, get } from '../../helpers/net.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

function writeEcosystem(name: string, body: unknown): string {
  const file = join(pmx.dir, name);
  writeFileSync(file, `module.exports = ${JSON.stringify(body, null, 2)};\n`);
  return file;
}

async function printedEnv(name: string): Promise<Record<string, string | null>> {
  const proc = await pmx.proc(name);
  return eventually(`${name}'s env output`, () => {
    const lines = readFileSync(proc.pm2_env.pm_out_log_path, 'utf8').trim().split('\n').filter(Boolean);
    return lines.length > 0 ? (JSON.parse(lines[lines.length - 1]!) as Record<string, string | null>) : null;
  });
}

describe('ecosystem files', () => {
  const envApp = (name: string) => ({ name, script: join(apps, 'env.js'), env: { SHOW: 'STAGE,FROM_SHELL', STAGE: 'dev' }, env_production: { STAGE: 'prod' } });

  it('starts only the --only apps with env_<name> merged over env', async () => {
    const file = writeEcosystem('ecosystem.config.js', { apps: [envApp('one'), envApp('two'), envApp('three')] });
    await pmx.ok(['start', file, '--env', 'production', '--only', 'one,two'], { env: { FROM_SHELL: 'a' } });
    expect((await pmx.jlist()).map((p) => p.name).sort()).toEqual(['one', 'two']);
    expect(await printedEnv('one')).toEqual({ STAGE: 'prod', FROM_SHELL: 'a' });
  });

  it('keeps the started environment on restart, and takes the new shell with --update-env', async () => {
    // emptied before each restart, so the line read is the new process's, not the last one's
    await pmx.ok(['flush', 'one']);
    await pmx.ok(['restart', 'one'], { env: { FROM_SHELL: 'b' } });
    expect(await printedEnv('one')).toEqual({ STAGE: 'prod', FROM_SHELL: 'a' });
    await pmx.ok(['flush', 'one']);
    await pmx.ok(['restart', 'one', '--update-env'], { env: { FROM_SHELL: 'c' } });
    // the app's own declared env still wins over the shell
    expect(await printedEnv('one')).toEqual({ STAGE: 'prod', FROM_SHELL: 'c' });
  });

  it('startOrRestart starts what is missing and restarts the rest', async () => {
    const file = join(pmx.dir, 'ecosystem.config.js');
    await pmx.ok(['startOrRestart', file]);
    const list = await pmx.jlist();
    expect(list.map((p) => p.name).sort()).toEqual(['one', 'three', 'two']);
    expect(list.find((p) => p.name === 'two')!.pm2_env.restart_time).toBe(1);
    expect(list.find((p) => p.name === 'three')!.pm2_env.restart_time).toBe(0);
  });

  it("keeps a running app's exec_mode when its file switches it (as PM2 does): instances turned to fork mode in place crash-looped on the cluster's port", async () => {
    const port = await freePort();
    const app = { name: 'moded', script: join(apps, 'http-plain.js'), env: { PORT: String(port) } };
    const file = writeEcosystem('moded.config.js', { apps: [{ ...app, instances: 2, exec_mode: 'cluster' }] });
    await pmx.ok(['start', file]);
    writeEcosystem('moded.config.js', { apps: [{ ...app, instances: 1, exec_mode: 'fork' }] });
    for (const command of ['start', 'startOrReload', 'startOrRestart']) {
      await pmx.ok([command, file]);
      expect((await get(port)).status).toBe(200);
    }
    const procs = (await pmx.jlist()).filter((proc) => proc.name === 'moded');
    expect(procs.map((proc) => [proc.pm2_env.exec_mode, proc.pm2_env.status, proc.pm2_env.unstable_restarts])).toEqual([
      ['cluster_mode', 'online', 0],
      ['cluster_mode', 'online', 0],
    ]);
    await pmx.ok(['delete', 'moded']);
  });

  it('stops and deletes the apps an ecosystem file names', async () => {
    await pmx.ok(['stop', join(pmx.dir, 'ecosystem.config.js')]);
    expect((await pmx.jlist()).every((p) => p.pm2_env.status === 'stopped')).toBe(true);
    await pmx.ok(['delete', join(pmx.dir, 'ecosystem.config.js')]);
    expect(await pmx.jlist()).toEqual([]);
  });
});

describe('ecosystem files whose code leaves something behind', () => {
  it("a file that leaves a timer and a listening socket open (a database client): start, restart, stop and delete end when done (they waited for ever)", async () => {
    const file = join(pmx.dir, 'held.config.js');
    writeFileSync(file, `setInterval(() => {}, 1000);\nrequire('net').createServer().listen(0, '127.0.0.1');\nmodule.exports = { apps: [{ name: 'held', script: ${JSON.stringify(join(apps, 'forever.js'))} }] };\n`);
    for (const command of ['start', 'restart', 'stop', 'delete']) {
      const result = await pmx.run([command, file], { timeoutMs: 10_000 });
      expect(result.code, `${command}: ${result.stderr}`).toBe(0);
    }
    expect(await pmx.jlist()).toEqual([]);
  });

  it('a file whose exported promise, or top-level await, never settles: exit 1 naming the file, nothing started (exit 0 and silence before)', async () => {
    const cjs = join(pmx.dir, 'never.config.js');
    writeFileSync(cjs, 'module.exports = new Promise(() => {});\n');
    const mjs = join(pmx.dir, 'never.config.mjs');
    writeFileSync(mjs, 'await new Promise(() => {});\nexport default { apps: [] };\n');
    for (const file of [cjs, mjs]) {
      const result = await pmx.run(['start', file], { timeoutMs: 10_000 });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`${file.split('/').pop()}: its exports never settle`);
    }
    expect(await pmx.jlist()).toEqual([]);
  });
});

describe('bad ecosystem files start nothing', () => {
  it('a wrong value in the second app: exit 1, the key named, no app started', async () => {
    const file = writeEcosystem('bad.config.js', { apps: [{ name: 'fine', script: join(apps, 'forever.js') }, { name: 'broken', script: join(apps, 'forever.js'), max_restarts: 'many' }] });
    const result = await pmx.run(['start', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("bad.config.js: app 'broken': `max_restarts` must be a whole number");
    expect(await pmx.jlist()).toEqual([]);
  });

  it('an unreadable file and a syntax error name the file', async () => {
    const missing = await pmx.run(['start', join(pmx.dir, 'absent.config.js')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('absent.config.js');
    const broken = join(pmx.dir, 'broken.config.js');
    writeFileSync(broken, 'module.exports = { apps: [');
    const syntax = await pmx.run(['start', broken]);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/broken\.config\.js: cannot load/);
    expect(await pmx.jlist()).toEqual([]);
  });
});

describe('pmx init', () => {
  it('writes a template that loads, and refuses to overwrite it', async () => {
    const dir = join(pmx.dir, 'init');
    mkdirSync(dir);
    await pmx.ok(['init'], { cwd: dir });
    expect(existsSync(join(dir, 'ecosystem.config.js'))).toBe(true);
    expect(readFileSync(join(dir, 'ecosystem.config.js'), 'utf8')).toContain('deploy');
    const again = await pmx.run(['init'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
  });
});

describe('an agent that cannot be used', () => {
  it('says which protocol the running agent speaks and how to fix it', async () => {
    const sandbox = new PmxSandbox();
    mkdirSync(sandbox.home, { recursive: true, mode: 0o700 });
    // an agent of another pmx version: it answers hello with protocol 999
    const server = createServer((socket) => {
      socket.on('data', (data) => {
        const request = JSON.parse(data.toString().split('\n')[0]!) as { id: number };
        socket.write(JSON.stringify({ id: request.id, ok: true, result: { protocol: 999, version: '9.9.9', pid: process.pid, home: sandbox.home } }) + '\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(join(sandbox.home, 'agent.sock'), resolve));
    try {
      const result = await sandbox.run(['ls']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('speaks protocol 999');
      expect(result.stderr).toContain('pmx update');
    } finally {
      server.close();
      await sandbox.cleanup();
    }
  });

  it('times out with a message when the agent accepts but never answers', async () => {
    const sandbox = new PmxSandbox();
    mkdirSync(sandbox.home, { recursive: true, mode: 0o700 });
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(join(sandbox.home, 'agent.sock'), resolve));
    try {
      const result = await sandbox.run(['ls']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('did not answer');
    } finally {
      server.close();
      await sandbox.cleanup();
    }
  });
});
