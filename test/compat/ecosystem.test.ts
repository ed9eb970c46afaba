// Differential: ecosystem files (and configurations on stdin) start, restart and resolve as under PM2.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APPS, Differential, type JlistEntry, allOnline, project, settled, statuses, until } from './harness.js';

let diff: Differential;
beforeAll(() => {
  diff = Differential.create();
  diff.write({ ...APPS, 'b.js': APPS['hold.js'] });
}, 300_000);
afterEach(() => diff.clear());
afterAll(() => diff?.close());

const codes = (pair: { pm2: { code: number }; pmx: { code: number } }) => ({ pm2: pair.pm2.code, pmx: pair.pmx.code });
const two = `module.exports = { apps: [{ name: 'one', script: 'hold.js' }, { name: 'two', script: 'b.js' }] };`;
const counters = (list: JlistEntry[]) => project(list, ['name', 'pm2_env.status', 'pm2_env.restart_time']).sort((a, b) => String(a.name).localeCompare(String(b.name)));

describe('starting a file whose apps run', () => {
  it('restarts the running apps and exits 0 (no "already launched")', async () => {
    diff.write({ 'two.config.js': two });
    await diff.run(['start', 'two.config.js']);
    const again = await diff.run(['start', 'two.config.js']);
    expect(codes(again)).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(counters(pmx)).toEqual(counters(pm2));
    expect(pmx.every((entry) => entry.pm2_env.restart_time === 1)).toBe(true);
  });

  it('starts the missing app and restarts the other', async () => {
    diff.write({ 'two.config.js': two });
    await diff.run(['start', 'two.config.js']);
    await diff.run(['delete', 'two']);
    await diff.run(['start', 'two.config.js']);
    const { pm2, pmx } = await settled(diff, (list) => list.length === 2 && allOnline(list));
    expect(counters(pmx)).toEqual(counters(pm2));
  });

  it('startOrRestart and startOrReload do the same', async () => {
    diff.write({ 'two.config.js': two });
    await diff.run(['startOrRestart', 'two.config.js']);
    expect(codes(await diff.run(['startOrReload', 'two.config.js']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(counters(pmx)).toEqual(counters(pm2));
  });
});

describe('restart and reload of a file', () => {
  const withEnv = (value: string) => `module.exports = { apps: [{ name: 'conf', script: 'env.js', env: { COLOUR: '${value}', SHOW: 'COLOUR' }, max_memory_restart: '${value === 'red' ? '100M' : '200M'}' }] };`;

  for (const action of ['restart', 'reload']) {
    it(`${action} <file> re-reads the file's env and options`, async () => {
      diff.write({ 'colour.config.js': withEnv('red') });
      await diff.run(['start', 'colour.config.js']);
      diff.write({ 'colour.config.js': withEnv('blue') });
      expect(codes(await diff.run([action, 'colour.config.js']))).toEqual({ pm2: 0, pmx: 0 });
      const { pm2, pmx } = await settled(diff, allOnline);
      const fields = ['pm2_env.env.COLOUR', 'pm2_env.COLOUR', 'pm2_env.max_memory_restart', 'pm2_env.restart_time'];
      expect(project(pmx, fields)).toEqual(project(pm2, fields));
      expect(pmx[0]!.pm2_env.env.COLOUR).toBe('blue');
    });
  }

  it('restart and reload of a name, an id or all with --env are refused, exit 1, nothing restarted (a deploy step would report success while the app kept its development env)', async () => {
    diff.write({ 'envs.config.js': `module.exports = { apps: [{ name: 'envd', script: 'env.js', env: { FOO: 'dev' }, env_production: { FOO: 'prod' } }] };` });
    await diff.run(['start', 'envs.config.js']);
    await settled(diff, allOnline);
    for (const args of [['restart', 'envd'], ['reload', 'envd'], ['restart', '0'], ['reload', 'all']]) {
      const outcome = await diff.run([...args, '--env', 'production']);
      expect(codes(outcome), args.join(' ')).toEqual({ pm2: 1, pmx: 1 });
      expect(outcome.pmx.stderr, args.join(' ')).toContain('--env production');
    }
    const { pm2, pmx } = await diff.jlist();
    const fields = ['name', 'pm2_env.status', 'pm2_env.env.FOO', 'pm2_env.restart_time'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(project(pmx, fields)).toEqual([{ name: 'envd', 'pm2_env.status': 'online', 'pm2_env.env.FOO': 'dev', 'pm2_env.restart_time': 0 }]);
  });

  it('restart, reload and startOrReload <file> after start --env production keep its variables, and take no shell variable without --update-env', async () => {
    diff.write({ 'prod.config.js': `module.exports = { apps: [{ name: 'prod', script: 'env.js', env: { NODE_ENV: 'development', SHOW: 'NODE_ENV,API,FROM_SHELL' }, env_production: { NODE_ENV: 'production', API: 'prod-api' } }] };` });
    await diff.run(['start', 'prod.config.js', '--env', 'production']);
    await settled(diff, allOnline);
    let runs = 1;
    for (const command of ['restart', 'reload', 'startOrReload']) {
      expect(codes(await diff.run([command, 'prod.config.js'], { env: { FROM_SHELL: 'leaked' } })), command).toEqual({ pm2: 0, pmx: 0 });
      runs += 1;
      const seen = (side: typeof diff.pm2, list: JlistEntry[]) =>
        until(`${side.name}'s run ${runs} to print`, async () => {
          const printed = side.read(String(list[0]!.pm2_env.pm_out_log_path)).split('\n').filter(Boolean);
          return printed.length >= runs ? printed[runs - 1]! : null;
        });
      const { pm2, pmx } = await settled(diff, allOnline);
      const [theirs, ours] = await Promise.all([seen(diff.pm2, pm2), seen(diff.pmx, pmx)]);
      expect(ours, command).toBe(theirs);
      expect(ours, command).toBe('NODE_ENV=development API=prod-api FROM_SHELL=undefined');
    }
  });

  it('filter_env: true: PM2 7 drops nothing (its check reads `true.length`), pmx all but a service\'s base (PATH, HOME, ...): a shell variable reaches the app under PM2 only', async () => {
    diff.write({ 'filtered.config.js': `module.exports = { apps: [{ name: 'filtered', script: 'env.js', filter_env: true, env: { SHOW: 'FROM_SHELL,PATH' } }] };` });
    expect(codes(await diff.run(['start', 'filtered.config.js'], { env: { FROM_SHELL: 'leaked' } }))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    const printed = (side: typeof diff.pm2, list: JlistEntry[]) => until(`${side.name}'s app to print`, async () => side.read(String(list[0]!.pm2_env.pm_out_log_path)).split('\n').find(Boolean) ?? null);
    const [theirs, ours] = await Promise.all([printed(diff.pm2, pm2), printed(diff.pmx, pmx)]);
    expect(theirs).toMatch(/^FROM_SHELL=leaked PATH=\S+$/);
    expect(ours).toMatch(/^FROM_SHELL=undefined PATH=\S+$/);
    // each side's shell puts its own bin first: the rest of PATH is the same
    expect(ours.split(':').slice(1)).toEqual(theirs.split(':').slice(1));
  });

  it('restart <file> --update-env: pmx takes the new shell\'s variables, as restart <name> --update-env does on both; PM2 7 takes none for a file', async () => {
    diff.write({ 'updated.config.js': `module.exports = { apps: [{ name: 'updated', script: 'env.js', env: { SHOW: 'NEW_VAR,OLD_VAR' } }] };` });
    await diff.run(['start', 'updated.config.js'], { env: { OLD_VAR: 'old' } });
    await settled(diff, allOnline);
    expect(codes(await diff.run(['restart', 'updated.config.js', '--update-env'], { env: { NEW_VAR: 'new' } }))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, (list) => allOnline(list) && list[0]!.pm2_env.restart_time === 1);
    const second = (side: typeof diff.pm2, list: JlistEntry[]) => until(`${side.name}'s restarted app to print`, async () => side.read(String(list[0]!.pm2_env.pm_out_log_path)).split('\n').filter(Boolean)[1] ?? null);
    const [theirs, ours] = await Promise.all([second(diff.pm2, pm2), second(diff.pmx, pmx)]);
    expect(theirs).toBe('NEW_VAR=undefined OLD_VAR=old');
    expect(ours).toBe('NEW_VAR=new OLD_VAR=old');
  });

  it('stop <file> and delete <file> act on its apps only', async () => {
    diff.write({ 'two.config.js': two });
    await diff.run(['start', 'two.config.js']);
    await diff.run(['start', 'hold.js', '-n', 'outsider']);
    await diff.run(['stop', 'two.config.js']);
    const stopped = await diff.jlist();
    expect(statuses(stopped.pmx)).toEqual(statuses(stopped.pm2));
    await diff.run(['delete', 'two.config.js']);
    const { pm2, pmx } = await diff.jlist();
    expect(statuses(pmx)).toEqual(statuses(pm2));
    expect(statuses(pmx)).toEqual(['outsider:online']);
  });

  it('stop <file> and delete <file> act on its apps when a script it names is gone (an old release removed)', async () => {
    diff.write({ 'gone/app.js': APPS['hold.js'], 'gone/gone.config.js': "module.exports = { apps: [{ name: 'g1', script: './app.js', cwd: __dirname }] };" });
    await diff.run(['start', 'gone/gone.config.js']);
    await diff.sh('rm gone/app.js');
    expect(codes(await diff.run(['stop', 'gone/gone.config.js']))).toEqual({ pm2: 0, pmx: 0 });
    const stopped = await diff.jlist();
    expect(statuses(stopped.pmx)).toEqual(statuses(stopped.pm2));
    expect(statuses(stopped.pmx)).toEqual(['g1:stopped']);
    expect(codes(await diff.run(['delete', 'gone/gone.config.js']))).toEqual({ pm2: 0, pmx: 0 });
    expect((await diff.jlist()).pmx).toEqual([]);
  });

  it('a first deploy, `set -e; delete <file>; start <file>`, starts the apps: stop and delete of a file (or of `-`) none of whose apps is registered exit 0', async () => {
    diff.write({ 'two.config.js': two });
    await diff.run(['start', 'hold.js', '-n', 'outsider']);
    const deploy = await diff.sh('set -e; pm delete two.config.js; pm stop two.config.js; echo \'{"apps":[{"name":"zz","script":"hold.js"}]}\' | pm delete -; pm start two.config.js');
    expect(codes(deploy)).toEqual({ pm2: 0, pmx: 0 });
    // PM2 says nothing on stderr about the apps it passed over
    expect(deploy.pmx.stderr).toBe(deploy.pm2.stderr);
    const { pm2, pmx } = await settled(diff, (list) => list.length === 3 && allOnline(list));
    expect(statuses(pmx)).toEqual(statuses(pm2));
    expect(statuses(pmx)).toEqual(['outsider:online', 'one:online', 'two:online']);
  });

  it('restart <file> and reload <file> start the apps none of which is registered, exit 0', async () => {
    diff.write({ 'two.config.js': two });
    for (const action of ['restart', 'reload']) {
      expect(codes(await diff.run([action, 'two.config.js'])), action).toEqual({ pm2: 0, pmx: 0 });
      const { pm2, pmx } = await settled(diff, (list) => list.length === 2 && allOnline(list));
      expect(counters(pmx), action).toEqual(counters(pm2));
      await diff.clear();
    }
  });
});

describe('paths', () => {
  it('a relative script in a file of a subfolder resolves from the shell directory, as PM2 resolves it', async () => {
    diff.write({ 'sub/hold.js': APPS['hold.js'], 'sub/rel.config.js': `module.exports = { apps: [{ name: 'rel', script: './hold.js' }, { name: 'inner', script: 'hold.js', cwd: 'sub' }] };` });
    await diff.run(['start', 'sub/rel.config.js']);
    const { pm2, pmx } = await diff.jlist();
    const fields = ['name', 'pm2_env.pm_exec_path', 'pm2_env.pm_cwd'];
    const rows = (list: JlistEntry[], side: 'pm2' | 'pmx') => JSON.parse(diff[side].normalize(JSON.stringify(project(list, fields))));
    expect(rows(pmx, 'pmx')).toEqual(rows(pm2, 'pm2'));
    expect(rows(pmx, 'pmx')[0]['pm2_env.pm_exec_path']).toBe('<WORK>/hold.js');
  });
});

describe('shapes PM2 accepts', () => {
  const cases: Record<string, string> = {
    'apps under a `pm2` key of a JSON file': JSON.stringify({ pm2: [{ name: 'keyed', script: 'hold.js' }] }),
    'a bare array of apps': JSON.stringify([{ name: 'bare', script: 'hold.js' }]),
    'a single app object': JSON.stringify({ name: 'single', script: 'hold.js' }),
    '`apps` as one object': JSON.stringify({ apps: { name: 'lone', script: 'hold.js' } }),
    'a YAML file': 'apps:\n  - name: yaml\n    script: hold.js\n',
  };
  for (const [shape, text] of Object.entries(cases)) {
    it(`starts ${shape}`, async () => {
      const file = shape.includes('YAML') ? 'shape.yml' : 'shape.json';
      diff.write({ [file]: text });
      expect(codes(await diff.run(['start', file]))).toEqual({ pm2: 0, pmx: 0 });
      const { pm2, pmx } = await diff.jlist();
      expect(statuses(pmx)).toEqual(statuses(pm2));
      expect(pmx).toHaveLength(1);
    });
  }

  it('start - reads the configuration on stdin', async () => {
    const outcome = await diff.sh(`echo '${JSON.stringify({ apps: [{ name: 'piped', script: 'hold.js' }] })}' | pm start -`);
    expect(codes(outcome)).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(statuses(pmx)).toEqual(statuses(pm2));
  });
});

describe('files PM2 runs', () => {
  it('starts with an unexpected log_type and with a deploy section of another shape (pmx warns)', async () => {
    diff.write({ 'odd.config.js': `module.exports = { apps: [{ name: 'odd', script: 'hold.js', log_type: 'pretty' }], deploy: ['production'] };` });
    const outcome = await diff.run(['start', 'odd.config.js']);
    expect(codes(outcome)).toEqual({ pm2: 0, pmx: 0 });
    expect(outcome.pmx.stderr).toContain('log_type');
    const { pm2, pmx } = await settled(diff, allOnline);
    expect(statuses(pmx)).toEqual(statuses(pm2));
  });

  it('registers an app with autostart: false stopped; differs on purpose: start <name> then starts it (PM2 7 leaves it stopped)', async () => {
    diff.write({ 'lazy.config.js': `module.exports = { apps: [{ name: 'eager', script: 'hold.js' }, { name: 'lazy', script: 'b.js', autostart: false }] };` });
    expect(codes(await diff.run(['start', 'lazy.config.js']))).toEqual({ pm2: 0, pmx: 0 });
    const registered = await settled(diff, (list) => list.length === 2 && list.some((entry) => entry.pm2_env.status === 'online'));
    const fields = ['name', 'pm2_env.status', 'pm2_env.autostart', 'pm2_env.restart_time'];
    expect(project(registered.pmx, fields)).toEqual(project(registered.pm2, fields));
    expect(statuses(registered.pmx)).toEqual(['eager:online', 'lazy:stopped']);
    expect(registered.pmx[1]!.pid).toBe(0);
    // the file started again: it stays at rest
    expect(codes(await diff.run(['start', 'lazy.config.js']))).toEqual({ pm2: 0, pmx: 0 });
    const again = await settled(diff, (list) => list.length === 2 && list[0]!.pm2_env.restart_time === 1);
    expect(statuses(again.pmx)).toEqual(statuses(again.pm2));
    expect(statuses(again.pmx)).toEqual(['eager:online', 'lazy:stopped']);
    expect(codes(await diff.run(['start', 'lazy']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, (list) => list.length === 2 && list[1]!.pm2_env.status !== 'launching');
    expect(statuses(pm2)).toEqual(['eager:online', 'lazy:stopped']);
    expect(statuses(pmx)).toEqual(['eager:online', 'lazy:online']);
  });

  it('starts two apps of one file that have the same name', async () => {
    diff.write({ 'twins.config.js': `module.exports = { apps: [{ name: 'twin', script: 'hold.js' }, { name: 'twin', script: 'b.js' }] };` });
    await diff.run(['start', 'twins.config.js']);
    const { pm2, pmx } = await settled(diff, (list) => list.length === 2 && allOnline(list));
    const fields = ['name', 'pm2_env.pm_exec_path'];
    const rows = (list: JlistEntry[], side: 'pm2' | 'pmx') => JSON.parse(diff[side].normalize(JSON.stringify(project(list, fields)))).sort((a: { 'pm2_env.pm_exec_path': string }, b: { 'pm2_env.pm_exec_path': string }) => a['pm2_env.pm_exec_path'].localeCompare(b['pm2_env.pm_exec_path']));
    expect(rows(pmx, 'pmx')).toEqual(rows(pm2, 'pm2'));
  });

  it('instance_var replaces NODE_APP_INSTANCE in the app environment', async () => {
    diff.write({ 'var.config.js': `module.exports = { apps: [{ name: 'numbered', script: 'env.js', instance_var: 'INSTANCE_ID', env: { SHOW: 'INSTANCE_ID,NODE_APP_INSTANCE' } }] };` });
    await diff.run(['start', 'var.config.js']);
    const { pm2, pmx } = await diff.jlist();
    const line = async (side: typeof diff.pm2, entry: JlistEntry) =>
      until(`${side.name}'s app to print`, async () => side.read(String(entry.pm2_env.pm_out_log_path)).split('\n')[0] || null);
    expect(await line(diff.pmx, pmx[0]!)).toBe(await line(diff.pm2, pm2[0]!));
    expect(await line(diff.pmx, pmx[0]!)).toBe('INSTANCE_ID=0 NODE_APP_INSTANCE=undefined');
    expect(project(pmx, ['pm2_env.INSTANCE_ID', 'pm2_env.NODE_APP_INSTANCE'])).toEqual(project(pm2, ['pm2_env.INSTANCE_ID', 'pm2_env.NODE_APP_INSTANCE']));
  });

  it("the app's environment carries the keys of PM2's description that apps read", async () => {
    const keys = 'exec_mode,instances,pm_exec_path,pm_cwd,pm_out_log_path,pm_err_log_path,pm_pid_path,status,instance_var,autorestart,merge_logs,watch,restart_time,unstable_restarts';
    diff.write({ 'described.config.js': `module.exports = { apps: [{ name: 'described', script: 'env.js', instances: 2, exec_mode: 'cluster', env: { SHOW: '${keys}' } }] };` });
    await diff.run(['start', 'described.config.js']);
    const { pm2, pmx } = await settled(diff, allOnline);
    const lines = async (side: typeof diff.pm2, list: JlistEntry[]) =>
      Promise.all(list.map((entry) => until(`${side.name}'s app to print`, async () => side.read(String(entry.pm2_env.pm_out_log_path)).split('\n')[0] || null)))
        .then((all) => all.map((line) => side.normalize(line).replace(/-\d+\.(log|pid)/g, '-<id>.$1')).sort());
    expect(await lines(diff.pmx, pmx)).toEqual(await lines(diff.pm2, pm2));
    expect((await lines(diff.pmx, pmx))[0]).toContain('exec_mode=cluster_mode instances=2 pm_exec_path=<WORK>/env.js');
  });

  it('increment_var gives each instance the variable plus its instance number, with --env too', async () => {
    diff.write({
      'inc.config.js': `module.exports = { apps: [{ name: 'ports', script: 'env.js', instances: 2, exec_mode: 'fork', increment_var: 'PORT', instance_var: 'INSTANCE_ID', env: { PORT: 41000, SHOW: 'INSTANCE_ID,PORT' }, env_production: { PORT: 42000 } }] };`,
    });
    const lines = async (side: typeof diff.pm2, list: JlistEntry[]) =>
      Promise.all(list.map((entry) => until(`${side.name}'s app to print`, async () => side.read(String(entry.pm2_env.pm_out_log_path)).trim().split('\n').at(-1) || null))).then((all) => all.sort());
    for (const args of [[], ['--env', 'production']]) {
      await diff.run(['start', 'inc.config.js', ...args]);
      const { pm2, pmx } = await settled(diff, allOnline);
      const base = args.length === 0 ? 41000 : 42000;
      expect(await lines(diff.pmx, pmx)).toEqual(await lines(diff.pm2, pm2));
      expect(await lines(diff.pmx, pmx)).toEqual([`INSTANCE_ID=0 PORT=${base}`, `INSTANCE_ID=1 PORT=${base + 1}`]);
      const ports = (list: JlistEntry[]) => list.map((entry) => Number(entry.pm2_env.PORT)).sort();
      expect(ports(pmx)).toEqual(ports(pm2));
      await diff.run(['delete', 'all']);
    }
  });

  it('--env production merges env_production, --only picks apps', async () => {
    diff.write({
      'envs.config.js': `module.exports = { apps: [{ name: 'web', script: 'hold.js', env: { MODE: 'dev', KEEP: 'yes' }, env_production: { MODE: 'prod' } }, { name: 'job', script: 'b.js' }] };`,
    });
    await diff.run(['start', 'envs.config.js', '--env', 'production', '--only', 'web']);
    const { pm2, pmx } = await diff.jlist();
    const fields = ['name', 'pm2_env.env.MODE', 'pm2_env.env.KEEP', 'pm2_env.MODE'];
    expect(project(pmx, fields)).toEqual(project(pm2, fields));
    expect(pmx).toHaveLength(1);
  });

  it('append_env_to_name names the app after the environment', async () => {
    diff.write({ 'append.config.js': `module.exports = { apps: [{ name: 'api', script: 'hold.js', append_env_to_name: true, env_staging: { A: '1' } }] };` });
    await diff.run(['start', 'append.config.js', '--env', 'staging']);
    const { pm2, pmx } = await diff.jlist();
    expect(statuses(pmx)).toEqual(statuses(pm2));
    expect(statuses(pmx)).toEqual(['api-staging:online']);
  });

  it('starts a file written the way public projects write them (cluster, env_production, combined logs, a PM2 deploy section)', async () => {
    diff.write({
      'public.config.js': `module.exports = {
  apps: [{
    name: 'api', script: './hold.js', instances: 2, exec_mode: 'cluster', watch: false, max_memory_restart: '1G',
    env: { NODE_ENV: 'development' }, env_production: { NODE_ENV: 'production', PORT: 3000 },
    log_date_format: 'YYYY-MM-DD HH:mm Z', combine_logs: true, error_file: './logs/err.log', out_file: './logs/out.log', time: true,
  }, {
    name: 'worker', script: 'env.js', args: '--queue default', node_args: ['--max-old-space-size=256'], autorestart: true,
    restart_delay: 4000, max_restarts: 10, min_uptime: '10s', kill_timeout: 5000, cron_restart: '0 0 * * *',
    ignore_watch: ['node_modules', 'logs'], interpreter: 'node', source_map_support: true, vizion: false,
  }],
  deploy: { production: { user: 'node', host: '203.0.113.1', ref: 'origin/master', repo: 'git@example.com:repo.git', path: '/var/www/production', 'post-deploy': 'npm install && pm2 reload ecosystem.config.js --env production' } },
};`,
    });
    expect(codes(await diff.run(['start', 'public.config.js', '--env', 'production']))).toEqual({ pm2: 0, pmx: 0 });
    const { pm2, pmx } = await settled(diff, (list) => list.length === 3 && allOnline(list));
    const fields = [
      'name', 'pm2_env.exec_mode', 'pm2_env.instances', 'pm2_env.env.NODE_ENV', 'pm2_env.env.PORT', 'pm2_env.max_memory_restart', 'pm2_env.merge_logs',
      'pm2_env.log_date_format', 'pm2_env.pm_out_log_path', 'pm2_env.pm_err_log_path', 'pm2_env.args', 'pm2_env.node_args', 'pm2_env.restart_delay',
      'pm2_env.max_restarts', 'pm2_env.min_uptime', 'pm2_env.kill_timeout', 'pm2_env.cron_restart', 'pm2_env.ignore_watch',
    ];
    // env values are the strings the app receives (PM2 echoes the file's numbers: a documented difference)
    const rows = (list: JlistEntry[], side: 'pm2' | 'pmx') =>
      JSON.parse(diff[side].normalize(JSON.stringify(project(list, fields).map((row) => ({ ...row, 'pm2_env.env.PORT': row['pm2_env.env.PORT'] === undefined ? undefined : String(row['pm2_env.env.PORT']) })))))
        .sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name));
    expect(rows(pmx, 'pmx')).toEqual(rows(pm2, 'pm2'));
    expect(pmx.find((entry) => entry.name === 'api')!.pm2_env.env.PORT).toBe('3000');
  });

  it('differs on purpose: a file with one bad app starts none of them (PM2 starts the others); both exit 1', async () => {
    diff.write({ 'half.config.js': `module.exports = { apps: [{ name: 'good', script: 'hold.js' }, { name: 'bad', script: 'missing.js' }] };` });
    const outcome = await diff.run(['start', 'half.config.js']);
    expect(codes(outcome)).toEqual({ pm2: 1, pmx: 1 });
    const { pm2, pmx } = await diff.jlist();
    expect(statuses(pm2)).toEqual(['good:online']);
    expect(statuses(pmx)).toEqual([]);
  });
});
