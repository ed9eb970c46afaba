// Node runtime metrics: the preload reports heap, event-loop delay, handles and HTTP traffic to
// the agent, which shows them in jlist (PM2's axm_monitor names) and describe; `pmx: false`
// turns it off; the preload changes nothing an app can observe, not even when it exits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually, type JlistEntry } from '../helpers/pmx.js';
import { freePort, get } from '../helpers/net.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

type Axm = Record<string, { value: string | number; unit: string }>;
const axm = (entry: JlistEntry): Axm => entry.pm2_env.axm_monitor as Axm;
const number = (metric: { value: string | number } | undefined): number => Number(metric?.value);

describe('Node metrics of an HTTP app', () => {
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    await pmx.ok(['start', join(apps, 'http-plain.js'), '-n', 'web'], { env: { PORT: String(port) } });
    await eventually('the app listens', () => get(port).then((res) => res.status === 200));
  });

  it('reports heap, event-loop delay, handles, requests per minute and latency in jlist', async () => {
    for (let i = 0; i < 20; i++) expect((await get(port)).status).toBe(200);
    const metrics = await eventually('a sample that counts the requests', async () => {
      const found = axm(await pmx.proc('web'));
      return number(found.HTTP) >= 21 ? found : null;
    });
    expect(number(metrics['Heap Size'])).toBeGreaterThan(0);
    expect(metrics['Heap Size']?.unit).toBe('MiB');
    expect(number(metrics['Used Heap Size'])).toBeGreaterThan(0);
    expect(number(metrics['Used Heap Size'])).toBeLessThanOrEqual(number(metrics['Heap Size']));
    expect(number(metrics['Heap Usage'])).toBeGreaterThan(0);
    expect(number(metrics['Event Loop Latency'])).toBeGreaterThanOrEqual(0);
    expect(number(metrics['Event Loop Latency p95'])).toBeGreaterThanOrEqual(number(metrics['Event Loop Latency']));
    expect(metrics['Event Loop Latency p95']?.unit).toBe('ms');
    // the listening server at least
    expect(number(metrics['Active handles'])).toBeGreaterThanOrEqual(1);
    expect(metrics.HTTP?.unit).toBe('req/min');
    expect(number(metrics['HTTP Mean Latency'])).toBeGreaterThan(0);
    expect(number(metrics['HTTP P95 Latency'])).toBeGreaterThan(0);
  });

  it('shows the same metrics in describe', async () => {
    await eventually('a sample', async () => Object.keys(axm(await pmx.proc('web'))).length > 0);
    const out = await pmx.ok(['describe', 'web']);
    expect(out).toContain('Code metrics value');
    for (const key of ['CPU usage', 'Memory', 'Heap Size', 'Event Loop Latency p95', 'Active handles', 'HTTP', 'HTTP P95 Latency']) {
      expect(out).toMatch(new RegExp(`│ ${key} +│`));
    }
    expect(out).toMatch(/│ HTTP +│ \d+ req\/min/);
  });
});

describe('Node metrics in cluster mode', () => {
  it('come from every worker', async () => {
    const port = await freePort();
    await pmx.ok(['start', join(apps, 'http.js'), '-n', 'workers', '-i', '2'], { env: { PORT: String(port) } });
    const workers = await eventually('a sample from both workers', async () => {
      const found = (await pmx.jlist()).filter((entry) => entry.name === 'workers');
      return found.length === 2 && found.every((entry) => number(axm(entry)['Heap Size']) > 0) ? found : null;
    });
    expect(workers.map((entry) => entry.pm2_env.exec_mode)).toEqual(['cluster_mode', 'cluster_mode']);
    await pmx.ok(['delete', 'workers']);
  });
});

