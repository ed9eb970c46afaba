// `pmx metrics`: the agent serves every process's metrics in Prometheus's text format, on
// 127.0.0.1 unless told otherwise, with values that match jlist.
import { afterAll, onTestFinished, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually, type JlistEntry } from '../helpers/pmx.js';
import { freePort, get } from '../helpers/net.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox();
afterAll(() => pmx.cleanup());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

/** Parses the text format: HELP and TYPE comments, then `name{label="value",...} number` lines. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (gauge|counter|summary|histogram|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not in the exposition format: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

/** GET the endpoint: status, content type and body. */
function scrape(port: number, path = '/metrics'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * jlist gives @pm2/io's figures rounded to two places (toFixed), the scrape to a microsecond (a
 * thousandth of the ms jlist counts): from one sample they differ by at most half of each step.
 */
function expectRoundsTo(value: number | undefined, rounded: unknown): void {
  expect(value).toBeTypeOf('number');
  expect(Math.abs(value! - Number(rounded))).toBeLessThanOrEqual(0.005 + 0.0005 + 1e-9);
}

const valueOf = (exposition: Exposition, name: string, proc: JlistEntry, extra: Record<string, string> = {}): number | undefined =>
  exposition.samples.find((s) => s.name === name && s.labels.id === String(proc.pm_id) && Object.entries(extra).every(([k, v]) => s.labels[k] === v))?.value;

