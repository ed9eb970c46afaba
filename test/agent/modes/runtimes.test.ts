// Bun and Deno apps (TypeScript, run by the interpreter the user names) in fork mode: start, logs,
// restart, a graceful SIGINT stop, Deno's `run --allow-...` interpreter_args as PM2 users write
// them; and instances of a Bun server sharing a port through `listen`, reloaded under load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually } from '../../helpers/pmx.js';
import { freePort } from '../../helpers/net.js';
import { getReply, loadUntil } from '../../helpers/http-load.js';
import { installRuntimes, type Runtimes } from '../../helpers/runtimes.js';

const apps = join(FIXTURES, 'apps', 'runtimes');
const pmx = new PmxSandbox();
let runtimes: Runtimes;
/** The environment of a shell that finds `bun` and `deno` on its PATH. */
const shell = (extra: Record<string, string>) => ({ PATH: `${runtimes.bin}:${process.env.PATH ?? ''}`, ...extra });

beforeAll(() => {
  runtimes = installRuntimes();
}, 300_000);
afterAll(() => pmx.cleanup());

const answering = (port: number) => eventually('an answer', () => getReply(port).catch(() => null));

describe('Bun and Deno in fork mode', () => {
  it('runs a .ts app with interpreter bun: logs, restart, and a SIGINT stop it handles', async () => {
    const port = await freePort();
    await pmx.ok(['start', join(apps, 'server.ts'), '-n', 'bun-web', '--interpreter', 'bun'], { env: shell({ PORT: String(port), GREETING: 'bun' }) });
    const first = await pmx.proc('bun-web');
    expect([first.pm2_env.exec_interpreter, first.pm2_env.exec_mode, first.pm2_env.status]).toEqual(['bun', 'fork_mode', 'online']);
    expect(await answering(port)).toEqual({ runtime: 'bun', pid: first.pid, greeting: 'bun' });
    await pmx.ok(['restart', 'bun-web']);
    const second = await pmx.proc('bun-web');
    expect(second.pm2_env.restart_time).toBe(1);
    expect(alive(first.pid)).toBe(false);
    expect((await answering(port)).pid).toBe(second.pid);
    await pmx.ok(['stop', 'bun-web']);
    expect(alive(second.pid)).toBe(false);
    const out = readFileSync(second.pm2_env.pm_out_log_path, 'utf8');
    expect(out.match(/bun listening on \d+/g)).toHaveLength(2);
    expect(out.match(/bun got SIGINT/g)).toHaveLength(2);
    expect((await pmx.ok(['logs', 'bun-web', '--lines', '5', '--nostream'])).includes('bun got SIGINT')).toBe(true);
    await pmx.ok(['delete', 'bun-web']);
  });

  it("runs Deno as PM2 users write it: interpreter: 'deno', interpreter_args: 'run --allow-net --allow-env'", async () => {
    const port = await freePort();
    await pmx.ok(['start', 'ecosystem.config.js'], { cwd: apps, env: shell({ PORT: String(port), GREETING: 'deno' }) });
    const proc = await pmx.proc('deno-web');
    expect([proc.pm2_env.exec_interpreter, proc.pm2_env.status]).toEqual(['deno', 'online']);
    expect(await answering(port)).toEqual({ runtime: 'deno', pid: proc.pid, greeting: 'deno' });
    await pmx.ok(['stop', 'deno-web']);
    expect(alive(proc.pid)).toBe(false);
    expect(readFileSync(proc.pm2_env.pm_out_log_path, 'utf8')).toMatch(/deno listening on \d+\n[^]*deno got SIGINT/);
    await pmx.ok(['delete', 'deno-web']);
  });

  it('runs Deno without run permissions into errored, with Deno saying which permission in the error log', async () => {
    const port = await freePort();
    await pmx.run(['start', join(apps, 'server.ts'), '-n', 'deno-bare', '--interpreter', 'deno', '--max-restarts', '1', '--min-uptime', '5000'], { env: shell({ PORT: String(port) }) });
    const proc = await eventually('errored', async () => {
      const found = await pmx.proc('deno-bare');
      return found.pm2_env.status === 'errored' ? found : null;
    }, 20_000);
    expect(readFileSync(proc.pm2_env.pm_err_log_path, 'utf8')).toMatch(/--allow-(env|net)/);
    await pmx.ok(['delete', 'deno-bare']);
  });

  it('runs a .ts app given no interpreter with the bun on PATH, as PM2 7 does', async () => {
    const port = await freePort();
    await pmx.ok(['start', join(apps, 'server.ts'), '-n', 'implicit'], { env: shell({ PORT: String(port) }) });
    expect((await pmx.proc('implicit')).pm2_env.exec_interpreter).toBe('bun');
    expect((await answering(port)).runtime).toBe('bun');
    await pmx.ok(['delete', 'implicit']);
  });

  it('runs a .ts app with an interpreter named by its path', async () => {
    const port = await freePort();
    await pmx.ok(['start', join(apps, 'server.ts'), '-n', 'by-path', '--interpreter', runtimes.bun], { env: { PORT: String(port) } });
    expect((await answering(port)).runtime).toBe('bun');
    expect((await pmx.proc('by-path')).pm2_env.exec_interpreter).toBe(runtimes.bun);
    await pmx.ok(['delete', 'by-path']);
  });

  it("runs exec_mode 'cluster' with interpreter bun in fork mode, as PM2 does, and says so naming the file and app", async () => {
    const port = await freePort();
    const { stderr, code } = await pmx.run(['start', 'cluster.config.js'], { cwd: apps, env: shell({ PORT: String(port) }) });
    expect(code).toBe(0);
    expect(stderr).toContain("cluster.config.js: app 'bun-cluster': cluster mode runs node scripts only; 'bun-cluster' runs with bun, in fork mode");
    expect((await pmx.proc('bun-cluster')).pm2_env.exec_mode).toBe('fork_mode');
    await pmx.ok(['delete', 'bun-cluster']);
  });
});

