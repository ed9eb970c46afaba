// Node apps that are ES modules (.mjs, a "type": "module" package with top-level await) in fork
// and cluster mode: readiness, instance numbers, metrics, graceful stop, a reload under load with
// no failed request, and a broken module that ends errored with its error in the app's log.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, alive, eventually, type JlistEntry } from '../../helpers/pmx.js';
import { freePort } from '../../helpers/net.js';
import { getReply, loadUntil } from '../../helpers/http-load.js';

const esm = join(FIXTURES, 'apps', 'esm');
/** A loaded machine can take longer than the default 3 s to boot a replacement. */
const LISTEN_TIMEOUT = ['--listen-timeout', '30000'];
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

const heapSize = (entry: JlistEntry): unknown => (entry.pm2_env.axm_monitor as Record<string, unknown> | undefined)?.['Heap Size'];

describe('ES module apps in fork mode', () => {
  it('runs an .mjs app that says ready, reports metrics, and closes on SIGINT when stopped', async () => {
    const port = await freePort();
    await pmx.ok(['start', join(esm, 'http.mjs'), '-n', 'mjs', '--wait-ready'], { env: { PORT: String(port), GREETING: 'fork' } });
    const proc = await pmx.proc('mjs');
    expect([proc.pm2_env.status, proc.pm2_env.exec_mode]).toEqual(['online', 'fork_mode']);
    expect((await getReply(port)).greeting).toBe('fork');
    await eventually('a metrics sample from the preload', async () => heapSize(await pmx.proc('mjs')) !== undefined);
    await pmx.ok(['stop', 'mjs']);
    expect(alive(proc.pid)).toBe(false);
    expect(readFileSync(proc.pm2_env.pm_out_log_path, 'utf8')).toMatch(/esm listening on \d+\n[^]*esm got SIGINT/);
    await pmx.ok(['delete', 'mjs']);
  });

  it('runs a "type": "module" package whose entry awaits at top level', async () => {
    const port = await freePort();
    await pmx.ok(['start', join(esm, 'module-package', 'server.js'), '-n', 'tla', '--wait-ready'], { env: { PORT: String(port) } });
    expect((await getReply(port)).greeting).toBe('awaited');
    await pmx.ok(['restart', 'tla']);
    expect((await pmx.proc('tla')).pm2_env.restart_time).toBe(1);
    expect((await getReply(port)).greeting).toBe('awaited');
    await pmx.ok(['delete', 'tla']);
  });
});

describe('ES module apps in cluster mode', () => {
  let port: number;

  it('runs two instances of an .mjs app on one port, numbered by NODE_APP_INSTANCE, each with metrics', async () => {
    port = await freePort();
    await pmx.ok(['start', join(esm, 'http.mjs'), '-i', '2', '-n', 'web', ...LISTEN_TIMEOUT], { env: { PORT: String(port), GREETING: 'one' } });
    const list = await pmx.jlist();
    expect(list.map((p) => [p.name, p.pm2_env.exec_mode, p.pm2_env.NODE_APP_INSTANCE, p.pm2_env.status])).toEqual([
      ['web', 'cluster_mode', 0, 'online'],
      ['web', 'cluster_mode', 1, 'online'],
    ]);
    const seen = await eventually('both instances to answer', async () => {
      const instances = new Set<string>();
      for (let i = 0; i < 10; i++) instances.add((await getReply(port)).instance);
      return instances.size === 2 ? instances : null;
    });
    expect([...seen].sort()).toEqual(['0', '1']);
    await eventually('metrics from both workers', async () => (await pmx.jlist()).every((p) => heapSize(p) !== undefined));
  });

  it('reloads the ESM cluster app under load without a single failed request', async () => {
    const before = await pmx.jlist();
    let reloaded!: () => void;
    const running = loadUntil(port, 8, new Promise<void>((resolve) => (reloaded = resolve)));
    await pmx.ok(['reload', 'web', '--update-env'], { env: { PORT: String(port), GREETING: 'two' } });
    reloaded();
    const { answered, failures, pids } = await running;
    expect([...new Set(failures)], `${failures.length} failures`).toEqual([]);
    expect(answered).toBeGreaterThan(20);
    expect(pids.size).toBeGreaterThanOrEqual(3);
    for (const old of before) expect(alive(old.pid)).toBe(false);
    const after = await pmx.jlist();
    expect(after.map((p) => [p.pm2_env.NODE_APP_INSTANCE, p.pm2_env.status, p.pm2_env.restart_time])).toEqual([
      [0, 'online', 1],
      [1, 'online', 1],
    ]);
    expect((await getReply(port)).greeting).toBe('two');
    await pmx.ok(['delete', 'web']);
  });

  it('runs a "type": "module" package with top-level await that waits for ready, and reloads it', async () => {
    const readyPort = await freePort();
    await pmx.ok(['start', join(esm, 'module-package', 'server.js'), '-i', '2', '-n', 'tla', '--wait-ready', ...LISTEN_TIMEOUT], { env: { PORT: String(readyPort) } });
    let reloaded!: () => void;
    const running = loadUntil(readyPort, 4, new Promise<void>((resolve) => (reloaded = resolve)));
    await pmx.ok(['reload', 'tla']);
    reloaded();
    const { answered, failures } = await running;
    expect([...new Set(failures)], `${failures.length} failures`).toEqual([]);
    expect(answered).toBeGreaterThan(10);
    expect((await pmx.jlist()).map((p) => [p.pm2_env.NODE_APP_INSTANCE, p.pm2_env.status])).toEqual([
      [0, 'online'],
      [1, 'online'],
    ]);
    await pmx.ok(['delete', 'tla']);
  });
});

describe('a broken ES module', () => {
  const cases = [
    { file: 'syntax.mjs', error: /SyntaxError/ },
    { file: 'missing-import.mjs', error: /ERR_MODULE_NOT_FOUND[^]*no-such-module\.mjs|no-such-module\.mjs[^]*ERR_MODULE_NOT_FOUND/ },
  ];
  for (const mode of [[], ['-i', '2']]) {
    for (const { file, error } of cases) {
      it(`ends errored with the error in its log: ${file} ${mode.length ? 'in cluster mode' : 'in fork mode'}`, async () => {
        const name = `broken-${mode.length}-${file.replace('.mjs', '')}`;
        await pmx.run(['start', join(esm, 'broken', file), '-n', name, '--max-restarts', '2', '--min-uptime', '5000', ...mode]);
        const procs = await eventually(
          'errored',
          async () => {
            const found = (await pmx.jlist()).filter((p) => p.name === name);
            return found.length > 0 && found.every((p) => p.pm2_env.status === 'errored') ? found : null;
          },
          20_000,
        );
        for (const proc of procs) expect(readFileSync(proc.pm2_env.pm_err_log_path, 'utf8')).toMatch(error);
        await pmx.ok(['delete', name]);
      });
    }
  }
});
