// What each app starts with: the shell's environment, deploy.<env>.env, env, `port`, env_<env>;
// which apps `--only` keeps; and the flags given with a file.
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { FIXTURES, PmxSandbox, eventually } from '../../helpers/pmx.js';
import { EcosystemError, loadEcosystem } from '../../../cli/ecosystem/index.js';

const dir = join(FIXTURES, 'ecosystem');
const file = join(dir, 'env.config.js');
const baseEnv = { HOME: '/home/x', PATH: process.env.PATH, SHARED: 'shell', SECRET_TOKEN: 's', SHELL_ONLY: 'yes', UNSET: undefined };

const byName = async (options: Parameters<typeof loadEcosystem>[1]) =>
  Object.fromEntries((await loadEcosystem(file, options)).apps.map((app) => [app.name, app]));

describe('environment', () => {
  it('is the shell merged with env, with `port` as PORT and every value a string', async () => {
    const { web } = await byName({ baseEnv });
    expect(web!.env).toMatchObject({ SHELL_ONLY: 'yes', SHARED: 'app', NODE_ENV: 'development', PORT: '8080', FLAGS: '{"a":1}', DEBUG: 'true' });
    expect(web!.env).not.toHaveProperty('UNSET');
    expect(web!.env).not.toHaveProperty('FROM_DEPLOY');
    expect(web!.app_env).toEqual({ NODE_ENV: 'development', SHARED: 'app', PORT: '8080', FLAGS: '{"a":1}', DEBUG: 'true' });
  });

  it('with --env NAME takes deploy.NAME.env under env, and env_NAME over both', async () => {
    const { web } = await byName({ baseEnv, envName: 'production' });
    expect(web!.env).toMatchObject({ NODE_ENV: 'production', PORT: '80', SHARED: 'app', FROM_DEPLOY: 'yes', SHELL_ONLY: 'yes' });
    expect(web!.app_env).toMatchObject({ NODE_ENV: 'production', PORT: '80', FROM_DEPLOY: 'yes' });
  });

  it('drops the shell variables filter_env names, or all of them but the base a service gets from systemd (PATH, HOME, ...)', async () => {
    const { 'worker-production': worker, isolated } = await byName({ baseEnv, envName: 'production' });
    expect(worker!.env).not.toHaveProperty('SECRET_TOKEN');
    expect(worker!.env).toMatchObject({ SHELL_ONLY: 'yes', SHARED: 'worker', FROM_DEPLOY: 'yes' });
    expect(isolated!.env).toEqual({ HOME: '/home/x', PATH: process.env.PATH, SHARED: 'deploy', FROM_DEPLOY: 'yes' });
  });

  it('filter_env: true starts a real app with PATH and HOME and nothing else of the shell, so that what it runs is found', async () => {
    const pmx = new PmxSandbox('pmx-filter-env-');
    try {
      writeFileSync(join(pmx.dir, 'filtered.config.js'), `module.exports = { apps: [{ name: 'filtered', script: ${JSON.stringify(join(FIXTURES, 'apps', 'env.js'))}, filter_env: true, env: { SHOW: 'PATH,HOME,SHELL_ONLY,SHOW' } }] };`);
      await pmx.ok(['start', 'filtered.config.js'], { env: { SHELL_ONLY: 'yes' } });
      const printed = await eventually('the app to print its environment', async () => (await pmx.ok(['logs', 'filtered', '--nostream', '--raw', '--lines', '1', '--out'])).split('\n').find((line) => line.startsWith('{')) ?? null);
      expect(JSON.parse(printed)).toEqual({ PATH: process.env.PATH, HOME: process.env.HOME, SHELL_ONLY: null, SHOW: 'PATH,HOME,SHELL_ONLY,SHOW' });
    } finally {
      await pmx.cleanup();
    }
  });

  it('sets PYTHONUNBUFFERED for python apps, as PM2 does, so their logs are not held back', async () => {
    const { worker } = await byName({ baseEnv });
    expect(worker!.interpreter).toBe('python3');
    expect(worker!.env.PYTHONUNBUFFERED).toBe('1');
  });

  it('appends the env name to the apps that ask for it (append_env_to_name)', async () => {
    expect(Object.keys(await byName({ baseEnv, envName: 'production' }))).toEqual(['web', 'worker-production', 'isolated']);
    expect(Object.keys(await byName({ baseEnv }))).toEqual(['web', 'worker', 'isolated']);
  });

  it('warns, without failing, when no app and no deploy target has the env name', async () => {
    const loaded = await loadEcosystem(file, { baseEnv, envName: 'staging' });
    expect(loaded.apps).toHaveLength(3);
    expect(loaded.warnings).toEqual([expect.stringMatching(/env\.config\.js: no app has `env_staging` \(--env staging\); the apps start with their `env`$/)]);
    expect((await loadEcosystem(file, { baseEnv, envName: 'production' })).warnings).toEqual([]);
  });
});