describe('Bun instances sharing a port through listen', () => {
  let port: number;

  it('runs two Bun instances on the port the agent opened', async () => {
    port = await freePort();
    await pmx.ok(['start', join(apps, 'activated.ts'), '-n', 'bun-pool', '--interpreter', 'bun', '-i', '2', '--listen', `127.0.0.1:${port}`], { env: shell({ GREETING: 'one' }) });
    const list = (await pmx.jlist()).filter((p) => p.name === 'bun-pool');
    expect(list.map((p) => [p.pm2_env.exec_interpreter, p.pm2_env.status])).toEqual([
      ['bun', 'online'],
      ['bun', 'online'],
    ]);
    const pids = await eventually('both instances to answer', async () => {
      const seen = new Set<number>();
      for (let i = 0; i < 30; i++) seen.add((await getReply(port)).pid);
      return seen.size === 2 ? seen : null;
    });
    expect([...pids].sort()).toEqual(list.map((p) => p.pid).sort());
  });

  it('reloads them one at a time with every request answered', async () => {
    const before = (await pmx.jlist()).filter((p) => p.name === 'bun-pool');
    let reloaded!: () => void;
    const running = loadUntil(port, 4, new Promise<void>((resolve) => (reloaded = resolve)), { keepAlive: false });
    try {
      await pmx.ok(['reload', 'bun-pool', '--update-env'], { env: shell({ GREETING: 'two' }) });
    } finally {
      reloaded();
    }
    const { answered, failures } = await running;
    expect([...new Set(failures)], `${failures.length} failures`).toEqual([]);
    expect(answered).toBeGreaterThan(20);
    for (const old of before) expect(alive(old.pid)).toBe(false);
    expect((await getReply(port)).greeting).toBe('two');
    await pmx.ok(['delete', 'bun-pool']);
    await expect(getReply(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});
