// Differential: what scripts read from `jlist` and `prettylist` is what PM2 gives them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APPS, Differential, type JlistEntry, allOnline, project, settled, until } from './harness.js';
import { freePort } from '../helpers/net.js';

let diff: Differential;
beforeAll(() => {
  diff = Differential.create();
  diff.write(APPS);
}, 300_000);
afterEach(() => diff.clear());
afterAll(() => diff?.close());

/** Keys PM2 has and pmx does not, on purpose: PM2's runtime internals (its @pm2/io probe, its own environment variables). */
const PM2_ONLY = new Set(['_pm2_version', 'PM2_HOME', 'PM2_USAGE', 'PM2_JSON_PROCESSING', 'PM2_INTERACTOR_PROCESSING', 'filter_env']);
/** pmx's keys PM2 has not: its documented extensions, present only when they carry something. */
const PMX_ONLY = new Set(['listen', 'log_rotate', 'log_mode', 'pmx_error', 'pmx_log_error', 'pmx_state_error']);

const codes = (pair: { pm2: { code: number }; pmx: { code: number } }) => ({ pm2: pair.pm2.code, pmx: pair.pmx.code });

/** The pm2_env keys of an entry that are PM2's or pmx's own (not a copy of an app variable). */
function ownKeys(entry: JlistEntry): string[] {
  return Object.keys(entry.pm2_env).filter((key) => !(key in entry.pm2_env.env) || key === 'name' || key === 'unique_id');
}

const FIELDS = [
  'name',
  'pm2_env.name',
  'pm2_env.namespace',
  'pm2_env.status',
  'pm2_env.exec_mode',
  'pm2_env.instances',
  'pm2_env.restart_time',
  'pm2_env.unstable_restarts',
  'pm2_env.autorestart',
  'pm2_env.vizion',
  'pm2_env.autostart',
  'pm2_env.treekill',
  'pm2_env.automation',
  'pm2_env.pmx',
  'pm2_env.windowsHide',
  'pm2_env.kill_retry_time',
  'pm2_env.instance_var',
  'pm2_env.NODE_APP_INSTANCE',
  'pm2_env.merge_logs',
  'pm2_env.node_args',
  'pm2_env.args',
  'pm2_env.exec_interpreter',
  'pm2_env.pm_exec_path',
  'pm2_env.pm_cwd',
  'pm2_env.pm_out_log_path',
  'pm2_env.pm_err_log_path',
  'pm2_env.pm_pid_path',
  'pm2_env.version',
  'pm2_env.km_link',
  'pm2_env.vizion_running',
  'pm2_env.axm_dynamic',
  'monit.cpu',
];

