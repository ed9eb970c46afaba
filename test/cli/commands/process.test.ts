// start / stop / restart / delete / reset / describe / env / sendSignal against real processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../../helpers/pmx.js';
import { freePort, get } from '../../helpers/net.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();

afterAll(() => pmx.cleanup());

describe('pmx start (fork mode)', () => {
  let port: number;
  beforeAll(async () => {
    port = await freePort();
  });

  it('starts a node script under its base name, online with a live pid, and serves', async () => {
    const out = await pmx.ok(['start', join(apps, 'http.js')], { env: { PORT: String(port) } });
    expect(out).toContain('http');
    const proc = await pmx.proc('http');
    expect(proc.pm2_env.status).toBe('online');
    expect(proc.pm_id).toBe(0);
    expect(alive(proc.pid)).toBe(true);
    expect(proc.pm2_env.exec_mode).toBe('fork_mode');
    const res = await eventually('the app to answer', () => get(port));
    expect(JSON.parse(res.body).pid).toBe(proc.pid);
  });

  it('keeps the agent home private: home 0700, socket 0600', () => {
    expect(statSync(pmx.home).mode & 0o777).toBe(0o700);
    expect(statSync(join(pmx.home, 'agent.sock')).mode & 0o777).toBe(0o600);
  });

  it('refuses to start the same script twice, and -f starts another copy', async () => {
    const again = await pmx.run(['start', join(apps, 'http.js')], { env: { PORT: String(port) } });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already launched');
    expect((await pmx.jlist()).filter((p) => p.name.startsWith('http'))).toHaveLength(1);
  });

  it('runs python, bash and executables by extension, and passes -- args', async () => {
    await pmx.ok(['start', join(apps, 'worker.py'), '--', 'a', 'b']);
    await pmx.ok(['start', join(apps, 'worker.sh'), '-n', 'shworker', '--', 'c']);
    await pmx.ok(['start', join(apps, 'native-exec'), '--name', 'native', '--', 'd']);
    const list = await pmx.jlist();
    const byName = (name: string) => list.find((p) => p.name === name)!;
    expect(byName('worker').pm2_env.exec_interpreter).toBe('python3');
    expect(byName('native').pm2_env.exec_interpreter).toBe('none');
    await eventually('python output', () => readFileSync(byName('worker').pm2_env.pm_out_log_path, 'utf8').includes('python 3 a b'));
    expect(byName('shworker').pm2_env.exec_interpreter).toBe('bash');
    await eventually('bash output', () => readFileSync(byName('shworker').pm2_env.pm_out_log_path, 'utf8').includes('bash 5'));
    await eventually('exec output', () => readFileSync(byName('native').pm2_env.pm_out_log_path, 'utf8').includes('exec d'));
  });

  it('honours --interpreter, --node-args, --cwd, --namespace and the environment', async () => {
    await pmx.ok(['start', 'env.js', '--name', 'envy', '--cwd', apps, '--namespace', 'tools', '--node-args', '--max-old-space-size=64', '--interpreter', process.execPath], {
      env: { SHOW: 'GREETING,NODE_APP_INSTANCE,pm_id,@execArgv', GREETING: 'hi' },
    });
    const proc = await pmx.proc('envy');
    expect(proc.pm2_env.namespace).toBe('tools');
    expect(proc.pm2_env.pm_cwd).toBe(apps);
    const printed = await eventually('env output', () => {
      const text = readFileSync(proc.pm2_env.pm_out_log_path, 'utf8').trim();
      return text ? JSON.parse(text.split('\n').pop()!) : null;
    });
    // the node arguments reach node; pmx's own preloads are not among them (a fork of the app is plain node)
    expect(printed).toEqual({ GREETING: 'hi', NODE_APP_INSTANCE: '0', pm_id: String(proc.pm_id), '@execArgv': ['--max-old-space-size=64'] });
  });

  it('shows every process in ls and in describe, and the environment in env', async () => {
    const ls = await pmx.ok(['ls']);
    for (const name of ['http', 'worker', 'native', 'envy']) expect(ls).toContain(name);
    const described = await pmx.ok(['describe', 'envy']);
    expect(described).toContain(join(apps, 'env.js'));
    expect(described).toContain('tools');
    const env = await pmx.ok(['env', String((await pmx.proc('envy')).pm_id)]);
    expect(env).toContain('GREETING: hi');
  });
});

