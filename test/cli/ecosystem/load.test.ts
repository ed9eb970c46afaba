// Loading ecosystem files of every format into AppSpecs, and the errors for bad ones.
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { FIXTURES } from '../../helpers/pmx.js';
import { findEcosystemFile, isEcosystemFile, loadEcosystem, specFromCli } from '../../../cli/ecosystem/index.js';

const dir = join(FIXTURES, 'ecosystem');
const apps = join(FIXTURES, 'apps');
const baseEnv = { HOME: '/home/x', SHELL_ONLY: 'yes' };

describe('loadEcosystem', () => {
  it('reads a PM2 file as PM2 documents it, without warnings', async () => {
    const loaded = await loadEcosystem(join(dir, 'pm2-docs.config.js'), { baseEnv, envName: 'production' });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.deploy).toHaveProperty('production.path', '/var/www/production');
    const [api, env] = loaded.apps;
    expect(api).toMatchObject({
      name: 'api',
      script: join(apps, 'forever.js'),
      cwd: dir,
      interpreter: 'node',
      interpreter_args: ['--max-old-space-size=128'],
      exec_mode: 'fork_mode',
      max_memory_restart: 1024 ** 3,
      out_file: join(dir, 'logs/api-out.log'),
      error_file: join(dir, 'logs/api-err.log'),
      merge_logs: true,
      log_date_format: 'YYYY-MM-DD HH:mm Z',
    });
    expect(api!.env).toMatchObject({ NODE_ENV: 'production', PORT: '3000', SHELL_ONLY: 'yes' });
    expect(api!.app_env).toEqual({ NODE_ENV: 'production', PORT: '3000' });
    expect(env).toMatchObject({ name: 'env', args: ['one', 'two three'], cron_restart: '0 3 * * *', kill_timeout: 3000, stop_exit_codes: [0] });
  });

  it('reads JSON, YAML, ESM and single-app files', async () => {
    const json = await loadEcosystem(join(dir, 'apps.json'), { baseEnv });
    expect(json.apps[0]).toMatchObject({ name: 'json-app', env: { A: '1' } });
    const yaml = await loadEcosystem(join(dir, 'apps.yaml'), { baseEnv });
    expect(yaml.apps[0]).toMatchObject({ name: 'yaml-app', instances: 2, exec_mode: 'fork_mode', env: { A: '2' } });
    expect((await loadEcosystem(join(dir, 'esm.config.mjs'), { baseEnv })).apps[0]!.name).toBe('esm-app');
    expect((await loadEcosystem(join(dir, 'single.config.js'), { baseEnv })).apps[0]!.name).toBe('single');
  });

  it('keeps only the apps --only names, and names an unknown one', async () => {
    const loaded = await loadEcosystem(join(dir, 'pm2-docs.config.js'), { baseEnv, only: ['env'] });
    expect(loaded.apps.map((app) => app.name)).toEqual(['env']);
    await expect(loadEcosystem(join(dir, 'pm2-docs.config.js'), { baseEnv, only: ['nope'] })).rejects.toThrow(/--only names 'nope'/);
  });

  it('names the file, the app and the key of a wrong value', async () => {
    await expect(loadEcosystem(join(dir, 'bad-type.config.js'), { baseEnv })).rejects.toThrow(
      "bad-type.config.js: app 'api': `instances` must be a number, 'max', 0 or -n, got true (boolean)",
    );
    await expect(loadEcosystem(join(dir, 'bad-cron.config.js'), { baseEnv })).rejects.toThrow(/app 'cronny': `cron_restart` must be a valid cron expression/);
    await expect(loadEcosystem(join(dir, 'missing-script.config.js'), { baseEnv })).rejects.toThrow(/app 'ghost': script '.\/nope.js' not found/);
  });

  it('names the file of a syntax error or a missing file', async () => {
    await expect(loadEcosystem(join(dir, 'syntax-error.config.js'), { baseEnv })).rejects.toThrow(/syntax-error.config.js: cannot load/);
    await expect(loadEcosystem(join(dir, 'absent.config.js'), { baseEnv })).rejects.toThrow(/absent.config.js: cannot read: no such file/);
  });

  it('warns about an unknown key with the nearest known one', async () => {
    const loaded = await loadEcosystem(join(dir, 'typo.config.js'), { baseEnv });
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings[0]).toMatch(/typo\.config\.js: app 'typo': unknown key `instanses` \(did you mean `instances`\?\)$/);
  });
});

describe('specFromCli', () => {
  it('names the app after the script and picks the interpreter by extension', () => {
    const spec = specFromCli(join(apps, 'worker.py'), {}, ['a'], baseEnv, '/');
    expect(spec).toMatchObject({ name: 'worker', interpreter: 'python3', args: ['a'], namespace: 'default', kill_timeout: 1600, max_restarts: 16 });
    expect(specFromCli('forever.js', {}, [], baseEnv, apps).script).toBe(join(apps, 'forever.js'));
    expect(specFromCli('sleep', {}, [], baseEnv, '/').script).toMatch(/\/sleep$/);
  });

  it('resolves -i max, -1 and -n against the cores, and names the flag of a bad value', () => {
    const cores = availableParallelism();
    expect(specFromCli(join(apps, 'forever.js'), { instances: 'max' }, [], baseEnv, '/').instances).toBe(cores);
    expect(specFromCli(join(apps, 'forever.js'), { instances: '-1' }, [], baseEnv, '/').instances).toBe(cores);
    expect(specFromCli(join(apps, 'forever.js'), { instances: '3' }, [], baseEnv, '/').exec_mode).toBe('cluster_mode');
    expect(() => specFromCli(join(apps, 'forever.js'), { killTimeout: 'soon' }, [], baseEnv, '/')).toThrow(/`--kill-timeout` must be a duration/);
    expect(() => specFromCli(join(apps, 'forever.js'), { maxMemoryRestart: 'lots' }, [], baseEnv, '/')).toThrow(/`--max-memory-restart` must be a size/);
  });
});

describe('finding files', () => {
  it('recognises ecosystem files by name and finds the default one', () => {
    expect(isEcosystemFile('ecosystem.config.js')).toBe(true);
    expect(isEcosystemFile('apps.yaml')).toBe(true);
    expect(isEcosystemFile('server.js')).toBe(false);
    expect(findEcosystemFile(join(FIXTURES, 'apps'))).toBeNull();
  });
});
