// The other names PM2 accepts for keys and values, and the paths they lead to.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES } from '../../helpers/pmx.js';
import { loadEcosystem } from '../../../cli/ecosystem/index.js';
import { tmpFile, tmpFiles } from './tmp-files.js';

const dir = join(FIXTURES, 'ecosystem');
const apps = join(FIXTURES, 'apps');
const baseEnv = { HOME: '/home/x', PATH: process.env.PATH, PMX_HOME: '/home/x/.pmx' };

describe('aliases', () => {
  it('read each alias into the key it stands for, with paths resolved as PM2 resolves them', async () => {
    const loaded = await loadEcosystem(join(dir, 'aliases.config.js'), { baseEnv });
    const [a, b, c, d, line] = loaded.apps;
    expect(a).toMatchObject({
      script: join(apps, 'forever.js'),
      out_file: join(dir, 'a-out.log'),
      error_file: join(dir, 'a-err.log'),
      log_file: '/home/x/.pmx/logs/a.log',
      merge_logs: true,
      cron_restart: '0 * * * *',
      interpreter: 'node',
      interpreter_args: ['--no-warnings'],
      exec_mode: 'cluster_mode',
      instances: 2,
    });
    expect(b).toMatchObject({ script: join(apps, 'forever.js'), out_file: '/home/x/b-out.log', error_file: '/dev/null', log_file: '/var/log/b.log', exec_mode: 'fork_mode' });
    expect(c).toMatchObject({ script: join(apps, 'worker.py'), out_file: join(dir, 'c.log'), error_file: join(dir, 'c-err.log'), interpreter_args: ['-X', 'dev'] });
    expect(d).toMatchObject({ cwd: apps, out_file: '/dev/null', error_file: '/dev/null', log_file: '/dev/null' });
    expect(line).toMatchObject({ name: 'sleep 1000', args: ['-c', 'sleep 1000'], interpreter: 'none' });
  });

  it('keep a python app asked for cluster mode in fork mode, and say so', async () => {
    const loaded = await loadEcosystem(join(dir, 'aliases.config.js'), { baseEnv });
    expect(loaded.apps[2]!.exec_mode).toBe('fork_mode');
    expect(loaded.warnings).toEqual([expect.stringMatching(/aliases\.config\.js: app 'c': cluster mode runs node scripts only; 'c' runs with python3, in fork mode$/)]);
  });

  it('put node apps that set `instances` in cluster mode unless exec_mode says otherwise, as PM2 does', async () => {
    const file = tmpFile('ecosystem.json', JSON.stringify({
      apps: [
        { name: 'one', script: join(apps, 'forever.js'), instances: 1 },
        { name: 'forked', script: join(apps, 'forever.js'), instances: 2, exec_mode: 'fork' },
        { name: 'plain', script: join(apps, 'forever.js') },
      ],
    }));
    const modes = (await loadEcosystem(file, { baseEnv })).apps.map((app) => [app.name, app.instances, app.exec_mode]);
    expect(modes).toEqual([['one', 1, 'cluster_mode'], ['forked', 2, 'fork_mode'], ['plain', 1, 'fork_mode']]);
  });

  it('expand ~ in cwd and log paths with the HOME of the environment', async () => {
    const home = tmpFiles({ 'srv/app.js': '' });
    const file = tmpFile('ecosystem.json', JSON.stringify({ apps: [{ name: 'home', script: 'app.js', cwd: '~/srv', out_file: '~/out.log' }] }));
    const [app] = (await loadEcosystem(file, { baseEnv: { ...baseEnv, HOME: home } })).apps;
    expect(app).toMatchObject({ cwd: join(home, 'srv'), script: join(home, 'srv/app.js'), out_file: join(home, 'out.log') });
  });
});