describe('targets', () => {
  it('stops by id, restarts by name, acts on a namespace and on a regular expression', async () => {
    const envy = await pmx.proc('envy');
    await pmx.ok(['stop', String(envy.pm_id)]);
    expect((await pmx.proc('envy')).pm2_env.status).toBe('stopped');
    expect(alive(envy.pid)).toBe(false);

    await pmx.ok(['restart', 'envy']);
    const restarted = await pmx.proc('envy');
    expect(restarted.pm2_env.status).toBe('online');
    // as PM2 counts: bringing back a stopped process is no restart
    expect(restarted.pm2_env.restart_time).toBe(0);

    await pmx.ok(['stop', 'tools']);
    expect((await pmx.proc('envy')).pm2_env.status).toBe('stopped');

    await pmx.ok(['restart', '/^(worker|native)$/']);
    const list = await pmx.jlist();
    expect(list.filter((p) => /^(worker|native)$/.test(p.name)).every((p) => p.pm2_env.restart_time === 1)).toBe(true);
    expect(list.find((p) => p.name === 'http')!.pm2_env.restart_time).toBe(0);
  });

  it('resets counters, sends signals, and deletes', async () => {
    await pmx.ok(['reset', 'all']);
    expect((await pmx.jlist()).every((p) => p.pm2_env.restart_time === 0)).toBe(true);

    const worker = await pmx.proc('worker');
    await pmx.ok(['sendSignal', 'SIGKILL', 'worker']);
    await eventually('the killed worker to be restarted', async () => (await pmx.proc('worker')).pm2_env.restart_time === 1);
    expect(alive(worker.pid)).toBe(false);

    await pmx.ok(['delete', 'worker', 'native', 'shworker']);
    const names = (await pmx.jlist()).map((p) => p.name);
    expect(names).not.toContain('worker');
    expect(names).not.toContain('native');
  });

  it('starts a stopped app again by name', async () => {
    await pmx.ok(['start', 'envy']);
    expect((await pmx.proc('envy')).pm2_env.status).toBe('online');
  });
});

