// Reading PM2 deploy sections: hosts in every form, ssh_options, ~/.ssh/config aliases, defaults,
// pmx's optional keys, local hook scripts, and errors that name the key.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPostDeploy, duration, isLocalScript, listEnvironments, readDeployEnvironment } from '../../../cli/deploy/config.js';
import { failure } from './config-failure.js';

const home = mkdtempSync(join(tmpdir(), 'pmx-deploy-config-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const ssh = (name: string): string => join(home, '.ssh', name);
mkdirSync(join(home, '.ssh', 'config.d'), { recursive: true });
for (const key of ['id_ed25519', 'id_rsa']) writeFileSync(ssh(key), 'not read here');
writeFileSync(
  ssh('config'),
  `# pmx test config
Include config.d/*.conf
Host web-* !web-legacy
  User ops
  IdentityFile ~/.ssh/web_key
Host web-1
  HostName 10.1.2.3
  Port 2222
  User ignored-second-value
Host=bastion
  HostName=10.9.9.9
  User jumper
Host inner
  HostName %h.internal
  ProxyJump bastion
Host db?
  ProxyCommand nc %h %p
Host loop-a
  ProxyJump loop-b
Host loop-b
  ProxyJump loop-a
Host strict-off
  StrictHostKeyChecking no
  UserKnownHostsFile ~/.ssh/other_hosts /etc/other
  ConnectTimeout 4
  ServerAliveInterval 0
  ServerAliveCountMax 5
Match all
  ForwardAgent no
Host *
  User fallback
`,
);
writeFileSync(ssh('config.d/10-app.conf'), 'Host app-included\n  HostName 10.7.7.7\n  Port 2200\n');
writeFileSync(ssh('config.d/ignored.txt'), 'Host app-included\n  HostName 10.6.6.6\n');
const file = '/projects/app/ecosystem.config.js';
const base = { repo: 'git@example.com:me/app.git', ref: 'origin/main', path: '/srv/app' };
const read = (deploy: unknown, env?: string) => readDeployEnvironment(deploy, env, file, { home, env: { USER: 'localme' } });
const one = (section: Record<string, unknown>) => read({ prod: { ...base, ...section } });

describe('a PM2 deploy section as PM2 documents it', () => {
  it('reads every PM2 key, with pmx defaults for the rest', () => {
    const env = read(
      {
        production: {
          user: 'node', host: ['212.83.163.1', '212.83.163.2'], ref: 'origin/master', repo: base.repo, path: '/var/www/production', ssh_options: 'StrictHostKeyChecking=no',
          'pre-setup': 'apt-get install git', 'post-setup': 'ls -la', 'pre-deploy-local': "echo 'local'", 'pre-deploy': 'git fetch', 'post-deploy': 'npm install && pm2 reload ecosystem.config.js --env production',
          env: { NODE_ENV: 'production', port: 3000, debug: false }, fetch: 'fast', 'forward-agent': 'yes',
        },
      },
      'production',
    );
    expect(env).toEqual({
      name: 'production', file, repo: base.repo, ref: 'origin/master', path: '/var/www/production', hosts: expect.any(Array),
      preSetup: 'apt-get install git', postSetup: 'ls -la', preDeployLocal: "echo 'local'", preDeploy: 'git fetch', postDeploy: 'npm install && pm2 reload ecosystem.config.js --env production',
      envFile: null, secrets: [],
      env: { NODE_ENV: 'production', PORT: '3000', DEBUG: 'false' }, fastFetch: true,
      strategy: 'git', keepReleases: 5, sharedFiles: [], sharedDirs: [], parallel: 2, rolling: null, batchWaitMs: 0, maxFail: { hosts: 0 }, healthcheck: null, autoRollback: true, lockTimeoutMs: 0, hookTimeoutMs: 0, warnings: [],
    });
    expect(env.hosts[0]).toEqual({
      label: '212.83.163.1', hostname: '212.83.163.1', port: 22, user: 'node', keyFiles: [ssh('id_ed25519'), ssh('id_rsa')], useAgent: true, forwardAgent: true,
      knownHostsFiles: [ssh('known_hosts'), '/etc/ssh/ssh_known_hosts'], strictHostKeyChecking: 'no', connectTimeoutMs: 10_000, keepaliveIntervalMs: 5_000, keepaliveCountMax: 3, proxyJump: null, roles: [], labels: {},
    });
  });

  it('takes user@host:port, [v6]:port, per-host objects and string ports, the local user by default', () => {
    const env = one({ host: ['a.example', 'me@b.example:2200', '[fe80::1]:2201', { host: 'c.example', port: '2202', user: 'other', key: '~/.ssh/c_key' }] });
    expect(env.hosts.map((h) => [h.label, h.hostname, h.port, h.user])).toEqual([
      ['a.example', 'a.example', 22, 'fallback'],
      ['me@b.example:2200', 'b.example', 2200, 'me'],
      ['[fe80::1]:2201', 'fe80::1', 2201, 'fallback'],
      ['c.example', 'c.example', 2202, 'other'],
    ]);
    expect(env.hosts[3]!.keyFiles).toEqual([ssh('c_key'), ssh('id_ed25519'), ssh('id_rsa')]);
    const empty = mkdtempSync(join(home, 'empty-home-'));
    expect(readDeployEnvironment({ p: { ...base, host: 'a', port: 2222 } }, 'p', file, { home: empty, env: { LOGNAME: 'logname-user' } }).hosts[0]).toMatchObject({ user: 'logname-user', port: 2222, keyFiles: [] });
  });

  it('lets the environment name be left out when there is only one', () => {
    expect(read({ staging: { ...base, host: 'a' } }).name).toBe('staging');
    expect(listEnvironments({ a: {}, b: {} })).toEqual(['a', 'b']);
    expect(listEnvironments(undefined)).toEqual([]);
    expect(() => read({ a: { ...base, host: 'a' }, b: { ...base, host: 'b' } })).toThrow('ecosystem.config.js: name a deploy environment (a, b)');
  });

  it('warns by name about unknown keys, suggesting the known one, and about unset env values', () => {
    expect(one({ host: ['a', { host: 'b', hostname: 'x' }], post_deploy: 'x', needs_tty: true, colour: 'red', env: { SECRET: undefined } }).warnings).toEqual([
      'ecosystem.config.js: deploy.prod: unknown key `post_deploy` is ignored (did you mean `post-deploy`?)',
      'ecosystem.config.js: deploy.prod: unknown key `colour` is ignored',
      'ecosystem.config.js: deploy.prod.host[1]: unknown key `hostname` is ignored',
      'ecosystem.config.js: deploy.prod.env.SECRET: is undefined and is not exported',
    ]);
  });
});

describe('ssh_options', () => {
  it('maps the common OpenSSH options onto the connection and names the others', () => {
    const env = one({
      host: 'a.example',
      ssh_options: ['StrictHostKeyChecking=accept-new', 'UserKnownHostsFile=~/.ssh/deploy_hosts', 'IdentityFile ~/.ssh/opt_key', 'Port=2022', 'User=optuser', 'ConnectTimeout=3', 'ServerAliveInterval 7', 'ServerAliveCountMax=2', 'ForwardAgent=yes', 'Compression=yes', 'ControlMaster=auto'],
    });
    expect(env.hosts[0]).toMatchObject({ strictHostKeyChecking: 'accept-new', knownHostsFiles: [ssh('deploy_hosts')], keyFiles: [ssh('opt_key'), ssh('id_ed25519'), ssh('id_rsa')], port: 2022, user: 'optuser', connectTimeoutMs: 3000, keepaliveIntervalMs: 7000, keepaliveCountMax: 2, forwardAgent: true });
    expect(env.warnings).toEqual([
      'ecosystem.config.js: deploy.prod.ssh_options: Compression is not supported by pmx and is ignored',
      'ecosystem.config.js: deploy.prod.ssh_options: ControlMaster is not supported by pmx and is ignored',
    ]);
  });

  it('reads a string holding several -o options, as PM2 passes it', () => {
    expect(one({ host: 'a', user: 'u', port: 22, ssh_options: 'StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -oPort=9' }).hosts[0]).toMatchObject({ strictHostKeyChecking: 'no', knownHostsFiles: ['/dev/null'], port: 22, user: 'u' });
  });

  it('orders key files: key, then ssh_options IdentityFile, then ~/.ssh/config IdentityFile, then the defaults that exist', () => {
    expect(one({ host: 'web-2', key: '~/.ssh/deploy', ssh_options: 'IdentityFile=~/.ssh/web_key' }).hosts[0]!.keyFiles).toEqual([ssh('deploy'), ssh('web_key'), ssh('id_ed25519'), ssh('id_rsa')]);
  });
});

describe('~/.ssh/config', () => {
  it('resolves aliases with patterns, negation and first-value-wins, as OpenSSH does', () => {
    const env = one({ host: ['web-1', 'web-7', 'web-legacy', 'app-included'] });
    expect(env.hosts.map((h) => [h.hostname, h.port, h.user])).toEqual([
      ['10.1.2.3', 2222, 'ops'],
      ['web-7', 22, 'ops'],
      ['web-legacy', 22, 'fallback'],
      ['10.7.7.7', 2200, 'fallback'],
    ]);
    expect(env.hosts[0]!.keyFiles).toEqual([ssh('web_key'), ssh('id_ed25519'), ssh('id_rsa')]);
    expect(one({ host: 'web-1', user: 'explicit' }).hosts[0]!.user).toBe('explicit');
  });

  it('reads host-key checking, known_hosts files and timeouts from the alias', () => {
    expect(one({ host: 'strict-off' }).hosts[0]).toMatchObject({ strictHostKeyChecking: 'no', knownHostsFiles: [ssh('other_hosts'), '/etc/other'], connectTimeoutMs: 4000, keepaliveIntervalMs: 0, keepaliveCountMax: 5, forwardAgent: false });
  });

  it('probes a silent host every 5 s and gives it up after 3 unanswered probes unless ServerAliveInterval and ServerAliveCountMax say otherwise', () => {
    const { keepaliveIntervalMs, keepaliveCountMax } = one({ host: 'a.example' }).hosts[0]!;
    expect([keepaliveIntervalMs, keepaliveCountMax]).toEqual([5000, 3]);
    expect(() => one({ host: 'a', ssh_options: 'ServerAliveCountMax=0' })).toThrow(/ssh_options: .*ServerAliveCountMax as a whole number of at least 1, not '0'/);
  });

  it('resolves ProxyJump chains with each jump host using its own user and port', () => {
    const inner = one({ host: 'inner', user: 'deployer', port: 2022 }).hosts[0]!;
    expect(inner).toMatchObject({ hostname: 'inner.internal', user: 'deployer', port: 2022 });
    expect(inner.proxyJump).toMatchObject({ label: 'bastion', hostname: '10.9.9.9', user: 'jumper', port: 22, proxyJump: null });
    const chained = one({ host: 'a.example', ssh_options: 'ProxyJump=me@first:2200,bastion' }).hosts[0]!;
    expect(chained.proxyJump).toMatchObject({ label: 'bastion', proxyJump: { label: 'me@first:2200', hostname: 'first', user: 'me', port: 2200, proxyJump: null } });
    expect(() => one({ host: 'loop-a' })).toThrow(/deploy\.prod\.host: expected a ProxyJump chain without a loop \(loop-a -> loop-b -> loop-a\)/);
  });

  it('warns about settings pmx cannot honour for a host', () => {
    expect(one({ host: 'db1' }).warnings).toEqual(['ecosystem.config.js: deploy.prod: ~/.ssh/config sets ProxyCommand for db1; pmx does not support it and connects without it']);
  });
});

describe("pmx's optional keys", () => {
  it('reads strategy, releases, shared paths, batches, health check, rollback and lock timeout', () => {
    const env = one({ host: ['a', 'b', 'c'], strategy: 'release', keep_releases: 3, shared_dirs: ['uploads'], shared_files: ['.env'], parallel: 2, rolling: 1, healthcheck: 'http://127.0.0.1:3000/health', auto_rollback: false, lock_timeout: '30s' });
    expect(env).toMatchObject({ strategy: 'release', keepReleases: 3, sharedDirs: ['uploads'], sharedFiles: ['.env'], parallel: 2, rolling: { every: { hosts: 1 } }, autoRollback: false, lockTimeoutMs: 30_000 });
    expect(env.healthcheck).toEqual({ url: 'http://127.0.0.1:3000/health', command: null, app: null, timeoutMs: 5000, retries: 5, intervalMs: 1000 });
  });

  it('takes a health check as a command or an object with its own timing', () => {
    expect(one({ host: 'a', healthcheck: 'curl -fsS localhost:3000' }).healthcheck).toMatchObject({ url: null, command: 'curl -fsS localhost:3000' });
    expect(one({ host: 'a', healthcheck: { url: 'https://localhost/up', timeout: '2s', retries: 0, interval: 250 } }).healthcheck).toEqual({ url: 'https://localhost/up', command: null, app: null, timeoutMs: 2000, retries: 0, intervalMs: 250 });
  });

  it("takes a health check that waits for an app's own probe, and names the key of a bad one", () => {
    expect(one({ host: 'a', healthcheck: { app: 'api', retries: 10, interval: '2s' } }).healthcheck).toEqual({ url: null, command: null, app: 'api', timeoutMs: 5000, retries: 10, intervalMs: 2000 });
    expect(failure(() => one({ host: 'a', healthcheck: { app: '' } }))).toMatchObject({ key: 'healthcheck.app', message: expect.stringContaining("deploy.prod.healthcheck.app: expected the name of an app of the ecosystem file that has a `health` probe, such as 'api', got \"\" (string)") });
    expect(failure(() => one({ host: 'a', healthcheck: { app: ['api'] } })).key).toBe('healthcheck.app');
    expect(failure(() => one({ host: 'a', healthcheck: { app: 'api', url: 'http://x/' } }))).toMatchObject({ key: 'healthcheck', message: expect.stringContaining('with exactly one of an http(s) url, a command and an app') });
  });

  it('reads the ramp: rolling as a batch size, a percentage or cumulative steps; batch_wait; max_fail', () => {
    expect(one({ host: 'a', rolling: 0 })).toMatchObject({ rolling: null, batchWaitMs: 0, maxFail: { hosts: 0 } });
    expect(one({ host: 'a', rolling: '25%', batch_wait: '30s', max_fail: '10%' })).toMatchObject({ rolling: { every: { percent: 25 } }, batchWaitMs: 30_000, maxFail: { percent: 10 } });
    expect(one({ host: 'a', rolling: [1, '25%', '100%'], batch_wait: 1500, max_fail: 2 })).toMatchObject({ rolling: { steps: [{ hosts: 1 }, { percent: 25 }, { percent: 100 }] }, batchWaitMs: 1500, maxFail: { hosts: 2 } });
    // a number step after a larger percentage is resolved against the selected hosts, not refused here
    expect(one({ host: 'a', rolling: ['50%', 2] }).rolling).toEqual({ steps: [{ percent: 50 }, { hosts: 2 }] });
  });

  it("reads rolling and max_fail written as strings of a whole number ('2', from an environment variable) as --rolling 2 reads them", () => {
    expect(one({ host: 'a', rolling: '2', max_fail: ' 1 ' })).toMatchObject({ rolling: { every: { hosts: 2 } }, maxFail: { hosts: 1 } });
    expect(one({ host: 'a', rolling: ['1', '3', '100%'], max_fail: '0' })).toMatchObject({ rolling: { steps: [{ hosts: 1 }, { hosts: 3 }, { percent: 100 }] }, maxFail: { hosts: 0 } });
    expect(one({ host: 'a', rolling: '0' }).rolling).toBeNull();
    // still refused as written, naming the value given
    expect(failure(() => one({ host: 'a', rolling: ['3', '2'] })).message).toContain('deploy.prod.rolling[1]: expected a cumulative step beyond the one before (3): each step counts every host live after it, got "2" (string)');
    expect(failure(() => one({ host: 'a', max_fail: '1.5' })).message).toContain('got "1.5" (string)');
  });

  it('reads durations as ms numbers or strings with a unit', () => {
    expect([duration(1500), duration('1500'), duration('500ms'), duration('1.5s'), duration('2m'), duration('1h'), duration('soon'), duration(-1)]).toEqual([1500, 1500, 500, 1500, 120_000, 3_600_000, null, null]);
  });
});

describe('errors name the file, the environment and the key', () => {
  it('says which key is required and what it is for', () => {
    const error = failure(() => read({ production: { repo: 'x', ref: 'origin/main', host: 'a' } }, 'production'));
    expect(error).toMatchObject({ code: 'DEPLOY_CONFIG', file, environment: 'production', key: 'path' });
    expect(error.message).toBe("ecosystem.config.js: deploy.production: `path` is required (the remote directory to deploy into, e.g. '/srv/app')");
    expect(() => one({ path: undefined, host: 'a', ref: undefined })).toThrow('deploy.prod: `path` is required');
    expect(() => one({ ref: '' , host: 'a' })).toThrow("deploy.prod: `ref` is required (the git ref to deploy, e.g. 'origin/main')");
    expect(() => one({})).toThrow('deploy.prod: `host` is required');
  });

  it('refuses a ramp it cannot run, naming the key and the step', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ rolling: -1 }, 'rolling', 'expected 0 (every host at once), a whole number of hosts of at least 1 or a percentage'],
      [{ rolling: 1.5 }, 'rolling', 'got 1.5 (number)'],
      [{ rolling: '0%' }, 'rolling', 'got "0%" (string)'],
      [{ rolling: '150%' }, 'rolling', 'got "150%" (string)'],
      [{ rolling: 'fast' }, 'rolling', 'got "fast" (string)'],
      [{ rolling: [] }, 'rolling', "expected a list of cumulative steps such as [1, '25%', '100%'], got [] (array)"],
      [{ rolling: [1, 0] }, 'rolling[1]', 'deploy.prod.rolling[1]: expected a whole number of hosts of at least 1'],
      [{ rolling: [1, '0%'] }, 'rolling[1]', 'got "0%" (string)'],
      [{ rolling: ['10%', '150%'] }, 'rolling[1]', 'got "150%" (string)'],
      [{ rolling: [3, 2] }, 'rolling[1]', 'deploy.prod.rolling[1]: expected a cumulative step beyond the one before (3): each step counts every host live after it, got 2 (number)'],
      [{ rolling: ['50%', 1, '25%'] }, 'rolling[2]', 'beyond the one before (50%)'],
      [{ rolling: [1, 1] }, 'rolling[1]', 'beyond the one before (1)'],
      [{ rolling: ['100%', 5] }, 'rolling[1]', "expected no step after '100%'"],
      [{ rolling: [1, 'two'] }, 'rolling[1]', 'got "two" (string)'],
      [{ batch_wait: 'a while' }, 'batch_wait', `deploy.prod.batch_wait: expected a number of ms or a duration such as '30s', got "a while" (string)`],
      [{ batch_wait: -5 }, 'batch_wait', 'got -5 (number)'],
      [{ max_fail: -1 }, 'max_fail', "deploy.prod.max_fail: expected a whole number of hosts of at least 0 or a percentage of the selected hosts such as '10%', got -1 (number)"],
      [{ max_fail: '150%' }, 'max_fail', 'got "150%" (string)'],
      [{ max_fail: 'some' }, 'max_fail', 'got "some" (string)'],
    ];
    for (const [settings, key, message] of cases) {
      const error = failure(() => one({ host: 'a', ...settings }));
      expect(error, JSON.stringify(settings)).toMatchObject({ code: 'DEPLOY_CONFIG', file, environment: 'prod', key });
      expect(error.message, JSON.stringify(settings)).toContain(message);
      expect(error.message).toMatch(/^ecosystem\.config\.js: deploy\.prod\./);
    }
  });

  it('lists the known environments for an unknown one', () => {
    const error = failure(() => read({ production: { ...base, host: 'a' }, staging: { ...base, host: 'b' } }, 'qa'));
    expect(error).toMatchObject({ environment: 'qa', message: "ecosystem.config.js: no deploy environment 'qa' (known: production, staging)" });
    expect(() => read({}, 'production')).toThrow('ecosystem.config.js: no `deploy` section with an environment in it');
  });

  it('shows what was expected and what was given', () => {
    const error = failure(() => read({ production: { ...base, host: 42 } }, 'production'));
    expect(error).toMatchObject({ key: 'host', message: 'ecosystem.config.js: deploy.production.host: expected a string, an array of strings or of {host, port, user, key, roles, labels} objects, got 42 (number)' });
    expect(failure(() => one({ host: ['a', { port: 22 }] }))).toMatchObject({ key: 'host[1].host', message: expect.stringContaining('deploy.prod.host[1].host: expected a host name or address, got nothing') });
    expect(failure(() => one({ host: ['a', { host: 'b', port: 'ssh' }] }))).toMatchObject({ key: 'host[1].port', message: expect.stringContaining('expected a port number from 1 to 65535, got "ssh" (string)') });
    expect(failure(() => one({ host: 'a', hook_timeout: '500ms' })).message).toContain("deploy.prod.hook_timeout: expected a duration of at least 1 s such as '10m' (0: none), got \"500ms\" (string)");
    expect([one({ host: 'a', hook_timeout: '10m' }).hookTimeoutMs, one({ host: 'a' }).hookTimeoutMs]).toEqual([600_000, 0]);
    // an empty user was taken as unset: the deploy logged in as whoever ran pmx (root)
    expect(failure(() => one({ host: 'a', user: '' }))).toMatchObject({ key: 'user', message: expect.stringContaining('deploy.prod.user: expected a user name, got "" (string)') });
    expect(failure(() => one({ host: 'a', user: 7 })).key).toBe('user');
    expect(failure(() => one({ host: 'a', key: ' ' })).key).toBe('key');
    // a host's own user and key are held to the same rule (a blank one was taken as a user named ' ')
    expect(failure(() => one({ host: [{ host: 'a', user: '  ' }] }))).toMatchObject({ key: 'host[0].user', message: expect.stringContaining('deploy.prod.host[0].user: expected a user name, got "  " (string)') });
    expect(failure(() => one({ host: [{ host: 'a', key: '\t' }] })).key).toBe('host[0].key');
    expect(one({ host: [{ host: 'a', user: null }], user: 'u' }).hosts[0]!.user).toBe('u');
    expect(failure(() => one({ host: 'a', path: 'relative' }))).toMatchObject({ key: 'path', message: expect.stringContaining("expected an absolute remote path such as '/srv/app'") });
    expect(failure(() => one({ host: 'a', strategy: 'rsync' }))).toMatchObject({ key: 'strategy', message: expect.stringContaining(`expected 'git' or 'release', got "rsync" (string)`) });
    expect(failure(() => one({ host: 'a', shared_dirs: ['../etc'] })).key).toBe('shared_dirs');
    expect(failure(() => one({ host: 'a', keep_releases: 0 })).message).toContain('deploy.prod.keep_releases: expected a whole number of at least 1, got 0 (number)');
    expect(failure(() => one({ host: 'a', env: { NESTED: { a: 1 } } })).key).toBe('env.NESTED');
    expect(failure(() => one({ host: 'a', env: { 'BAD-NAME': 1 } })).key).toBe('env.BAD-NAME');
    expect(failure(() => one({ host: 'a', lock_timeout: 'soon' })).message).toContain("deploy.prod.lock_timeout: expected a number of ms or a duration such as '30s', got \"soon\" (string)");
    expect(failure(() => one({ host: 'a', healthcheck: { url: 'http://x/', command: 'true' } })).key).toBe('healthcheck');
    expect(failure(() => one({ host: 'a', ssh_options: 'ConnectTimeout=soon' })).message).toContain("deploy.prod.ssh_options: expected ConnectTimeout as whole seconds, not 'soon'");
    expect(failure(() => one({ host: 'a', 'post-deploy': ['npm i'] })).key).toBe('post-deploy');
  });
});