describe('pmx metrics', () => {
  let port = 0;
  let appPort = 0;
  beforeAll(async () => {
    appPort = await freePort();
    await pmx.ok(['start', join(apps, 'http-plain.js'), '-n', 'web', '--namespace', 'shop'], { env: { PORT: String(appPort) } });
    await pmx.ok(['start', join(apps, 'worker.sh'), '-n', 'shell']);
    await eventually('the app listens', () => get(appPort).then((res) => res.status === 200));
    port = await freePort();
    const out = await pmx.ok(['metrics', '--port', String(port)]);
    expect(out).toContain(`http://127.0.0.1:${port}/metrics`);
    expect(out).not.toContain('Warning');
  });

  it('serves the exposition format with per-process gauges and counters labelled by name, id and namespace', async () => {
    const res = await scrape(port);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const exposition = parseExposition(res.body);
    expect(exposition.types.get('pmx_process_cpu_percent')).toBe('gauge');
    expect(exposition.types.get('pmx_process_memory_bytes')).toBe('gauge');
    expect(exposition.types.get('pmx_process_restarts_total')).toBe('counter');
    expect(exposition.types.get('pmx_process_uptime_seconds')).toBe('gauge');
    expect(exposition.types.get('pmx_process_http_requests_total')).toBe('counter');
    expect(exposition.types.get('pmx_process_http_request_duration_seconds')).toBe('summary');
    const web = await pmx.proc('web');
    const up = exposition.samples.find((s) => s.name === 'pmx_process_up' && s.labels.name === 'web');
    expect(up?.labels).toEqual({ name: 'web', id: String(web.pm_id), namespace: 'shop' });
    expect(up?.value).toBe(1);
    // a shell script has CPU and memory but no Node metrics
    const shell = await pmx.proc('shell');
    expect(valueOf(exposition, 'pmx_process_memory_bytes', shell)).toBeGreaterThanOrEqual(0);
    expect(valueOf(exposition, 'pmx_process_heap_used_bytes', shell)).toBeUndefined();
  });

  it('has the values jlist has', async () => {
    for (let i = 0; i < 5; i++) await get(appPort);
    // the app is held still (SIGSTOP) so that its figures stop changing, however slow the machine:
    // jlist and a scrape taken back to back then agree once both read the same sample
    // first the sample that counts those requests must have reached the agent (one a second)
    const held = (await eventually('a sample counting the requests', async () => {
      const proc = await pmx.proc('web');
      return Number((proc.pm2_env.axm_monitor as Record<string, { value: string | number }>).HTTP?.value) >= 6 ? proc : null;
    }, 30_000)).pid;
    process.kill(held, 'SIGSTOP');
    onTestFinished(() => process.kill(held, 'SIGCONT'));
    const { exposition, web } = await eventually('a scrape that matches jlist', async () => {
      const before = await pmx.proc('web');
      const scraped = parseExposition((await scrape(port)).body);
      const after = await pmx.proc('web');
      const axm = after.pm2_env.axm_monitor as Record<string, { value: string | number }>;
      const same = JSON.stringify(before.monit) === JSON.stringify(after.monit) && JSON.stringify(before.pm2_env.axm_monitor) === JSON.stringify(axm);
      return same && Number(axm.HTTP?.value) >= 6 ? { exposition: scraped, web: after } : null;
    });
    const axm = web.pm2_env.axm_monitor as Record<string, { value: string | number }>;
    expect(valueOf(exposition, 'pmx_process_memory_bytes', web)).toBe(web.monit.memory);
    expect(valueOf(exposition, 'pmx_process_cpu_percent', web)).toBe(web.monit.cpu);
    expect(valueOf(exposition, 'pmx_process_restarts_total', web)).toBe(web.pm2_env.restart_time);
    const uptime = valueOf(exposition, 'pmx_process_uptime_seconds', web)!;
    expect(uptime).toBeGreaterThan(0);
    expect(uptime).toBeLessThanOrEqual((Date.now() - (web.pm2_env.pm_uptime as number)) / 1000);
    expectRoundsTo(valueOf(exposition, 'pmx_process_heap_total_bytes', web)! / 2 ** 20, axm['Heap Size']?.value);
    expectRoundsTo(valueOf(exposition, 'pmx_process_heap_used_bytes', web)! / 2 ** 20, axm['Used Heap Size']?.value);
    expectRoundsTo(valueOf(exposition, 'pmx_process_event_loop_delay_seconds', web, { quantile: '0.95' })! * 1000, axm['Event Loop Latency p95']?.value);
    expect(valueOf(exposition, 'pmx_process_active_handles', web)).toBe(Number(axm['Active handles']?.value));
    // readiness probe + 5 requests, all within the last minute
    expect(valueOf(exposition, 'pmx_process_http_requests_total', web)).toBe(Number(axm.HTTP?.value));
    expect(valueOf(exposition, 'pmx_process_http_request_duration_seconds_count', web)).toBe(Number(axm.HTTP?.value));
    expectRoundsTo(valueOf(exposition, 'pmx_process_http_request_duration_seconds', web, { quantile: '0.95' })! * 1000, axm['HTTP P95 Latency']?.value);
  });

  it('answers 404 elsewhere than /metrics', async () => {
    expect((await scrape(port, '/')).status).toBe(404);
  });

  it('on loopback, answers only a Host that is an address or localhost: a page whose name was made to resolve to 127.0.0.1 (DNS rebinding) reads nothing', async () => {
    expect(await get(port, '/metrics', { host: `evil.example:${port}` })).toEqual({ status: 421, body: 'pmx serves metrics on loopback to a host named by its address or localhost\n' });
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'app.localhost']) expect((await get(port, '/metrics', { host })).status).toBe(200);
  });

  it('says where it serves with --status, and frees the port with --stop', async () => {
    expect(await pmx.ok(['metrics', '--status'])).toContain(`http://127.0.0.1:${port}/metrics`);
    await pmx.ok(['metrics', '--stop']);
    await expect(scrape(port)).rejects.toThrow(/ECONNREFUSED/);
    expect(await pmx.ok(['metrics', '--status'])).toContain('no metrics endpoint');
  });

  it('names the port when it is taken', async () => {
    const taken = await freePort();
    const blocker = (await import('node:net')).createServer().listen(taken, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    try {
      const result = await pmx.run(['metrics', '--port', String(taken)]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`cannot serve metrics on 127.0.0.1:${taken}: EADDRINUSE`);
      expect(result.stderr).toContain('--port');
    } finally {
      blocker.close();
    }
  });
  it('keeps serving where it was when a move fails (a port taken, an address not of this machine)', async () => {
    const port = await freePort();
    await pmx.ok(['metrics', '--port', String(port)]);
    const taken = await freePort();
    const blocker = (await import('node:net')).createServer().listen(taken, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    try {
      const moved = await pmx.run(['metrics', '--port', String(taken)]);
      expect(moved.code).toBe(1);
      expect(moved.stderr).toContain(`cannot serve metrics on 127.0.0.1:${taken}: EADDRINUSE; metrics are still served on 127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
    expect((await scrape(port)).status).toBe(200);
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: binding it fails, and nothing is sent
    const elsewhere = await pmx.run(['metrics', '--host', '192.0.2.1', '--port', String(port)]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`cannot serve metrics on 192.0.2.1:${port}: EADDRNOTAVAIL; metrics are still served on 127.0.0.1:${port}`);
    expect((await scrape(port)).status).toBe(200);
    expect(await pmx.ok(['metrics', '--status'])).toContain(`http://127.0.0.1:${port}/metrics`);
    // the same port on every address: the port is freed for it, then taken on 0.0.0.0
    await pmx.ok(['metrics', '--host', '0.0.0.0', '--port', String(port)]);
    expect((await scrape(port)).status).toBe(200);
    expect(await pmx.ok(['metrics', '--status'])).toContain(`0.0.0.0:${port}`);
    await pmx.ok(['metrics', '--stop']);
    await expect(scrape(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('PMX_METRICS_PORT', () => {
  const other = new PmxSandbox();
  afterAll(() => other.cleanup());

  it('has the agent serve metrics from its start', async () => {
    const port = await freePort();
    await other.ok(['ping'], { env: { PMX_METRICS_PORT: String(port) } });
    const res = await scrape(port);
    expect(res.status).toBe(200);
    expect(res.body).toContain('# TYPE pmx_process_up gauge');
  });
});
