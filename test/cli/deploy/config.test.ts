// Reading PM2 deploy sections: hosts in every form, ssh_options, ~/.ssh/config aliases, defaults,
// and errors that name the key.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listEnvironments, readDeployEnvironment } from '../../../cli/deploy/config.js';

const home = mkdtempSync(join(tmpdir(), 'pmx-deploy-config-'));
mkdirSync(join(home, '.ssh'));
writeFileSync(join(home, '.ssh', 'id_ed25519'), 'not read here');
writeFileSync(
  join(home, '.ssh', 'config'),
  ['Host web-*', '  User ops', '  IdentityFile ~/.ssh/web_key', 'Host web-1', '  HostName 10.1.2.3', '  Port 2222', 'Host bastion', '  HostName 10.9.9.9', 'Host *', '  User fallback', ''].join('\n'),
);
const file = '/projects/app/ecosystem.config.js';
const read = (deploy: unknown, env?: string) => readDeployEnvironment(deploy, env, file, { home });
const base = { repo: 'git@example.com:me/app.git', path: '/srv/app' };

describe('readDeployEnvironment', () => {
  it('reads a PM2 production section as PM2 documents it, with pmx defaults', () => {
    const env = read({ production: { user: 'node', host: '212.83.163.1', ref: 'origin/master', ...base, 'post-deploy': 'npm install && pm2 reload ecosystem.config.js --env production' } }, 'production');
    expect(env).toMatchObject({ name: 'production', ref: 'origin/master', strategy: 'git', keepReleases: 5, parallel: 1, rolling: 0, autoRollback: true, lockTimeoutMs: 0, warnings: [] });
    expect(env.hosts).toEqual([
      expect.objectContaining({ label: '212.83.163.1', hostname: '212.83.163.1', port: 22, user: 'node', strictHostKeyChecking: 'yes', connectTimeoutMs: 10_000, keyFiles: [join(home, '.ssh', 'id_ed25519')], knownHostsFiles: [join(home, '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'] }),
    ]);
  });

  it('takes host arrays, per-host objects and user@host:port, and ~/.ssh/config aliases', () => {
    const env = read({ prod: { user: 'deploy', ...base, host: ['a.example', 'me@b.example:2200', { host: 'c.example', port: 2201, user: 'other', key: '~/.ssh/c_key' }, 'web-1'] } });
    expect(env.hosts.map((h) => [h.label, h.hostname, h.port, h.user])).toEqual([
      ['a.example', 'a.example', 22, 'deploy'],
      ['me@b.example:2200', 'b.example', 2200, 'me'],
      ['c.example', 'c.example', 2201, 'other'],
      ['web-1', '10.1.2.3', 2222, 'deploy'],
    ]);
    expect(env.hosts[2]!.keyFiles[0]).toBe(join(home, '.ssh', 'c_key'));
    expect(env.hosts[3]!.keyFiles).toEqual([join(home, '.ssh', 'web_key')]);
    expect(read({ prod: { ...base, host: 'web-7' } }).hosts[0]!.user).toBe('ops');
  });

  it('maps ssh_options onto the connection and names the ones it ignores', () => {
    const env = read({ prod: { ...base, host: 'a.example', ssh_options: ['StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null', 'ConnectTimeout=3', 'ServerAliveInterval 7', 'ProxyJump=bastion', 'Compression=yes', 'ForwardAgent=yes'] } });
    const [host] = env.hosts;
    expect(host).toMatchObject({ strictHostKeyChecking: 'no', knownHostsFiles: ['/dev/null'], connectTimeoutMs: 3000, keepaliveIntervalMs: 7000, forwardAgent: true });
    expect(host!.proxyJump).toMatchObject({ label: 'bastion', hostname: '10.9.9.9' });
    expect(env.warnings).toEqual(['ecosystem.config.js: deploy.prod.ssh_options: Compression is not supported and is ignored']);
  });

  it('reads the pmx keys', () => {
    const env = read({ prod: { ...base, host: ['a', 'b', 'c'], strategy: 'release', keep_releases: 3, shared_dirs: ['uploads'], shared_files: ['.env'], parallel: 2, rolling: 1, healthcheck: 'http://127.0.0.1:3000/health', auto_rollback: false, lock_timeout: 5000 } });
    expect(env).toMatchObject({ strategy: 'release', keepReleases: 3, sharedDirs: ['uploads'], sharedFiles: ['.env'], parallel: 2, rolling: 1, autoRollback: false, lockTimeoutMs: 5000 });
    expect(env.healthcheck).toEqual({ url: 'http://127.0.0.1:3000/health', command: null, timeoutMs: 5000, retries: 5, intervalMs: 1000 });
    expect(read({ prod: { ...base, host: 'a', healthcheck: { command: 'curl -f localhost', retries: 2 } } }).healthcheck).toMatchObject({ command: 'curl -f localhost', retries: 2 });
  });

  it('lets the environment name be left out when there is only one', () => {
    expect(read({ staging: { ...base, host: 'a' } }).name).toBe('staging');
    expect(listEnvironments({ a: {}, b: {} })).toEqual(['a', 'b']);
    expect(() => read({ a: { ...base, host: 'a' }, b: { ...base, host: 'b' } })).toThrow('ecosystem.config.js: name an environment (a, b)');
  });

  it('names the key at fault', () => {
    expect(() => read({ production: { repo: 'x', host: 'a' } }, 'production')).toThrow("ecosystem.config.js: deploy.production.path is required (the remote directory to deploy into, e.g. '/srv/app')");
    expect(() => read({ production: { ...base, host: 'a' } }, 'staging')).toThrow("ecosystem.config.js: no deploy environment 'staging' (known: production)");
    expect(() => read({ production: { ...base, host: 42 } }, 'production')).toThrow('ecosystem.config.js: deploy.production.host: expected a string, an array of strings or of { host, port, user, key } objects, got 42 (number)');
    expect(() => read({ production: { ...base, path: 'relative', host: 'a' } }, 'production')).toThrow(/deploy\.production\.path: expected an absolute path/);
    expect(() => read({ production: { ...base, host: 'a', strategy: 'rsync' } }, 'production')).toThrow(/deploy\.production\.strategy: expected 'git' or 'release'/);
    expect(() => read({ production: { ...base, host: 'a', shared_dirs: ['../etc'] } }, 'production')).toThrow(/deploy\.production\.shared_dirs/);
    expect(() => read({ production: { ...base } }, 'production')).toThrow(/deploy\.production\.host is required/);
  });
});