describe('the metrics preload', () => {
  it('is left out with `pmx: false`, and the app then has no Node metrics', async () => {
    const file = join(pmx.dir, 'pmx-false.config.js');
    writeFileSync(file, `module.exports = { apps: [
      { name: 'with', script: ${JSON.stringify(join(apps, 'forever.js'))} },
      { name: 'without', script: ${JSON.stringify(join(apps, 'forever.js'))}, pmx: false },
    ] };\n`);
    await pmx.ok(['start', file]);
    // by the time the app with the preload has reported, the other would have too
    await eventually('a sample from the app with metrics', async () => axm(await pmx.proc('with'))['Heap Size'] !== undefined);
    const [withPid, withoutPid] = [(await pmx.proc('with')).pid, (await pmx.proc('without')).pid];
    // the preload's pipe is named in the environment the app started with
    expect(readFileSync(`/proc/${withPid}/environ`, 'utf8')).toContain('PMX_METRICS_FD=');
    expect(readFileSync(`/proc/${withoutPid}/environ`, 'utf8')).not.toContain('PMX_METRICS_FD=');
    expect(axm(await pmx.proc('without'))).toEqual({});
    expect((await pmx.proc('without')).pm2_env.pmx).toBe(false);
  });

  it('is left out with --no-pmx', async () => {
    await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'no-pmx', '--no-pmx']);
    const entry = await pmx.proc('no-pmx');
    expect(entry.pm2_env.pmx).toBe(false);
    expect(readFileSync(`/proc/${entry.pid}/environ`, 'utf8')).not.toContain('PMX_METRICS_FD=');
  });

  it('gives the app no IPC channel and no variable of its own', async () => {
    await pmx.ok(['start', join(apps, 'observer.js')]);
    const entry = await pmx.proc('observer');
    const line = await eventually('the app reports', () => readFileSync(entry.pm2_env.pm_out_log_path, 'utf8').trim());
    expect(JSON.parse(line)).toEqual({ metricsFd: null, channel: false, connected: false });
  });

  it('keeps an app that closed its stdout and stderr alive, and reports its metrics (node aborted at the first sample)', async () => {
    const script = join(pmx.dir, 'closes-stdio.js');
    writeFileSync(script, "require('fs').closeSync(1);\nrequire('fs').closeSync(2);\nsetInterval(() => {}, 1000);\n");
    await pmx.ok(['start', script, '-n', 'closer']);
    const reported = await eventually('a metrics sample of the app', async () => {
      const entry = await pmx.proc('closer');
      return number(axm(entry)?.['Heap Size']) > 0 ? entry : null;
    }, 10_000);
    // samples came and went, and the app is the same process it started as
    await eventually('three more seconds of samples', async () => ((await pmx.proc('closer')).pm2_env.pm_uptime <= Date.now() - 3000 ? true : null), 10_000);
    const after = await pmx.proc('closer');
    expect([after.pm2_env.status, after.pm2_env.restart_time, after.pid]).toEqual(['online', 0, reported.pid]);
    await pmx.ok(['delete', 'closer']);
  });

  it('keeps an app alive while every descriptor it may open is in use (the sample threw EMFILE in a timer and ended the app)', async () => {
    const script = join(pmx.dir, 'fills-fds.js');
    writeFileSync(script, [
      "const fs = require('fs'); const held = [];",
      "try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch (error) { console.log('full', error.code); }",
      // through two samples at least, then give them back
      "setTimeout(() => { for (const fd of held) fs.closeSync(fd); console.log('released'); }, 2500);",
      'setInterval(() => {}, 1000);',
    ].join('\n'));
    await pmx.ok(['start', script, '-n', 'fills', '--no-autorestart']);
    const first = await pmx.proc('fills');
    const log = await eventually('the app gives its descriptors back', () => {
      const text = readFileSync(first.pm2_env.pm_out_log_path, 'utf8');
      return text.includes('released') ? text : null;
    }, 10_000);
    // two samples at least fell in the 2.5 s without a descriptor: the app lived through them
    expect(log).toContain('full EMFILE');
    const after = await pmx.proc('fills');
    expect([after.pm2_env.status, after.pid]).toEqual(['online', first.pid]);
    expect(readFileSync(after.pm2_env.pm_err_log_path, 'utf8')).not.toContain('EMFILE');
    await pmx.ok(['delete', 'fills']);
  });

  it('lets a script that has finished exit 0 by itself', async () => {
    await pmx.ok(['start', join(apps, 'finishes.js'), '--no-autorestart'], { env: { WORK_MS: '1500' } });
    const started = Date.now();
    const done = await eventually('the script exits', async () => {
      const entry = await pmx.proc('finishes');
      return entry.pm2_env.status === 'stopped' ? entry : null;
    }, 6000);
    expect(done.pm2_env.exit_code).toBe(0);
    // it ran its 1.5 s and no more than a sampling period beyond
    expect(Date.now() - started).toBeLessThan(4000);
    expect(readFileSync(done.pm2_env.pm_out_log_path, 'utf8')).toContain('finished');
  });
});