describe('jlist', () => {
  it('gives a fork-mode app the same fields and values a script reads', async () => {
    await diff.run(['start', 'hold.js', '--name', 'api', '--', 'one', 'two']);
    const { pm2, pmx } = await diff.jlist();
    const normalize = (list: JlistEntry[], side: 'pm2' | 'pmx') => JSON.parse(diff[side].normalize(JSON.stringify(project(list, FIELDS).map((p) => ({ ...p, 'monit.cpu': typeof p['monit.cpu'] })))));
    expect(normalize(pmx, 'pmx')).toEqual(normalize(pm2, 'pm2'));
    expect(pmx[0]!.pid).toBeGreaterThan(0);
    expect(Object.keys(pmx[0]!)).toEqual(Object.keys(pm2[0]!));
  });

  it('has every key PM2 has and none PM2 leaves out (no nulls for unset options)', async () => {
    await diff.run(['start', 'hold.js', '--name', 'keys']);
    const { pm2, pmx } = await diff.jlist();
    const pm2Keys = ownKeys(pm2[0]!).filter((key) => !PM2_ONLY.has(key));
    const pmxKeys = ownKeys(pmx[0]!).filter((key) => !PMX_ONLY.has(key));
    // the @pm2/io probe's metrics come later under PM2; both have the key
    expect(pmxKeys.sort()).toEqual(pm2Keys.sort());
    expect(Object.values(pmx[0]!.pm2_env).filter((value) => value === null)).toEqual([]);
    for (const deleted of ['script', 'out_file', 'error_file', 'log_file', 'interpreter', 'interpreter_args', 'app_env', 'cwd']) {
      expect(pmx[0]!.pm2_env, deleted).not.toHaveProperty(deleted);
    }
    // unique_id is a random UUID (version 4) on both sides
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect([pm2[0]!.pm2_env.unique_id, pmx[0]!.pm2_env.unique_id]).toEqual([expect.stringMatching(uuid), expect.stringMatching(uuid)]);
  });

  it('copies the app environment to the top of pm2_env, as PM2 does (`jq .pm2_env.FEATURE`)', async () => {
    await diff.run(['start', 'hold.js', '--name', 'flagged'], { env: { FEATURE: 'on' } });
    const { pm2, pmx } = await diff.jlist();
    expect(pmx[0]!.pm2_env.FEATURE).toBe('on');
    expect(pmx[0]!.pm2_env.FEATURE).toBe(pm2[0]!.pm2_env.FEATURE);
    expect(pmx[0]!.pm2_env.env.FEATURE).toBe(pm2[0]!.pm2_env.env.FEATURE);
  });

  it('shows an app set in an ecosystem file with its options, and only those', async () => {
    diff.write({
      'opts.config.js': `module.exports = { apps: [{ name: 'opts', script: './hold.js', instances: 2, cron_restart: '0 3 * * *', max_memory_restart: '100M', log_date_format: 'YYYY', node_args: '--max-old-space-size=100', args: 'x y', env: { A: '1' } }] };`,
    });
    await diff.run(['start', 'opts.config.js']);
    const { pm2, pmx } = await diff.jlist();
    const fields = [...FIELDS, 'pm2_env.cron_restart', 'pm2_env.max_memory_restart', 'pm2_env.log_date_format', 'pm2_env.A', 'pm2_env.kill_timeout', 'pm2_env.max_restarts'];
    const byInstance = (list: JlistEntry[], side: 'pm2' | 'pmx') =>
      JSON.parse(diff[side].normalize(JSON.stringify(project(list, fields).map((p) => ({ ...p, 'monit.cpu': 0 })).sort((a, b) => Number(a['pm2_env.NODE_APP_INSTANCE']) - Number(b['pm2_env.NODE_APP_INSTANCE'])))));
    // ids: PM2 starts the two instances concurrently, so which gets which id may differ
    const withoutIds = (rows: Record<string, unknown>[]) => rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' ? v.replace(/-\d+\.(log|pid)$/, '-N.$1') : v])));
    expect(withoutIds(byInstance(pmx, 'pmx'))).toEqual(withoutIds(byInstance(pm2, 'pm2')));
  });

  it('gives a stopped app pid 0, zero monit and status stopped', async () => {
    await diff.run(['start', 'hold.js', '--name', 'resting']);
    await diff.run(['stop', 'resting']);
    const { pm2, pmx } = await diff.jlist();
    // a process ended by the stop's signal has exit code 0 in PM2's list
    const fields = ['pid', 'monit', 'pm2_env.status', 'pm2_env.exit_code'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
  });

  it('records the exit code of an app that exited, and no exit code before', async () => {
    await diff.run(['start', 'crash.js', '--name', 'oneshot', '--no-autorestart'], { env: { EXIT_CODE: '7' } });
    const settled = (list: JlistEntry[]) => list[0]?.pm2_env.status === 'stopped';
    await until('both apps to have exited', async () => {
      const { pm2, pmx } = await diff.jlist();
      return settled(pm2) && settled(pmx);
    });
    const { pm2, pmx } = await diff.jlist();
    const fields = ['pid', 'pm2_env.status', 'pm2_env.exit_code', 'pm2_env.autorestart', 'pm2_env.restart_time'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
  });

  it('counts unstable_restarts as PM2 shows them: 1 for a crash at once with --no-autorestart, 0 once a crash loop is errored', async () => {
    // min_uptime 60 s: an exit counts as unstable however long node takes to start on a loaded
    // machine (at PM2's 1 s default, a start slower than that made PM2 count no unstable exit)
    diff.write({
      'once.config.js': "module.exports = { apps: [{ name: 'once', script: './crash.js', autorestart: false, min_uptime: 60000 }] };",
      'looping.config.js': "module.exports = { apps: [{ name: 'looping', script: './crash.js', max_restarts: 3, min_uptime: 60000, pmx: false }] };",
    });
    await diff.run(['start', 'once.config.js']);
    await diff.run(['start', 'looping.config.js']);
    const done = (list: JlistEntry[]) => list.find((entry) => entry.name === 'once')?.pm2_env.status === 'stopped' && list.find((entry) => entry.name === 'looping')?.pm2_env.status === 'errored';
    const { pm2, pmx } = await settled(diff, done, 'the one-shot stopped and the crash loop errored');
    const fields = ['name', 'pm2_env.status', 'pm2_env.unstable_restarts', 'pm2_env.restart_time'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(project(pmx, fields)).toEqual([
      { name: 'once', 'pm2_env.status': 'stopped', 'pm2_env.unstable_restarts': 1, 'pm2_env.restart_time': 0 },
      { name: 'looping', 'pm2_env.status': 'errored', 'pm2_env.unstable_restarts': 0, 'pm2_env.restart_time': 2 },
    ]);
  });

  it('sets created_at again at a restart asked for, and to null once a crash loop is errored, as PM2 does', async () => {
    await diff.run(['start', 'hold.js', '--name', 'aged']);
    const before = await diff.jlist();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await diff.run(['restart', 'aged']);
    const after = await diff.jlist();
    const created = (list: JlistEntry[]) => list.find((entry) => entry.name === 'aged')!.pm2_env.created_at as number;
    expect({ pm2: created(after.pm2) > created(before.pm2), pmx: created(after.pmx) > created(before.pmx) }).toEqual({ pm2: true, pmx: true });
    diff.write({ 'looped.config.js': "module.exports = { apps: [{ name: 'looped', script: './crash.js', max_restarts: 2, min_uptime: 60000, pmx: false }] };" });
    await diff.run(['start', 'looped.config.js']);
    const { pm2, pmx } = await settled(diff, (list) => list.find((entry) => entry.name === 'looped')?.pm2_env.status === 'errored', 'the crash loop errored');
    expect(project(pmx, ['name', 'pm2_env.created_at']).filter((row) => row.name === 'looped')).toEqual(project(pm2, ['name', 'pm2_env.created_at']).filter((row) => row.name === 'looped'));
    expect(project(pmx, ['name', 'pm2_env.created_at']).find((row) => row.name === 'looped')).toEqual({ name: 'looped', 'pm2_env.created_at': null });
  });

  it("gives an app with exp_backoff_restart_delay PM2's prev_restart_delay: the back-off in force, PM2's numbers (x1.5 rounded down), growing with each crash", async () => {
    diff.write({ 'ends.js': 'setTimeout(() => process.exit(3), 300);' });
    await diff.run(['start', 'hold.js', '--name', 'steady']);
    await diff.run(['start', 'ends.js', '--name', 'backing', '--exp-backoff-restart-delay', '100', '--max-restarts', '100']);
    // PM2's delays: 100, then each the last x 1.5 rounded down, up to 15 s
    const sequence = [100];
    while (sequence.at(-1)! < 15_000) sequence.push(Math.min(Math.floor(sequence.at(-1)! * 1.5), 15_000));
    const delay = (list: JlistEntry[]) => list.find((entry) => entry.name === 'backing')?.pm2_env.prev_restart_delay;
    const first = await settled(diff, (list) => Number(delay(list)) >= 337, 'both back-offs at 337 ms or more');
    const after = await settled(diff, (list) => Number(delay(list)) > Number(delay(first.pm2)) && Number(delay(list)) > Number(delay(first.pmx)), 'both back-offs to grow');
    for (const lists of [first, after]) {
      expect(typeof delay(lists.pmx)).toBe('number');
      expect(sequence).toContain(delay(lists.pm2));
      expect(sequence).toContain(delay(lists.pmx));
    }
    // an app with no back-off has no such key on either side
    for (const list of [after.pm2, after.pmx]) expect(list.find((entry) => entry.name === 'steady')!.pm2_env).not.toHaveProperty('prev_restart_delay');
  });

  it('stop of an errored app leaves it stopped, by name and with stop all (an alert on errored apps kept firing after the operator stopped it)', async () => {
    await diff.run(['start', 'crash.js', '--name', 'broken', '--max-restarts', '1', '--no-pmx']);
    await diff.run(['start', 'crash.js', '--name', 'broken2', '--max-restarts', '1', '--no-pmx']);
    await settled(diff, (list) => list.length === 2 && list.every((entry) => entry.pm2_env.status === 'errored'), 'both crash loops errored');
    const stopped = { name: await diff.run(['stop', 'broken']), all: await diff.run(['stop', 'all']) };
    expect(codes(stopped.name)).toEqual({ pm2: 0, pmx: 0 });
    expect(codes(stopped.all)).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await diff.jlist();
    const fields = ['name', 'pid', 'pm2_env.status'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(project(pmx, fields)).toEqual([{ name: 'broken', pid: 0, 'pm2_env.status': 'stopped' }, { name: 'broken2', pid: 0, 'pm2_env.status': 'stopped' }]);
  });
});

describe('what scripts read after a crash, from another folder, and when silent', () => {
  it('keeps the exit code of the last exit once the app runs again', async () => {
    diff.write({ 'crash-later.js': "setTimeout(() => process.exit(Number(process.env.EXIT_CODE || 3)), Number(process.env.DELAY || 1000));" });
    await diff.run(['start', 'crash-later.js', '--name', 'again'], { env: { EXIT_CODE: '7', DELAY: '1500' } });
    const { pm2, pmx } = await settled(diff, (list) => list[0]?.pm2_env.restart_time === 1 && list[0]?.pm2_env.status === 'online', 'both apps restarted once');
    const fields = ['pm2_env.status', 'pm2_env.exit_code', 'pm2_env.restart_time'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(pmx[0]!.pm2_env.exit_code).toBe(7);
  });

  it("gives the version of the package.json beside the script, started from another folder", async () => {
    diff.write({ 'pkg/app.js': 'setInterval(() => {}, 1000);', 'pkg/package.json': JSON.stringify({ name: 'pkg', version: '1.2.3' }), 'elsewhere/.keep': '' });
    await diff.run(['start', '../pkg/app.js', '--name', 'versioned'], { cwd: 'elsewhere' });
    const { pm2, pmx } = await diff.jlist();
    expect(project(pmx, ['pm2_env.version'])).toEqual(project(pm2, ['pm2_env.version']));
    expect(pmx[0]!.pm2_env.version).toBe('1.2.3');
  });

  it('counts restarts as PM2 does when a stopped app is started or restarted again', async () => {
    await diff.run(['start', 'hold.js', '--name', 'counted']);
    await diff.run(['restart', 'counted']);
    await diff.run(['stop', 'counted']);
    await diff.run(['start', 'counted']);
    await diff.run(['stop', 'counted']);
    await diff.run(['restart', 'counted']);
    const { pm2, pmx } = await settled(diff, (list) => list[0]?.pm2_env.status === 'online', 'both apps online');
    expect(project(pmx, ['pm2_env.restart_time'])).toEqual(project(pm2, ['pm2_env.restart_time']));
  });

  it('a stopped app brought back by reload counts no restart, as PM2 (fork and cluster, by name and with all)', async () => {
    await diff.run(['start', 'hold.js', '--name', 'forked']);
    await diff.run(['start', 'hold.js', '--name', 'clustered', '-i', '2']);
    await diff.run(['stop', 'all']);
    await diff.run(['reload', 'forked']);
    await diff.run(['reload', 'clustered']);
    let lists = await settled(diff, allOnline, 'every app online after reload of each');
    const counts = (list: JlistEntry[]) => [...list].sort((a, b) => a.pm_id - b.pm_id).map((entry) => `${entry.name}:${entry.pm2_env.restart_time}`);
    expect(counts(lists.pmx)).toEqual(counts(lists.pm2));
    expect(counts(lists.pmx)).toEqual(['forked:0', 'clustered:0', 'clustered:0']);
    await diff.run(['stop', 'all']);
    await diff.run(['reload', 'all']);
    lists = await settled(diff, allOnline, 'every app online after reload all');
    expect(counts(lists.pmx)).toEqual(counts(lists.pm2));
    expect(counts(lists.pmx)).toEqual(['forked:0', 'clustered:0', 'clustered:0']);
    // a reload of a running app still counts one, on both
    await diff.run(['reload', 'all']);
    lists = await settled(diff, allOnline, 'every app online after a reload of running apps');
    expect(counts(lists.pmx)).toEqual(counts(lists.pm2));
    expect(counts(lists.pmx)).toEqual(['forked:1', 'clustered:1', 'clustered:1']);
  });

  it('jlist -s and prettylist --silent still print the list (scripts parse it)', async () => {
    await diff.run(['start', 'hold.js', '--name', 'quiet']);
    const { pm2, pmx } = await diff.run(['jlist', '-s']);
    expect(JSON.parse(pm2.stdout)).toHaveLength(1);
    expect((JSON.parse(pmx.stdout) as JlistEntry[]).map((entry) => entry.name)).toEqual(['quiet']);
    const pretty = await diff.run(['prettylist', '--silent']);
    expect(pretty.pmx.code).toBe(0);
    for (const side of [pretty.pm2, pretty.pmx]) expect(side.stdout).toMatch(/^ {4}name: 'quiet',$/m);
  });
});

describe('the bytes', () => {
  it('jlist and prettylist end without a newline, as PM2 writes them', async () => {
    await diff.run(['start', 'hold.js', '-n', 'bytes']);
    for (const command of ['jlist', 'prettylist']) {
      const listed = await diff.run([command]);
      expect({ pm2: listed.pm2.stdout.endsWith('\n'), pmx: listed.pmx.stdout.endsWith('\n') }, command).toEqual({ pm2: false, pmx: false });
    }
  });
});

describe('monit', () => {
  it('holds the memory of the process right after start and restart return, as PM2 measures at the request', async () => {
    for (const command of [['start', 'hold.js', '-n', 'measured'], ['restart', 'measured']]) {
      const run = await diff.run(command);
      expect(codes(run)).toEqual({ pm2: 0, pmx: 0 });
      const { pm2, pmx } = await diff.jlist();
      expect({ pm2: pm2[0]!.monit.memory > 0, pmx: pmx[0]!.monit.memory > 0 }).toEqual({ pm2: true, pmx: true });
    }
  });
});

describe('axm_monitor', () => {
  it("gives each Node metric PM2's id, unit (or none) and value type: a jq script comparing a latency as a number reads the same", async () => {
    const ports = { pm2: await freePort(), pmx: await freePort() };
    await Promise.all([diff.pm2.run(['start', 'http.js', '-n', 'metered'], { env: { PORT: String(ports.pm2) } }), diff.pmx.run(['start', 'http.js', '-n', 'metered'], { env: { PORT: String(ports.pmx) } })]);
    const shapes = (entry: JlistEntry): Record<string, unknown> =>
      Object.fromEntries(Object.entries(entry.pm2_env.axm_monitor as Record<string, { value: unknown; type: string; unit?: string }>).map(([name, metric]) => [name, { type: metric.type, unit: 'unit' in metric ? metric.unit : '(none)', value: typeof metric.value }]));
    const lists = await until('both apps to show their HTTP latency', async () => {
      for (const port of Object.values(ports)) await fetch(`http://127.0.0.1:${port}/`).then((res) => res.text()).catch(() => null);
      const { pm2, pmx } = await diff.jlist();
      const ready = (list: JlistEntry[]) => list.length === 1 && 'HTTP P95 Latency' in (list[0]!.pm2_env.axm_monitor as object) && 'Active handles' in (list[0]!.pm2_env.axm_monitor as object);
      return ready(pm2) && ready(pmx) ? { pm2: shapes(pm2[0]!), pmx: shapes(pmx[0]!) } : null;
    });
    // PM2's probe has a few metrics pmx does not measure (Active requests, the GC pauses): pmx's are a subset, each as PM2 gives it
    expect(Object.keys(lists.pmx).filter((name) => !(name in lists.pm2))).toEqual([]);
    expect(lists.pmx).toEqual(Object.fromEntries(Object.keys(lists.pmx).map((name) => [name, lists.pm2[name]])));
  });
});

describe('prettylist', () => {
  it('prints util.inspect text, the lines scripts grep the same', async () => {
    await diff.run(['start', 'hold.js', '--name', 'pretty']);
    const { pm2, pmx } = await diff.run(['prettylist']);
    const greps = [/^ {6}status: 'online',$/m, /^ {6}exec_mode: 'fork_mode',$/m, /^ {6}node_args: \[\],$/m, /^ {6}restart_time: 0,$/m, /^ {6}watch: false,$/m, /^ {4}name: 'pretty',$/m, /^ {6}vizion: true,$/m];
    for (const pattern of greps) {
      expect(pm2.stdout, `PM2 ${pattern}`).toMatch(pattern);
      expect(pmx.stdout, `pmx ${pattern}`).toMatch(pattern);
    }
    expect(pmx.stdout.trimStart().startsWith('[')).toBe(true);
    expect(() => JSON.parse(pmx.stdout)).toThrow();
  });

  it("prints a watched cluster app as `exec_mode: 'cluster_mode'` and `watch: true`", async () => {
    await diff.run(['start', 'hold.js', '--name', 'watched', '-i', '2', '--watch']);
    const { pm2, pmx } = await diff.run(['prettylist']);
    for (const pattern of [/^ {6}exec_mode: 'cluster_mode',$/m, /^ {6}watch: true,$/m, /^ {6}instances: 2,$/m]) {
      expect(pm2.stdout, `PM2 ${pattern}`).toMatch(pattern);
      expect(pmx.stdout, `pmx ${pattern}`).toMatch(pattern);
    }
  });
});
