// Differential: start, stop, restart, delete, reset, scale and sendSignal decide what they act on
// and what they exit with as PM2 does.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { APPS, Differential, type JlistEntry, allOnline, project, settled, statuses, until } from './harness.js';

let diff: Differential;
beforeAll(() => {
  diff = Differential.create();
  diff.write({ ...APPS, 'b.js': APPS['hold.js'], 'v1/app.js': APPS['hold.js'], 'v2/app.js': APPS['hold.js'] });
}, 300_000);
afterEach(() => diff.clear());
afterAll(() => diff?.close());

const codes = (pair: { pm2: { code: number }; pmx: { code: number } }) => ({ pm2: pair.pm2.code, pmx: pair.pmx.code });

describe('starting what is already running', () => {
  it('refuses a running script path with exit 1, and starts nothing more', async () => {
    await diff.run(['start', 'hold.js']);
    const again = await diff.run(['start', 'hold.js']);
    expect(codes(again)).toEqual({ pm2: 1, pmx: 1 });
    expect({ pm2: again.pm2.stdout, pmx: again.pmx.stdout }).toEqual({ pm2: '', pmx: '' });
    const { pm2, pmx } = await diff.jlist();
    expect(statuses(pmx)).toEqual(statuses(pm2));
  });

  it('start -f runs another copy under the same name, and stop <name> stops every copy', async () => {
    await diff.run(['start', 'hold.js']);
    const forced = await diff.run(['start', 'hold.js', '-f']);
    expect(codes(forced)).toEqual({ pm2: 0, pmx: 0 });
    await diff.run(['stop', 'hold']);
    const { pm2, pmx } = await diff.jlist();
    const fields = ['name', 'pm_id', 'pm2_env.status', 'pm2_env.NODE_APP_INSTANCE'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(pmx.map((entry) => entry.name)).toEqual(['hold', 'hold']);
  });

  it('start <name> of a stopped app starts it again, exit 0', async () => {
    await diff.run(['start', 'hold.js', '--name', 'again']);
    await diff.run(['stop', 'again']);
    const started = await diff.run(['start', 'again']);
    expect(codes(started)).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(statuses(pmx)).toEqual(statuses(pm2));
  });

  it('start <script> of a stopped app with new options and arguments starts it with them; what is not given stays', async () => {
    await diff.run(['start', 'hold.js', '--name', 'redo', '--kill-timeout', '3000', '--', 'one']);
    await diff.run(['stop', 'redo']);
    const again = await diff.run(['start', 'hold.js', '--name', 'redo', '--node-args=--max-old-space-size=99', '--max-memory-restart', '200M', '--', 'two']);
    expect(codes(again)).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    const fields = ['name', 'pm2_env.status', 'pm2_env.args', 'pm2_env.node_args', 'pm2_env.max_memory_restart', 'pm2_env.kill_timeout'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(project(pmx, fields)).toEqual([{ name: 'redo', 'pm2_env.status': 'online', 'pm2_env.args': ['two'], 'pm2_env.node_args': ['--max-old-space-size=99'], 'pm2_env.max_memory_restart': 209715200, 'pm2_env.kill_timeout': 3000 }]);
  });

  it('a start refused for an interpreter not on PATH registers nothing, so the corrected command starts the app', async () => {
    const typo = await diff.run(['start', 'hold.js', '--name', 'interp', '--interpreter', 'nodejs-typo-9']);
    expect(codes(typo)).toEqual({ pm2: 1, pmx: 1 });
    expect(typo.pmx.stderr).toContain("`--interpreter` 'nodejs-typo-9' is not on PATH");
    expect((await diff.jlist()).pmx).toEqual([]);
    expect(codes(await diff.run(['start', 'hold.js', '--name', 'interp']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(statuses(pmx)).toEqual(statuses(pm2));
  });

  it('a number names the app of that name first, then the process of that id, as PM2 decides (an app named after its port)', async () => {
    await diff.run(['start', 'hold.js', '-n', 'x']);
    await diff.run(['start', 'b.js', '-n', 'y']);
    await diff.run(['start', 'hold.js', '-n', '1']);
    expect(codes(await diff.run(['stop', '1']))).toEqual({ pm2: 0, pmx: 0 });
    const named = await diff.jlist();
    expect(statuses(named.pmx)).toEqual(statuses(named.pm2));
    expect(statuses(named.pmx)).toEqual(['x:online', 'y:online', '1:stopped']);
    // no app of that name: the id
    expect(codes(await diff.run(['stop', '0']))).toEqual({ pm2: 0, pmx: 0 });
    const byId = await diff.jlist();
    expect(statuses(byId.pmx)).toEqual(statuses(byId.pm2));
    expect(statuses(byId.pmx)).toEqual(['x:stopped', 'y:online', '1:stopped']);
  });

  it('names a command line as PM2 does: its base name without the extension', async () => {
    expect(codes(await diff.run(['start', 'node hold.js']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(statuses(pmx)).toEqual(statuses(pm2));
    expect(statuses(pmx)).toEqual(['node hold:online']);
    expect(codes(await diff.run(['stop', 'node hold']))).toEqual({ pm2: 0, pmx: 0 });
  });

  it('start <script> of a stopped app starts it again under its name', async () => {
    await diff.run(['start', 'hold.js']);
    await diff.run(['stop', 'hold']);
    expect(codes(await diff.run(['start', 'hold.js']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(project(pmx, ['name', 'pm_id', 'pm2_env.status'])).toEqual(project(pm2, ['name', 'pm_id', 'pm2_env.status']));
  });
});

describe('a new script under a registered name (a release directory deploy)', () => {
  const fields = ['name', 'pm_id', 'pm2_env.status', 'pm2_env.pm_exec_path'];

  it('starts the new script beside the stopped old one, which is not restarted', async () => {
    await diff.run(['start', 'v1/app.js', '--name', 'web']);
    await diff.run(['stop', 'web']);
    const next = await diff.run(['start', 'v2/app.js', '--name', 'web']);
    expect(codes(next)).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await diff.jlist();
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(statuses(pmx)).toEqual(['web:stopped', 'web:online']);
  });

  it('restart <id> --time acts on that process alone, which keeps its script', async () => {
    await diff.run(['start', 'v1/app.js', '--name', 'pair']);
    await diff.run(['start', 'v2/app.js', '--name', 'pair']);
    expect(codes(await diff.run(['restart', '1', '--time']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, (list) => allOnline(list) && list[1]!.pm2_env.restart_time === 1);
    const fields = ['pm_id', 'pm2_env.pm_exec_path', 'pm2_env.restart_time', 'pm2_env.time'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(project(pmx, ['pm2_env.pm_exec_path', 'pm2_env.restart_time'])).toEqual([
      { 'pm2_env.pm_exec_path': '<WORK>/v1/app.js', 'pm2_env.restart_time': 0 },
      { 'pm2_env.pm_exec_path': '<WORK>/v2/app.js', 'pm2_env.restart_time': 1 },
    ]);
  });

  it('starts it beside the running old one instead of refusing it', async () => {
    await diff.run(['start', 'v1/app.js', '--name', 'api']);
    const next = await diff.run(['start', 'v2/app.js', '--name', 'api']);
    expect(codes(next)).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(statuses(pmx)).toEqual(['api:online', 'api:online']);
  });
});

describe('targets', () => {
  it('start a.js b.js starts both scripts', async () => {
    expect(codes(await diff.run(['start', 'hold.js', 'b.js']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await diff.jlist();
    expect(statuses(pmx)).toEqual(statuses(pm2));
    expect(statuses(pmx)).toEqual(['hold:online', 'b:online']);
  });

  it('passes the words after -- to the script', async () => {
    await diff.run(['start', 'hold.js', '--name', 'argued', '--', '--port', '3000', 'x']);
    const { pm2, pmx } = await diff.jlist();
    expect(project(pmx, ['pm2_env.args'])).toEqual(project(pm2, ['pm2_env.args']));
  });

  it('a script file is a target: stop b.js, restart b.js, delete b.js', async () => {
    await diff.run(['start', 'hold.js', 'b.js']);
    expect(codes(await diff.run(['stop', 'b.js']))).toEqual({ pm2: 0, pmx: 0 });
    const stopped = await diff.jlist();
    expect(statuses(stopped.pmx)).toEqual(statuses(stopped.pm2));
    expect(codes(await diff.run(['restart', 'b.js']))).toEqual({ pm2: 0, pmx: 0 });
    expect(codes(await diff.run(['delete', './b.js']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await diff.jlist();
    expect(statuses(pmx)).toEqual(statuses(pm2));
    expect(statuses(pmx)).toEqual(['hold:online']);
  });

  it('stop, restart, reload and delete of `all` with no process exit non-zero', async () => {
    for (const action of ['stop', 'restart', 'reload', 'delete']) {
      const outcome = await diff.run([action, 'all']);
      expect(outcome.pm2.code, `pm2 ${action} all`).not.toBe(0);
      expect(outcome.pmx.code, `pmx ${action} all`).not.toBe(0);
    }
  });

  it('an unknown name or id exits 1 for every action', async () => {
    await diff.run(['start', 'hold.js']);
    for (const args of [['stop', 'nope'], ['restart', 'nope'], ['delete', '42'], ['reset', 'nope'], ['start', 'nope']]) {
      const outcome = await diff.run(args);
      expect(codes(outcome), args.join(' ')).toEqual({ pm2: 1, pmx: 1 });
    }
  });

  it("takes PM2's global -f and --parallel where scripts pass them: restart --parallel 1 restarts each process, stop -f and stop --parallel stop, kill -f kills, exit 0 (pmx refused them: unknown option)", async () => {
    // each takes 500 ms to stop: one at a time, each starts again at least that long after the one before
    diff.write({ 'slow-stop.js': "process.on('SIGINT', () => setTimeout(() => process.exit(0), 500)); setInterval(() => {}, 1000);" });
    for (const name of ['p1', 'p2', 'p3']) await diff.run(['start', 'slow-stop.js', '-n', name]);
    expect(codes(await diff.run(['restart', 'all', '--parallel', '1']))).toEqual({ pm2: 0, pmx: 0 });
    const started = (list: JlistEntry[]) => [...list].sort((a, b) => a.pm_id - b.pm_id).map((entry) => Number(entry.pm2_env.pm_uptime));
    for (const [side, list] of Object.entries(await diff.jlist())) {
      const [first, second, third] = started(list);
      expect(second! - first!, side).toBeGreaterThanOrEqual(450);
      expect(third! - second!, side).toBeGreaterThanOrEqual(450);
    }
    expect(codes(await diff.run(['restart', 'p1', '--parallel', '2', '--update-env']))).toEqual({ pm2: 0, pmx: 0 });
    expect(codes(await diff.run(['restart', 'nope', '--parallel', '2']))).toEqual({ pm2: 1, pmx: 1 });
    const restarted = await diff.jlist();
    const counts = ['name', 'pm2_env.status', 'pm2_env.restart_time'];
    expect(project(restarted.pmx, counts)).toEqual(project(restarted.pm2, counts));
    expect(restarted.pmx.map((entry) => entry.pm2_env.restart_time)).toEqual([2, 1, 1]);
    expect(codes(await diff.run(['stop', 'p1', '-f']))).toEqual({ pm2: 0, pmx: 0 });
    expect(codes(await diff.run(['stop', 'all', '--parallel', '2']))).toEqual({ pm2: 0, pmx: 0 });
    const stopped = await diff.jlist();
    expect(statuses(stopped.pmx)).toEqual(statuses(stopped.pm2));
    expect(statuses(stopped.pmx)).toEqual(['p1:stopped', 'p2:stopped', 'p3:stopped']);
    expect(codes(await diff.run(['kill', '-f']))).toEqual({ pm2: 0, pmx: 0 });
  });

  it('save -f saves an empty list over a saved one, as save --force (PM2 reads its global -f there): resurrect then starts nothing', async () => {
    await diff.run(['start', 'hold.js', '-n', 'once-saved']);
    await diff.run(['save']);
    await diff.run(['delete', 'all']);
    expect(codes(await diff.run(['save', '-f']))).toEqual({ pm2: 0, pmx: 0 });
    await diff.run(['kill']);
    expect(codes(await diff.run(['resurrect']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await diff.jlist();
    expect(statuses(pmx)).toEqual(statuses(pm2));
    expect(statuses(pmx)).toEqual([]);
  });

  it('acts on a namespace and on a /regex/ of names', async () => {
    await diff.run(['start', 'hold.js', '-n', 'api-1', '--namespace', 'web']);
    await diff.run(['start', 'hold.js', '-n', 'api-2', '--namespace', 'web']);
    await diff.run(['start', 'hold.js', '-n', 'worker', '--namespace', 'jobs']);
    await diff.run(['restart', '/^api-/']);
    await diff.run(['stop', 'jobs']);
    const { pm2, pmx } = await diff.jlist();
    const fields = ['name', 'pm2_env.namespace', 'pm2_env.status', 'pm2_env.restart_time'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    await diff.run(['delete', 'web']);
    const after = await diff.jlist();
    expect(statuses(after.pmx)).toEqual(statuses(after.pm2));
  });

  it('reset sets the restart counters back to 0', async () => {
    await diff.run(['start', 'hold.js', '-n', 'counted']);
    await diff.run(['restart', 'counted']);
    await diff.run(['restart', 'counted']);
    expect(codes(await diff.run(['reset', 'counted']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await diff.jlist();
    expect(project(pmx, ['pm2_env.restart_time'])).toEqual(project(pm2, ['pm2_env.restart_time']));
    expect(pmx[0]!.pm2_env.restart_time).toBe(0);
  });

  it('reset of an ecosystem file resets nothing and exits 1, as PM2 (reset takes processes; a script\'s `reset <file>` passed under pmx alone)', async () => {
    diff.write({ 'counted.config.js': `module.exports = { apps: [{ name: 'counted', script: 'hold.js' }] };` });
    await diff.run(['start', 'counted.config.js']);
    await diff.run(['restart', 'counted']);
    expect(codes(await diff.run(['reset', 'counted.config.js']))).toEqual({ pm2: 1, pmx: 1 });
    const { pm2, pmx } = await diff.jlist();
    expect(project(pmx, ['pm2_env.restart_time'])).toEqual(project(pm2, ['pm2_env.restart_time']));
    expect(pmx[0]!.pm2_env.restart_time).toBe(1);
  });

  it('gives ids as PM2 does: never reused while the list is not empty', async () => {
    await diff.run(['start', 'hold.js', '-n', 'first']);
    await diff.run(['start', 'hold.js', '-n', 'second']);
    await diff.run(['delete', 'second']);
    await diff.run(['start', 'hold.js', '-n', 'third']);
    const { pm2, pmx } = await diff.jlist();
    expect(project(pmx, ['name', 'pm_id'])).toEqual(project(pm2, ['name', 'pm_id']));
  });
});

describe('reload of a job (an app meant to end: autorestart off, a cron_restart task)', () => {
  it('reload all, reload <name> and reload <file> exit 0 when a job ran to its end (exit 0), whether it had ended or was running; the job is stopped again, as PM2 (pmx failed the reload: "exited with code 0 before it was ready")', async () => {
    diff.write({
      'job.js': "console.log('job done');",
      'slow-job.js': 'setTimeout(() => process.exit(0), 400);',
      'jobs.config.js': `module.exports = { apps: [{ name: 'web', script: 'hold.js' }, { name: 'nightly', script: 'job.js', cron_restart: '0 3 * * *', autorestart: false }] };`,
    });
    await diff.run(['start', 'jobs.config.js']);
    const ended = (list: JlistEntry[]) => list.length === 2 && list.find((entry) => entry.name === 'nightly')?.pm2_env.status === 'stopped';
    await settled(diff, ended, 'the nightly job to end on both');
    for (const args of [['reload', 'all'], ['reload', 'nightly'], ['reload', 'jobs.config.js'], ['startOrReload', 'jobs.config.js']]) {
      expect(codes(await diff.run(args)), args.join(' ')).toEqual({ pm2: 0, pmx: 0 });
      const { pm2, pmx } = await settled(diff, ended, `the nightly job to end again after ${args.join(' ')}`);
      expect(statuses(pmx), args.join(' ')).toEqual(statuses(pm2));
    }
    // reloaded while it runs: the new run ends within min_uptime
    await diff.run(['start', 'slow-job.js', '--no-autorestart']);
    expect(codes(await diff.run(['reload', 'slow-job']))).toEqual({ pm2: 0, pmx: 0 });
  });

  it('differs on purpose: a job whose new run crashes (exit 3) fails the reload, exit 1 (PM2: 0); the job is stopped on both', async () => {
    await diff.run(['start', 'crash.js', '--no-autorestart']);
    await settled(diff, (list) => list[0]?.pm2_env.status === 'stopped', 'the crash to stop on both');
    const reloaded = await diff.run(['reload', 'crash']);
    expect(codes(reloaded)).toEqual({ pm2: 0, pmx: 1 });
    expect(reloaded.pmx.stderr).toContain('the new process exited with code 3 before it was ready');
    const { pm2, pmx } = await settled(diff, (list) => list[0]?.pm2_env.status === 'stopped', 'the crash to stop again on both');
    expect(statuses(pmx)).toEqual(statuses(pm2));
  });
});

describe('restart options', () => {
  it('restart --update-env takes the new shell variable, restart alone keeps the old one', async () => {
    await diff.run(['start', 'hold.js', '-n', 'envy'], { env: { FLAVOUR: 'old' } });
    await diff.run(['restart', 'envy'], { env: { FLAVOUR: 'new' } });
    const kept = await diff.jlist();
    expect(kept.pmx[0]!.pm2_env.env.FLAVOUR).toBe(kept.pm2[0]!.pm2_env.env.FLAVOUR);
    await diff.run(['restart', 'envy', '--update-env'], { env: { FLAVOUR: 'new' } });
    const { pm2, pmx } = await diff.jlist();
    expect(pmx[0]!.pm2_env.env.FLAVOUR).toBe(pm2[0]!.pm2_env.env.FLAVOUR);
    expect(pmx[0]!.pm2_env.env.FLAVOUR).toBe('new');
  });

  it('restart --update-env merges the new shell into the environment: a variable given at start that it lacks stays', async () => {
    await diff.run(['start', 'hold.js', '-n', 'merged'], { env: { DB_URL: 'postgres://db/prod' } });
    expect(codes(await diff.run(['restart', 'merged', '--update-env'], { env: { NEW_ONE: '1' } }))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    const fields = ['pm2_env.env.DB_URL', 'pm2_env.env.NEW_ONE'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(project(pmx, fields)).toEqual([{ 'pm2_env.env.DB_URL': 'postgres://db/prod', 'pm2_env.env.NEW_ONE': '1' }]);
  });

  it("restart --update-env of an app whose file declared a variable: the new shell's value wins, in jlist and in the app", async () => {
    diff.write({ 'declared.config.js': "module.exports = { apps: [{ name: 'declared', script: './env.js', env: { FOO: 'z', SHOW: 'FOO' } }] };" });
    await diff.run(['start', 'declared.config.js']);
    expect(codes(await diff.run(['restart', 'declared', '--update-env'], { env: { FOO: 'fromshell' } }))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(project(pmx, ['pm2_env.env.FOO'])).toEqual(project(pm2, ['pm2_env.env.FOO']));
    const seen = (side: typeof diff.pm2, entry: JlistEntry) => until(`${side.name} app's second start`, async () => {
      const lines = side.read(String(entry.pm2_env.pm_out_log_path)).trim().split('\n');
      return lines.length >= 2 ? lines.at(-1)! : null;
    });
    expect(await seen(diff.pmx, pmx[0]!)).toBe(await seen(diff.pm2, pm2[0]!));
  });

  it('restart --node-args restarts with the new node arguments', async () => {
    await diff.run(['start', 'hold.js', '-n', 'tuned']);
    expect(codes(await diff.run(['restart', 'tuned', '--node-args=--max-old-space-size=99']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(project(pmx, ['pm2_env.node_args', 'pm2_env.restart_time'])).toEqual(project(pm2, ['pm2_env.node_args', 'pm2_env.restart_time']));
    expect(pmx[0]!.pm2_env.node_args).toEqual(['--max-old-space-size=99']);
  });

  it('restart and reload take the start options PM2 merges into the app: --watch, --time, --kill-timeout, --no-autorestart, --restart-delay', async () => {
    await diff.run(['start', 'hold.js', '-n', 'tuned']);
    const restarted = await diff.run(['restart', 'tuned', '--watch', '--kill-timeout', '5000', '--no-autorestart', '--restart-delay', '100']);
    expect(codes(restarted)).toEqual({ pm2: 0, pmx: 0 });
    const fields = ['pm2_env.watch', 'pm2_env.kill_timeout', 'pm2_env.autorestart', 'pm2_env.restart_delay', 'pm2_env.restart_time'];
    const after = await settled(diff, allOnline);
    expect(project(after.pmx, fields)).toEqual(project(after.pm2, fields));
    expect(after.pmx[0]!.pm2_env.watch).toBe(true);
    const reloaded = await diff.run(['reload', 'tuned', '--time', '-i', '2']);
    expect(codes(reloaded)).toEqual({ pm2: 0, pmx: 0 });
    const timed = await settled(diff, (list) => allOnline(list) && list[0]!.pm2_env.restart_time === 2);
    const more = ['pm2_env.time', 'pm2_env.restart_time'];
    expect(project(timed.pmx, more)).toEqual(project(timed.pm2, more));
    // -i is ignored by both: one process each (PM2's entry then says instances 2 regardless)
    expect([timed.pm2.length, timed.pmx.length]).toEqual([1, 1]);
    expect(codes(await diff.run(['delete', 'tuned', '--force']))).toEqual({ pm2: 0, pmx: 0 });
  });

  it('--pid names the pid file, numbered as PM2 numbers it; --wait-ip, --ext and -w are taken (pmx warns that it ignores them)', async () => {
    // no run/ folder: made, as PM2 makes it
    const started = await diff.run(['start', 'hold.js', '-n', 'pidded', '--pid', 'run/app.pid', '--wait-ip', '--ext', 'js,json']);
    expect(codes(started)).toEqual({ pm2: 0, pmx: 0 });
    expect(started.pmx.stderr).toContain('--wait-ip is ignored');
    expect(started.pmx.stderr).toContain('--ext is ignored');
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(project(pmx, ['pm2_env.pm_pid_path'])).toEqual(project(pm2, ['pm2_env.pm_pid_path']));
    expect(pmx[0]!.pm2_env.pm_pid_path).toBe('<WORK>/run/app-0.pid');
    await until('both pid files', async () => diff.pm2.read('<WORK>/run/app-0.pid') && diff.pmx.read('<WORK>/run/app-0.pid'));
    expect(diff.pmx.read('<WORK>/run/app-0.pid')).toBe(String(pmx[0]!.pid));
  });

  it('differs on purpose: --uid and --gid are refused (pmx runs every app as the agent\'s user; PM2 switches user)', async () => {
    const { pmx } = await diff.run(['start', 'hold.js', '-n', 'other-user', '--uid', '65534']);
    expect(pmx.code).toBe(1);
    expect(pmx.stderr).toContain("--uid is not supported: every app runs as the agent's user");
    expect((await diff.jlist()).pmx).toEqual([]);
  });

  it("names the app's process as PM2 does (ps, pgrep -f 'node <script>'), PROCESS_TITLE too, and its own forks start as plain node", async () => {
    diff.write({
      'forker.js': [
        "const { fork } = require('child_process');",
        "if (process.argv[2] === 'child') { console.log('child execArgv ' + JSON.stringify(process.execArgv)); process.exit(0); }",
        "else { fork(__filename, ['child']); setInterval(() => {}, 1000); }",
      ].join('\n'),
    });
    const title = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    for (const [args, env] of [[['-n', 'forked'], {}], [['-n', 'titled'], { PROCESS_TITLE: 'my-api' }], [['-n', 'clustered', '-i', '1'], {}]] as const) {
      await diff.run(['start', 'forker.js', ...args], { env });
      const { pm2, pmx } = await settled(diff, allOnline);
      const shown = (side: typeof diff.pm2, list: typeof pm2) => side.normalize(title(list.find((entry) => entry.name === args[1])!.pid));
      expect(shown(diff.pmx, pmx)).toBe(shown(diff.pm2, pm2));
      const child = async (side: typeof diff.pm2, list: typeof pm2) =>
        until(`${side.name}'s fork to print`, async () => side.read(String(list.find((entry) => entry.name === args[1])!.pm2_env.pm_out_log_path)).split('\n')[0] || null);
      // (under PM2 a cluster worker's children write nowhere: only fork mode shows what they got)
      if (args[1] !== 'clustered') expect(await child(diff.pmx, pmx)).toBe(await child(diff.pm2, pm2));
    }
    expect(title((await diff.jlist()).pmx.find((entry) => entry.name === 'forked')!.pid)).toMatch(/^node \/.*\/forker\.js$/);
  });

  it('--ignore-watch takes one word split on spaces, so a script after it is the script', async () => {
    const before = await diff.run(['start', '--watch', '--ignore-watch', 'node_modules', 'hold.js', '-n', 'iw']);
    expect(codes(before)).toEqual({ pm2: 0, pmx: 0 });
    await diff.run(['start', 'hold.js', '-n', 'iw2', '--watch', '--ignore-watch=node_modules sub']);
    const { pm2, pmx } = await settled(diff, allOnline);
    const ignored = (list: typeof pm2) => list.map((entry) => [entry.name, entry.pm2_env.ignore_watch]).sort();
    expect(ignored(pmx)).toEqual(ignored(pm2));
    expect(ignored(pmx)).toEqual([['iw', ['node_modules']], ['iw2', ['node_modules', 'sub']]]);
  });

  it('-x runs in fork mode even with -i', async () => {
    await diff.run(['start', 'hold.js', '-n', 'forked', '-x', '-i', '2']);
    const { pm2, pmx } = await diff.jlist();
    const fields = ['name', 'pm2_env.exec_mode', 'pm2_env.instances', 'pm2_env.NODE_APP_INSTANCE'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(pmx.map((entry) => entry.pm2_env.exec_mode)).toEqual(['fork_mode', 'fork_mode']);
  });
});

describe('scale', () => {
  it('scaling down removes the oldest processes, as PM2 does', async () => {
    await diff.run(['start', 'hold.js', '-n', 'many', '-i', '3']);
    expect(codes(await diff.run(['scale', 'many', '1']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await diff.jlist();
    const fields = ['pm_id', 'pm2_env.NODE_APP_INSTANCE'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
  });

  it('scaling up adds the free instance numbers', async () => {
    await diff.run(['start', 'hold.js', '-n', 'grow', '-i', '2']);
    await diff.run(['scale', 'grow', '+2']);
    const { pm2, pmx } = await settled(diff, (list) => list.length === 4 && allOnline(list));
    const numbers = (list: typeof pm2) => list.map((entry) => entry.pm2_env.NODE_APP_INSTANCE).sort();
    expect(numbers(pmx)).toEqual(numbers(pm2));
  });

  it('scaling to 0 deletes every instance, exit 0', async () => {
    await diff.run(['start', 'hold.js', '-n', 'drain', '-i', '2']);
    expect(codes(await diff.run(['scale', 'drain', '0']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await diff.jlist();
    expect(statuses(pmx)).toEqual(statuses(pm2));
    expect(pmx).toEqual([]);
  });

  it('scaling to the number already running exits 1 (nothing to do)', async () => {
    await diff.run(['start', 'hold.js', '-n', 'same', '-i', '2']);
    expect(codes(await diff.run(['scale', 'same', '2']))).toEqual({ pm2: 1, pmx: 1 });
    expect(codes(await diff.run(['scale', 'nope', '2']))).toEqual({ pm2: 1, pmx: 1 });
  });
});

describe('sendSignal', () => {
  it('delivers a signal by name and by id, and fails on an unknown name', async () => {
    await diff.run(['start', 'hold.js', '-n', 'signalled']);
    const { pm2: [p2], pmx: [px] } = await diff.jlist();
    expect(codes(await diff.run(['sendSignal', 'SIGUSR2', 'signalled']))).toEqual({ pm2: 0, pmx: 0 });
    expect(codes(await diff.sh(`pm sendSignal SIGUSR2 ${p2!.pm_id}`))).toEqual({ pm2: 0, pmx: 0 });
    expect(p2!.pm_id).toBe(px!.pm_id);
    for (const [side, entry] of [[diff.pm2, p2!], [diff.pmx, px!]] as const) {
      await until(`two SIGUSR2 lines in ${side.name}'s log`, async () => side.read(String(entry.pm2_env.pm_out_log_path)).split('got SIGUSR2').length === 3);
    }
    expect(codes(await diff.run(['sendSignal', 'SIGUSR2', 'nope']))).toEqual({ pm2: 1, pmx: 1 });
  });

  it('differs on purpose: a signal without its SIG prefix is delivered (PM2 exits 1: Unknown signal)', async () => {
    await diff.run(['start', 'hold.js', '-n', 'short']);
    const outcome = await diff.run(['sendSignal', 'USR2', 'short']);
    expect(outcome.pm2.code).toBe(1);
    expect(outcome.pm2.stdout + outcome.pm2.stderr).toContain('Unknown signal');
    expect(outcome.pmx.code).toBe(0);
  });
});

describe('watch', () => {
  it('stop ends watching: the list says so, and a change no longer starts the app', async () => {
    diff.write({ 'watched/app.js': APPS['hold.js'] });
    await diff.run(['start', 'app.js', '-n', 'watched', '--watch'], { cwd: 'watched' });
    await diff.run(['stop', 'watched']);
    const { pm2, pmx } = await diff.jlist();
    expect(project(pmx, ['pm2_env.watch', 'pm2_env.status'])).toEqual(project(pm2, ['pm2_env.watch', 'pm2_env.status']));
    expect(pmx[0]!.pm2_env.watch).toBe(false);
  });
});

describe('ignore_watch', () => {
  it("takes PM2's documented entries as PM2 does: '\\\\.git' is the .git folder, globs and plain names too (regression: git commands restarted the app under pmx)", async () => {
    const files = { 'ig/app.js': APPS['hold.js'], 'ig/.git/HEAD': 'ref\n', 'ig/x.log': '', 'ig/tmp/sub/t.txt': '', 'ig/node_modules/m/index.js': '', 'ig/src/a.js': '' };
    diff.write(files);
    const app = (name: string, extra: Record<string, unknown>): Record<string, unknown> => ({ name, script: 'app.js', cwd: '<WORK>/ig', watch: true, ...extra });
    // the witness ignores none of them and waits longer: once it has restarted, a restart of `ig` would have come already
    diff.write({ 'ig.config.js': `module.exports = { apps: ${JSON.stringify([app('ig', { watch_delay: 100, ignore_watch: ['node_modules', '\\.git', '*.log', 'tmp/**'] }), app('witness', { watch_delay: 1500, ignore_watch: ['no-such-name'] })])} };` });
    await diff.run(['start', 'ig.config.js']);
    await settled(diff, (list) => list.length === 2 && list.every((entry) => entry.pm2_env.status === 'online'));
    await diff.sh('echo x >> ig/.git/HEAD && echo x >> ig/x.log && echo x >> ig/tmp/sub/t.txt && echo x >> ig/node_modules/m/index.js');
    const restarts = (list: JlistEntry[], name: string): number | undefined => list.find((entry) => entry.name === name)?.pm2_env.restart_time;
    const seen = await settled(diff, (list) => (restarts(list, 'witness') ?? 0) >= 1, 'the witness restarted');
    expect(restarts(seen.pmx, 'ig')).toBe(restarts(seen.pm2, 'ig'));
    expect(restarts(seen.pmx, 'ig')).toBe(0);
    await diff.sh('echo x >> ig/src/a.js');
    await settled(diff, (list) => (restarts(list, 'ig') ?? 0) >= 1, 'ig restarted by a change it does not ignore');
  });
});

describe('cluster mode', () => {
  it('differs on purpose: start -i 2 returns once the app listens (PM2 returns before a slow app listens)', async () => {
    const base = 45_000 + (process.pid % 1000) * 2;
    const probe = (port: number) => `node -e "require('http').get('http://127.0.0.1:${port}', (r) => process.exit(0)).on('error', () => process.exit(1))"`;
    const env = (port: number) => ({ env: { PORT: String(port), LISTEN_DELAY: '3000' } });
    const [pm2, pmx] = await Promise.all([
      diff.pm2.sh(`pm start http.js -n slow -i 2 >/dev/null && ${probe(base)}`, env(base)),
      diff.pmx.sh(`pm start http.js -n slow -i 2 --listen-timeout 8000 >/dev/null && ${probe(base + 1)}`, env(base + 1)),
    ]);
    expect(pm2.code).toBe(1);
    expect(pmx.code).toBe(0);
  });
});