describe('--only', () => {
  it('keeps the apps it names, by name or by the name with the env appended', async () => {
    expect(Object.keys(await byName({ baseEnv, only: ['isolated', 'web'] }))).toEqual(['web', 'isolated']);
    expect(Object.keys(await byName({ baseEnv, envName: 'production', only: ['worker-production'] }))).toEqual(['worker-production']);
  });

  it('names the names that match no app', async () => {
    const error = (await loadEcosystem(file, { baseEnv, only: ['web', 'api', 'db'] }).catch((caught: unknown) => caught)) as EcosystemError;
    expect(error).toBeInstanceOf(EcosystemError);
    expect(error.code).toBe('ONLY_UNKNOWN');
    expect(error.message).toMatch(/env\.config\.js: --only names 'api', 'db', not an app of this file \(apps: web, worker, isolated\)$/);
  });

  it('leaves the apps it does not select unresolved: their scripts may exist only elsewhere', async () => {
    const loaded = await loadEcosystem(join(dir, 'missing-script.config.js'), { baseEnv, only: ['ok'] });
    expect(loaded.apps.map((app) => app.name)).toEqual(['ok']);
  });
});

describe('flags given with a file', () => {
  it('replace the apps’ values, and name the flag when wrong', async () => {
    const { web, worker } = await byName({ baseEnv, overrides: { killTimeout: '5s', maxMemoryRestart: '300M', instances: 'max', cwd: dir } });
    expect(web).toMatchObject({ kill_timeout: 5000, max_memory_restart: 300 * 1024 ** 2, instances: availableParallelism(), exec_mode: 'cluster_mode', cwd: dir });
    expect(worker).toMatchObject({ kill_timeout: 5000, exec_mode: 'fork_mode' });
    await expect(loadEcosystem(file, { baseEnv, overrides: { killTimeout: 'soon' } })).rejects.toThrow("pmx start: `--kill-timeout` must be a duration in ms (a number, or '500ms', '2s', '1m'), got 'soon' (string)");
  });

  it('fill namespace, watch and ignore_watch only where an app leaves them unset, as PM2 does', async () => {
    const attributes = join(dir, 'pm2-attributes.config.js');
    const [app] = (await loadEcosystem(attributes, { baseEnv, overrides: { namespace: 'cli', watch: true, ignoreWatch: ['tmp'] } })).apps;
    expect(app).toMatchObject({ namespace: 'api', watch: true, ignore_watch: ['[\\/\\\\]\\./', 'node_modules'] });
    const { web } = await byName({ baseEnv, overrides: { namespace: 'cli', ignoreWatch: ['tmp'] } });
    expect(web).toMatchObject({ namespace: 'cli', ignore_watch: ['tmp'], watch: false });
  });

  it('ignore --name with a warning, and --no-autorestart applies while commander’s default does not', async () => {
    const loaded = await loadEcosystem(file, { baseEnv, overrides: { name: 'renamed', autorestart: true } });
    expect(loaded.apps.map((app) => app.name)).toEqual(['web', 'worker', 'isolated']);
    expect(loaded.warnings).toEqual(['pmx start: `--name` names one app; with an ecosystem file each app keeps its own name']);
    expect((await byName({ baseEnv, overrides: { autorestart: false } })).web!.autorestart).toBe(false);
  });
});
