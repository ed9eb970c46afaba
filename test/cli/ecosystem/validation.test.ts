// Every known key is checked: a wrong value names the file, the app, the key, what was expected and
// what was received, and no app is returned; unknown keys only warn, with the nearest known key.
import { describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { FIXTURES } from '../../helpers/pmx.js';
import { EcosystemError, loadEcosystem, specFromCli } from '../../../cli/ecosystem/index.js';
import { tmpFile } from './tmp-files.js';

const dir = join(FIXTURES, 'ecosystem');
const forever = join(FIXTURES, 'apps/forever.js');
const baseEnv = { HOME: '/home/x', PATH: process.env.PATH };

/** Writes a one-app ecosystem.config.js with `keys` and returns the error loading it. */
async function errorFor(keys: Record<string, unknown>): Promise<EcosystemError> {
  const file = tmpFile('ecosystem.config.js', `module.exports = ${JSON.stringify({ apps: [{ name: 'api', script: forever, ...keys }] })};\n`);
  const error = await loadEcosystem(file, { baseEnv }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(EcosystemError);
  return error as EcosystemError;
}

/** A message as it reads for a file in the current directory. */
const withoutDir = (message: string): string => message.replace(/^[^:]*\//, '');

const BAD_VALUES: [key: string, value: unknown, message: string][] = [
  ['script', '', "a non-empty string, got '' (string)"],
  ['cwd', 5, 'a non-empty string, got 5 (number)'],
  ['cwd', './no-such-dir', "an existing directory, got './no-such-dir' (string)"],
  ['args', 5, 'a string or an array of strings, got 5 (number)'],
  ['exec_interpreter', false, 'a non-empty string, got false (boolean)'],
  ['node_args', { a: 1 }, 'a string or an array of strings, got {"a":1} (object)'],
  ['instances', true, "a number, 'max' or -n, got true (boolean)"],
  ['instances', 'lots', "a number, 'max' or -n, got 'lots' (string)"],
  ['exec_mode', 'turbo', "'fork' or 'cluster', got 'turbo' (string)"],
  ['env', 'A=1', "an object of variables, got 'A=1' (string)"],
  ['env_production', ['A=1'], 'an object of variables, got ["A=1"] (array)'],
  ['autorestart', 'yes', "true or false, got 'yes' (string)"],
  ['max_restarts', -1, 'a whole number of at least 0, got -1 (number)'],
  ['min_uptime', 'soon', "a duration in ms (a number, or '500ms', '2s', '1m'), got 'soon' (string)"],
  ['restart_delay', -5, "a duration in ms (a number, or '500ms', '2s', '1m'), got -5 (number)"],
  ['exp_backoff_restart_delay', '1 day', "a duration in ms (a number, or '500ms', '2s', '1m'), got '1 day' (string)"],
  ['kill_timeout', 'soon', "a duration in ms (a number, or '500ms', '2s', '1m'), got 'soon' (string)"],
  ['drain_timeout', '1000h', "a duration of at most 2147483647 ms (24.8 days), got '1000h' (string)"],
  ['listen_timeout', [], "a duration in ms (a number, or '500ms', '2s', '1m'), got [] (array)"],
  ['watch_delay', 'x', "a duration in ms (a number, or '500ms', '2s', '1m'), got 'x' (string)"],
  ['max_memory_restart', '1T', "a size such as '200M', '1G', '512K' or a number of bytes, got '1T' (string)"],
  ['cron_restart', 61, "a cron expression such as '0 3 * * *', got 61 (number)"],
  ['stop_exit_codes', [0, 256], 'an exit code (0-255) or an array of them, got [0,256] (array)'],
  ['shutdown_with_message', 'no', "true or false, got 'no' (string)"],
  ['wait_ready', 1, 'true or false, got 1 (number)'],
  ['merge_logs', 'yes', "true or false, got 'yes' (string)"],
  ['combine_logs', 0, 'true or false, got 0 (number)'],
  ['time', 'always', "true or false, got 'always' (string)"],
  ['out_file', 5, 'a non-empty string, got 5 (number)'],
  ['output', true, 'a non-empty string, got true (boolean)'],
  ['error_file', [], 'a non-empty string, got [] (array)'],
  ['err_file', 1, 'a non-empty string, got 1 (number)'],
  ['log', 7, 'a non-empty string, got 7 (number)'],
  ['log_date_format', 5, 'a non-empty string, got 5 (number)'],
  ['log_type', 5, "'json' or 'raw', got 5 (number)"],
  ['instance_var', '', "a non-empty string, got '' (string)"],
  ['watch', 5, 'true, false, a path or an array of paths, got 5 (number)'],
  ['ignore_watch', [1], 'a string or an array of strings, got [1] (array)'],
  ['listen', [true], "a port, '[host:]port', or an array of them, got [true] (array)"],
  ['port', 'http', "a port number (1-65535), got 'http' (string)"],
  ['filter_env', 5, 'true, false, a variable name or an array of names, got 5 (number)'],
  ['append_env_to_name', 'yes', "true or false, got 'yes' (string)"],
  ['disable_logs', 1, 'true or false, got 1 (number)'],
  ['vizion', 'yes', "true or false, got 'yes' (string)"],
  ['uid', { id: 1 }, 'a name or a numeric id, got {"id":1} (object)'],
  ['watch_options', 'fast', "an object, got 'fast' (string)"],
];

describe('a wrong value', () => {
  it.each(BAD_VALUES)('of `%s` (%j) names the file, the app, the key, the expectation and the value', async (key, value, message) => {
    const error = await errorFor({ [key]: value });
    expect(withoutDir(error.message)).toBe(`ecosystem.config.js: app 'api': \`${key}\` must be ${message}`);
    expect(error).toMatchObject({ code: 'ECOSYSTEM_INVALID', app: 'api', key });
    expect(error.file).toMatch(/ecosystem\.config\.js$/);
  });

  it('of `name` names the app by its index, or by the name at fault', async () => {
    expect(withoutDir((await errorFor({ name: 42 })).message)).toBe('ecosystem.config.js: apps[0]: `name` must be a non-empty string, got 42 (number)');
    expect(withoutDir((await errorFor({ name: 'all' })).message)).toBe(
      "ecosystem.config.js: app 'all': `name` must be a name other than 'all' (it selects every process), got 'all' (string)",
    );
  });

  it('takes a name that is a number, as PM2 does, and warns that a number on the command line is an id', async () => {
    const file = tmpFile('ecosystem.config.js', `module.exports = ${JSON.stringify({ apps: [{ name: '8080', script: forever }] })};\n`);
    const loaded = await loadEcosystem(file, { baseEnv });
    expect(loaded.apps.map((app) => app.name)).toEqual(['8080']);
    expect(loaded.warnings.map(withoutDir)).toEqual([
      "ecosystem.config.js: app '8080': `name` '8080' is a number: on the command line the number names this app, as with PM2, and no longer the process of id 8080",
    ]);
  });

  it("of `uid`, `user` or `gid` other than the agent's own user and group is refused: the app ran as the agent's user (root) with a warning, where the file asked for less", async () => {
    const other = process.getuid!() === 65534 ? 65533 : 65534;
    for (const key of ['uid', 'user']) {
      const error = await errorFor({ [key]: other });
      expect(withoutDir(error.message)).toMatch(new RegExp(`^ecosystem\\.config\\.js: app 'api': \`${key}\` must be this agent's own user, \\S+ \\(uid ${process.getuid!()}\\), as pmx runs every app as its agent's user .*sudo -u <user> pmx start.*, got ${other} \\(number\\)$`));
      expect(error).toMatchObject({ code: 'ECOSYSTEM_INVALID', key });
    }
    expect((await errorFor({ gid: 'no-such-group-x' })).message).toMatch(/`gid` must be this agent's own group, .*\(gid \d+\)/);
    // its own user and group, by id or name, change nothing and are taken
    const file = tmpFile('ecosystem.config.js', `module.exports = ${JSON.stringify({ apps: [{ name: 'api', script: forever, uid: process.getuid!(), user: userInfo().username, gid: process.getgid!() }] })};\n`);
    const loaded = await loadEcosystem(file, { baseEnv });
    expect([loaded.apps.length, loaded.warnings]).toEqual([1, []]);
  });

  it('null, and a YAML key left empty, is a key unset, as PM2 takes it (it was refused: a PM2 file with `watch:` or `cwd: null` started nothing)', async () => {
    const keys = ['cwd', 'env', 'watch', 'max_memory_restart', 'node_args', 'interpreter', 'namespace', 'exec_mode', 'instances', 'max_restarts', 'restart_delay', 'kill_timeout', 'autorestart', 'merge_logs', 'ignore_watch', 'instance_var'];
    const file = tmpFile('ecosystem.config.js', `module.exports = ${JSON.stringify({ apps: [{ name: 'api', script: forever, ...Object.fromEntries(keys.map((key) => [key, null])) }] })};\n`);
    const plain = tmpFile('plain.config.js', `module.exports = ${JSON.stringify({ apps: [{ name: 'api', script: forever }] })};\n`);
    const [nulls, defaults] = [await loadEcosystem(file, { baseEnv }), await loadEcosystem(plain, { baseEnv })];
    expect(nulls.warnings).toEqual([]);
    // each file is in a folder of its own: the cwd is the file's folder either way
    const apart = (apps: { cwd: string }[], from: string): unknown[] => apps.map(({ cwd, ...rest }) => (expect(cwd).toBe(dirname(from)), rest));
    expect(apart(nulls.apps, file)).toEqual(apart(defaults.apps, plain));
    const yaml = tmpFile('ecosystem.yml', `apps:\n  - name: api\n    script: ${forever}\n    watch:\n    node_args:\n    env:\n`);
    expect(apart((await loadEcosystem(yaml, { baseEnv })).apps, yaml)).toEqual(apart(defaults.apps, plain));
  });

  it("takes `name: ''` (and `--name ''`) as no name, the app named after its script, as PM2 names it (it was refused)", async () => {
    const file = tmpFile('ecosystem.config.js', `module.exports = ${JSON.stringify({ apps: [{ name: '', script: forever }] })};\n`);
    expect((await loadEcosystem(file, { baseEnv })).apps.map((app) => app.name)).toEqual(['forever']);
    expect(specFromCli(forever, { name: '' }, [], baseEnv, dir).name).toBe('forever');
  });

  it('of a cron expression says why croner refuses it', async () => {
    const error = await errorFor({ cron: 'every day' });
    expect(error.message).toMatch(/app 'api': `cron` must be a valid cron expression \(.+\), got 'every day' \(string\)$/);
  });

  it('inside log_rotate names the inner key', async () => {
    const error = await errorFor({ log_rotate: { max_size: 'big' } });
    expect(error.message).toMatch(/`log_rotate` must be an object with .+; its max_size must be a size such as '200M'.+, got \{"max_size":"big"\} \(object\)$/);
  });

  it('in a file from PM2 names the file and app as PM2 users see them', async () => {
    await expect(loadEcosystem(join(dir, 'bad-type.config.js'), { baseEnv })).rejects.toThrow(
      "bad-type.config.js: app 'api': `instances` must be a number, 'max' or -n, got true (boolean)",
    );
    await expect(loadEcosystem(join(dir, 'bad-cron.config.js'), { baseEnv })).rejects.toThrow(/app 'cronny': `cron_restart` must be a valid cron expression/);
  });
});

describe('every problem at once', () => {
  it('lists the problems of all apps, and returns nothing', async () => {
    const file = tmpFile('ecosystem.json', JSON.stringify({
      apps: [
        { name: 'one', script: forever, instances: 'x', kill_timeout: 'y' },
        { name: 'two', script: forever },
        { script: forever, watch: 3 },
        { name: 'four' },
      ],
    }));
    const error = (await loadEcosystem(file, { baseEnv }).catch((caught: unknown) => caught)) as EcosystemError;
    expect(error.problems.map((problem) => [problem.app, problem.key])).toEqual([
      ['one', 'instances'],
      ['one', 'kill_timeout'],
      [undefined, 'watch'],
    ]);
    expect(error.message.split('\n')).toHaveLength(3);
    expect(error.message).toContain('ecosystem.json: apps[2]: `watch` must be');
    expect(error).toMatchObject({ code: 'ECOSYSTEM_INVALID', app: 'one', key: 'instances' });
  });

  it('names the app of a missing script and of an app without one', async () => {
    const file = tmpFile('ecosystem.json', JSON.stringify({ apps: [{ name: 'ghost', script: './nope.js' }, { cwd: '.' }] }));
    const error = (await loadEcosystem(file, { baseEnv }).catch((caught: unknown) => caught)) as EcosystemError;
    expect(error.code).toBe('SCRIPT_NOT_FOUND');
    expect(error).toMatchObject({ app: 'ghost', key: 'script', value: './nope.js' });
    const [missing, required] = error.message.split('\n');
    expect(missing).toMatch(/ecosystem\.json: app 'ghost': `script` '\.\/nope\.js' not found: no file \/.+\/nope\.js$/);
    expect(required).toMatch(/ecosystem\.json: apps\[1\]: `script` is required \(the file or command to run\)$/);
  });

  it('says a bare word is neither a file nor a command on PATH', async () => {
    const error = await errorFor({ script: 'no-such-command-xyz' });
    expect(error.message).toMatch(/`script` 'no-such-command-xyz' not found: no file \/.+\/no-such-command-xyz, nor a command of that name on PATH$/);
  });
});

describe('unknown keys', () => {
  it('warn with the nearest known key, and the app still loads', async () => {
    const loaded = await loadEcosystem(join(dir, 'typo.config.js'), { baseEnv });
    expect(loaded.apps).toHaveLength(1);
    expect(loaded.warnings).toEqual([expect.stringMatching(/typo\.config\.js: app 'typo': unknown key `instanses` \(did you mean `instances`\?\)$/)]);
  });

  it('warn without a suggestion when nothing is close', async () => {
    const file = tmpFile('ecosystem.config.js', `module.exports = { apps: [{ name: 'api', script: ${JSON.stringify(forever)}, colour: 'blue', max_memroy_restart: '1G' }] };`);
    const { warnings } = await loadEcosystem(file, { baseEnv });
    expect(warnings).toEqual([
      expect.stringMatching(/\/ecosystem\.config\.js: app 'api': unknown key `colour`$/),
      expect.stringMatching(/unknown key `max_memroy_restart` \(did you mean `max_memory_restart`\?\)$/),
    ]);
  });
});

describe('values PM2 tolerates', () => {
  it('warn and start: a `log_type` other than json or raw logs raw, as under PM2', async () => {
    const file = tmpFile('ecosystem.config.js', `module.exports = { apps: [{ name: 'api', script: ${JSON.stringify(forever)}, log_type: 'pretty' }] };`);
    const { apps, warnings } = await loadEcosystem(file, { baseEnv });
    expect(apps[0]!.log_type).toBe('raw');
    expect(warnings).toEqual([expect.stringMatching(/app 'api': `log_type` is 'pretty', which is neither 'json' nor 'raw'/)]);
  });

  it('warn and start: a `deploy` that is not an object of environments is left out', async () => {
    const file = tmpFile('ecosystem.config.js', `module.exports = { apps: [{ name: 'api', script: ${JSON.stringify(forever)} }], deploy: ['production'] };`);
    const { apps, deploy, warnings } = await loadEcosystem(file, { baseEnv });
    expect(apps.map((app) => app.name)).toEqual(['api']);
    expect(deploy).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/`deploy` is not an object of environments/)]);
  });

  it('load the apps under a top-level `pm2` key, as PM2 does', async () => {
    const file = tmpFile('process.json', JSON.stringify({ pm2: [{ name: 'api', script: forever }] }));
    expect((await loadEcosystem(file, { baseEnv })).apps.map((app) => app.name)).toEqual(['api']);
  });
});

describe('files written for PM2', () => {
  it('load without a warning: the documentation example with its deploy section', async () => {
    const loaded = await loadEcosystem(join(dir, 'pm2-docs.config.js'), { baseEnv, envName: 'production' });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.deploy).toHaveProperty('production.repo', 'git@github.com:repo.git');
    expect(loaded.apps[0]).toMatchObject({
      name: 'api',
      max_memory_restart: 1024 ** 3,
      interpreter_args: ['--max-old-space-size=128'],
      exec_mode: 'fork_mode',
      out_file: join(dir, 'logs/api-out.log'),
      error_file: join(dir, 'logs/api-err.log'),
      merge_logs: true,
    });
    expect(loaded.apps[1]).toMatchObject({ name: 'env', args: ['one', 'two three'], cron_restart: '0 3 * * *', kill_timeout: 3000, stop_exit_codes: [0] });
  });

  it('load without a warning: every attribute PM2 documents', async () => {
    const loaded = await loadEcosystem(join(dir, 'pm2-attributes.config.js'), { baseEnv });
    expect(loaded.warnings).toEqual([]);
    const apps = join(FIXTURES, 'apps');
    expect(loaded.apps[0]).toMatchObject({
      name: 'my-api',
      cwd: apps,
      args: ['-a', '13', '-b', '12'],
      interpreter_args: ['--harmony'],
      instances: 2,
      exec_mode: 'cluster_mode',
      max_memory_restart: 150 * 1024 ** 2,
      min_uptime: 3_600_000,
      log_file: join(apps, 'logs/combined.log'),
      merge_logs: true,
      instance_var: 'INSTANCE_ID',
      namespace: 'api',
      log_type: 'json',
      time: true,
      version: '1.2.3',
    });
  });
});