describe('an app that crashes before it is ready, each run outliving min_uptime', () => {
  it('start --wait-ready and restart return once the launch is over (PM2 returns too); the app goes on restarting', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pmx-crashes-late-'));
    try {
      // never ready; dies after 1.1 s, past min_uptime: never errored, so a launch never "settled"
      writeFileSync(join(dir, 'late.js'), "setTimeout(() => process.exit(1), 1100);\n");
      const started = await pmx.run(['start', join(dir, 'late.js'), '-n', 'late', '--wait-ready', '--min-uptime', '500'], { timeoutMs: 20_000 });
      expect(started.code).toBe(0);
      const restarted = await pmx.run(['restart', 'late'], { timeoutMs: 20_000 });
      expect(restarted.code).toBe(0);
      // what the list says is true: it keeps being launched, and each launch is counted
      const proc = await eventually('a restart counted', async () => {
        const found = await pmx.proc('late');
        return found.pm2_env.restart_time >= 2 ? found : null;
      });
      expect(['launching', 'waiting restart']).toContain(proc.pm2_env.status);
      await pmx.ok(['delete', 'late']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('scale while a scale down is under way', () => {
  it('scale back to the old count waits for the deletions and starts what it needs (it was refused as already running)', async () => {
    // ignores SIGINT: each deletion takes its kill_timeout
    const script = join(pmx.dir, 'stubborn-pool.js');
    writeFileSync(script, "process.on('SIGINT', () => {});\nsetInterval(() => {}, 1000);\n");
    await pmx.ok(['start', script, '-n', 'pool', '-i', '4', '-x', '--kill-timeout', '1500']);
    const down = pmx.run(['scale', 'pool', '1'], { timeoutMs: 30_000 });
    await eventually('instances being deleted', async () => (await pmx.jlist()).some((proc) => proc.name === 'pool' && proc.pm2_env.status === 'stopping'));
    const up = await pmx.run(['scale', 'pool', '4'], { timeoutMs: 30_000 });
    expect(up.code, up.stderr).toBe(0);
    await down;
    const pool = (await pmx.jlist()).filter((proc) => proc.name === 'pool');
    expect(pool.map((proc) => proc.pm2_env.status)).toEqual(['online', 'online', 'online', 'online']);
    await pmx.ok(['delete', 'pool']);
  });
});

describe('bad input', () => {
  it('names the unknown id or name, with a non-zero exit', async () => {
    const byId = await pmx.run(['stop', '42']);
    expect(byId.code).toBe(1);
    expect(byId.stderr).toContain('id 42');
    const byName = await pmx.run(['restart', 'nope']);
    expect(byName.code).toBe(1);
    expect(byName.stderr).toContain("'nope'");
  });

  it('refuses a missing script and registers nothing', async () => {
    const before = (await pmx.jlist()).length;
    const result = await pmx.run(['start', join(apps, 'missing.js')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('missing.js');
    expect((await pmx.jlist()).length).toBe(before);
  });

  it('refuses an interpreter that is not there, registering nothing; one removed after the start marks the app errored, naming it', async () => {
    const result = await pmx.run(['start', join(apps, 'forever.js'), '-n', 'nointerp', '--interpreter', '/nonexistent/python9']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("`--interpreter` '/nonexistent/python9' is not an executable file");
    expect((await pmx.jlist()).some((proc) => proc.name === 'nointerp')).toBe(false);
    // the agent's own check, when the interpreter goes away later
    const dir = mkdtempSync(join(tmpdir(), 'pmx-interp-'));
    try {
      const shell = join(dir, 'mysh');
      copyFileSync('/bin/sh', shell);
      chmodSync(shell, 0o755);
      writeFileSync(join(dir, 'loop.sh'), 'while :; do sleep 1; done\n');
      await pmx.ok(['start', join(dir, 'loop.sh'), '-n', 'gone', '--interpreter', shell]);
      rmSync(shell);
      const restarted = await pmx.run(['restart', 'gone']);
      expect(restarted.code).toBe(1);
      const proc = await pmx.proc('gone');
      expect(proc.pm2_env.status).toBe('errored');
      expect(proc.pm2_env.pmx_error).toContain(`${shell}: not found or not executable`);
      await pmx.ok(['delete', 'gone']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown signal', async () => {
    const result = await pmx.run(['sendSignal', 'SIGNOPE', 'http']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SIGNOPE');
  });
});

describe('the IPC channel', () => {
  it('is opened only for apps that need it, and process.send is harmless without it', async () => {
    const plain = await pmx.ok(['start', join(apps, 'ready.js'), '-n', 'no-ipc']);
    expect(plain).toContain('online');
    const proc = await pmx.proc('no-ipc');
    // ready.js calls process.send('ready') unconditionally: no channel, and no crash either
    expect(readFileSync(`/proc/${proc.pid}/environ`, 'utf8')).not.toContain('NODE_CHANNEL_FD');
    await eventually('its process.send call', () => readFileSync(proc.pm2_env.pm_out_log_path, 'utf8').includes('sent ready'));
    expect((await pmx.proc('no-ipc')).pm2_env.restart_time).toBe(0);
    await pmx.ok(['start', join(apps, 'ready.js'), '-n', 'with-ipc', '--wait-ready']);
    expect(readFileSync(`/proc/${(await pmx.proc('with-ipc')).pid}/environ`, 'utf8')).toContain('NODE_CHANNEL_FD');
    await pmx.ok(['delete', 'no-ipc', 'with-ipc']);
  });
});
