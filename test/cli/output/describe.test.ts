// `pmx describe` and `pmx env`.
import { describe, expect, it } from 'vitest';
import { renderDescribe, renderEnv } from '../../../cli/output/describe.js';
import { displayWidth } from '../../../cli/output/style.js';
import { FIXTURE_NOW, processDescription } from '../../fixtures/process-description.js';

/** key → value of the describe table. */
function rows(out: string): Map<string, string> {
  const entries = out
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) => line.slice(1, -1).split('│').map((cell) => cell.trim()) as [string, string]);
  return new Map(entries);
}

describe('renderDescribe', () => {
  const proc = processDescription({
    pm_id: 3,
    name: 'api',
    pm2_env: { args: ['--port', '3000'], node_args: ['--max-old-space-size=512'], pm_log_path: '/home/deploy/.pmx/logs/api.log' },
  });

  it('starts with the title line PM2 prints', () => {
    expect(renderDescribe(proc, { color: false, now: FIXTURE_NOW }).split('\n')[0]).toBe(' Describing process with id 3 - name api ');
  });

  it('shows every path of the process', () => {
    const table = rows(renderDescribe(proc, { color: false, now: FIXTURE_NOW }));
    expect(table.get('script path')).toBe('/srv/api/current/server.js');
    expect(table.get('error log path')).toBe('/home/deploy/.pmx/logs/api-error.log');
    expect(table.get('out log path')).toBe('/home/deploy/.pmx/logs/api-out.log');
    expect(table.get('entire log path')).toBe('/home/deploy/.pmx/logs/api.log');
    expect(table.get('pid path')).toBe('/home/deploy/.pmx/pids/api-3.pid');
    expect(table.get('exec cwd')).toBe('/srv/api/current');
  });

  it("has PM2's rows in PM2's order with the process's values", () => {
    const table = rows(renderDescribe(proc, { color: false, now: FIXTURE_NOW, nodeVersion: '20.19.0' }));
    expect([...table.keys()].slice(0, 6)).toEqual(['status', 'name', 'namespace', 'version', 'restarts', 'uptime']);
    expect(table.get('status')).toBe('online');
    expect(table.get('version')).toBe('1.4.2');
    expect(table.get('restarts')).toBe('2');
    expect(table.get('uptime')).toBe('5m');
    expect(table.get('script args')).toBe('--port 3000');
    expect(table.get('interpreter')).toBe('node');
    expect(table.get('interpreter args')).toBe('--max-old-space-size=512');
    expect(table.get('script id')).toBe('3');
    expect(table.get('exec mode')).toBe('fork_mode');
    expect(table.get('node.js version')).toBe('20.19.0');
    expect(table.get('node env')).toBe('production');
    expect(table.get('watch & reload')).toBe('✘');
    expect(table.get('unstable restarts')).toBe('0');
    expect(table.get('created at')).toBe('2025-01-12T12:00:00.000Z');
    expect(table.get('kill timeout')).toBe('1600ms');
  });

  it('prints N/A for what is not set, node.js version included for other interpreters (as PM2)', () => {
    const python = processDescription({ pm2_env: { exec_interpreter: 'python3', version: null, status: 'stopped' } });
    const table = rows(renderDescribe(python, { color: false, now: FIXTURE_NOW }));
    expect(table.get('version')).toBe('N/A');
    expect(table.get('script args')).toBe('N/A');
    expect(table.get('uptime')).toBe('0');
    expect(table.get('node.js version')).toBe('N/A');
    expect(table.has('entire log path')).toBe(false);
  });

  it("adds pmx's rows when they are set: max memory restart, cron restart, last error", () => {
    const plain = rows(renderDescribe(proc, { color: false, now: FIXTURE_NOW }));
    expect(plain.has('max memory restart')).toBe(false);
    expect(plain.has('cron restart')).toBe(false);
    expect(plain.has('last error')).toBe(false);
    const limited = processDescription({ pm2_env: { max_memory_restart: 200 * 1024 * 1024, cron_restart: '0 3 * * *', pmx_error: 'spawn /srv/api/current/server.js ENOENT' } });
    const table = rows(renderDescribe(limited, { color: false, now: FIXTURE_NOW }));
    expect(table.get('max memory restart')).toBe(String(200 * 1024 * 1024)); // bytes, as PM2 shows it
    expect(table.get('cron restart')).toBe('0 3 * * *');
    expect(table.get('last error')).toBe('spawn /srv/api/current/server.js ENOENT');
  });

  it('keeps each table aligned and free of escape codes without colours', () => {
    const out = renderDescribe(proc, { color: false, now: FIXTURE_NOW });
    expect(out).not.toContain('\u001b');
    const tables = out.split(/\n(?=┌)/).map((part) => part.split('\n').filter((line) => /^[│┌└]/.test(line))).filter((box) => box.length > 0);
    expect(tables).toHaveLength(2);
    for (const box of tables) expect(new Set(box.map(displayWidth)).size).toBe(1);
  });

  it('shows CPU, memory and the Node metrics of axm_monitor in the code metrics table', () => {
    const withMetrics = processDescription({
      pm2_env: { axm_monitor: { 'Heap Size': { value: '6.23', unit: 'MiB', type: 'v8/heap/total', historic: true }, HTTP: { value: 20, unit: 'req/min', type: 'internal/http/builtin/reqs', historic: true } } },
    });
    const out = renderDescribe(withMetrics, { color: false, now: FIXTURE_NOW });
    const metrics = rows(out.slice(out.indexOf('Code metrics value')));
    expect(metrics.get('CPU usage')).toBe('0.3%');
    expect(metrics.get('Memory')).toBe('40.1mb');
    expect(metrics.get('Heap Size')).toBe('6.23 MiB');
    expect(metrics.get('HTTP')).toBe('20 req/min');
  });

  it('has no code metrics table for a process that is not online', () => {
    const stopped = processDescription({ pm2_env: { status: 'stopped' } });
    expect(renderDescribe(stopped, { color: false, now: FIXTURE_NOW })).not.toContain('Code metrics value');
  });

  it('colours the status when asked', () => {
    expect(renderDescribe(proc, { color: true, now: FIXTURE_NOW })).toContain('\u001b[32monline');
  });
});

describe('renderEnv', () => {
  it("prints KEY: value lines sorted by key, with the keys PM2 adds (instance, namespace, ids, versions)", () => {
    const proc = processDescription({ pm2_env: { env: { PORT: '3000', NODE_ENV: 'production', API_KEY: 'a=b: c' } } });
    const { namespace, unique_id, version } = proc.pm2_env;
    expect(renderEnv(proc)).toBe(
      [`API_KEY: a=b: c`, `NODE_APP_INSTANCE: 0`, `NODE_ENV: production`, `PORT: 3000`, `km_link: false`, `namespace: ${namespace}`, `unique_id: ${unique_id}`, `version: ${version}`, `vizion_running: false`].join('\n'),
    );
  });

  it('prints version N/A without a package.json version, and the node_version the agent reported', () => {
    const proc = processDescription({ pm2_env: { env: {}, version: undefined, node_version: '20.1.0' } });
    expect(renderEnv(proc).split('\n').filter((line) => /^(version|node_version):/.test(line))).toEqual(['node_version: 20.1.0', 'version: N/A']);
  });

  it('escapes newlines in values so each variable stays on one line', () => {
    const proc = processDescription({ pm2_env: { env: { CERT: '-----BEGIN-----\nabc\n-----END-----' } } });
    expect(renderEnv(proc).split('\n')[0]).toBe('CERT: -----BEGIN-----\\nabc\\n-----END-----');
  });
});