describe("PM2's default post-deploy", () => {
  it('is `startOrRestart` of the file as named from where deploy runs, with the environment, when post-deploy is missing or empty', () => {
    const section = { user: 'deploy', host: 'a', repo: 'r', ref: 'origin/main', path: '/srv/app' };
    const read = (extra: Record<string, unknown>, cwd?: string) => readDeployEnvironment({ production: { ...section, ...extra } }, 'production', '/work/api/ecosystem.config.js', { home, env: { USER: 'me' }, ...(cwd ? { cwd } : {}) }).postDeploy;
    expect(read({})).toBe('pmx startOrRestart ecosystem.config.js --env production');
    expect(read({ 'post-deploy': '' }, '/work/api')).toBe('pmx startOrRestart ecosystem.config.js --env production');
    expect(read({ 'post-deploy': 'npm ci' })).toBe('npm ci');
    expect(defaultPostDeploy('/work/api/deploy/ecosystem.config.js', 'prod eu', '/work/api')).toBe("pmx startOrRestart deploy/ecosystem.config.js --env 'prod eu'");
  });
});

describe('isLocalScript', () => {
  it('is true when the first word of a hook is a file beside the ecosystem file', () => {
    const project = mkdtempSync(join(home, 'project-'));
    mkdirSync(join(project, 'scripts'));
    writeFileSync(join(project, 'scripts', 'setup.sh'), 'apt-get install -y git\n');
    expect(isLocalScript('scripts/setup.sh', project)).toBe(true);
    expect(isLocalScript('./scripts/setup.sh --fast', project)).toBe(true);
    expect(isLocalScript('scripts', project)).toBe(false);
    expect(isLocalScript('npm install', project)).toBe(false);
  });
});
