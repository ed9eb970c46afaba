// Host groups: ranges in `host` names expand, per-host `roles` and `labels`, and the selection of
// `--hosts <glob>` / `--roles <r[,r2]>`, with errors that name the file, the value and the hosts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDeployEnvironment } from '../../../cli/deploy/config.js';
import { failure } from './config-failure.js';
import { expandHostRange, MAX_RANGE_HOSTS } from '../../../cli/deploy/host-ranges.js';
import { selectHosts, splitList } from '../../../cli/deploy/host-selection.js';
import { globMatch } from '../../../cli/transport/host-patterns.js';

const home = mkdtempSync(join(tmpdir(), 'pmx-host-selection-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const file = '/projects/app/ecosystem.config.js';
const base = { repo: 'git@example.com:me/app.git', ref: 'origin/main', path: '/srv/app', user: 'deploy' };
const one = (section: Record<string, unknown>) => readDeployEnvironment({ prod: { ...base, ...section } }, 'prod', file, { home, env: { USER: 'localme' } });

describe('host ranges', () => {
  it('expands [01:50] inclusive and zero-padded to the width written', () => {
    const { names } = expandHostRange('web[01:50].example.com') as { names: string[] };
    expect(names).toHaveLength(50);
    expect([names[0], names[8], names[9], names[49]]).toEqual(['web01.example.com', 'web09.example.com', 'web10.example.com', 'web50.example.com']);
  });

  it('does not pad a range written without leading zeros, keeps user@ and :port, and multiplies several ranges', () => {
    expect(expandHostRange('10.0.0.[8:11]')).toEqual({ names: ['10.0.0.8', '10.0.0.9', '10.0.0.10', '10.0.0.11'] });
    expect(expandHostRange('ops@db[1:2].internal:2222')).toEqual({ names: ['ops@db1.internal:2222', 'ops@db2.internal:2222'] });
    expect(expandHostRange('r[1:2]-n[01:02]')).toEqual({ names: ['r1-n01', 'r1-n02', 'r2-n01', 'r2-n02'] });
    expect(expandHostRange('web[7:7]')).toEqual({ names: ['web7'] });
  });

  it('leaves plain names and bracketed IPv6 addresses alone', () => {
    expect(expandHostRange('a.example')).toEqual({ names: ['a.example'] });
    expect(expandHostRange('[fe80::1]:2201')).toEqual({ names: ['[fe80::1]:2201'] });
    expect(expandHostRange('me@[::1]')).toEqual({ names: ['me@[::1]'] });
  });

  it('refuses a bad range, saying why', () => {
    expect(expandHostRange('web[9:1]')).toEqual({ error: '[9:1] starts after it ends' });
    expect(expandHostRange('web[a:b]')).toEqual({ error: '[a:b] is not a range of whole numbers [start:end]' });
    expect(expandHostRange('web[1:3')).toEqual({ error: "an unmatched '['" });
    expect(expandHostRange('web1:3]')).toEqual({ error: "an unmatched ']'" });
    expect(expandHostRange(`w[1:${MAX_RANGE_HOSTS + 1}]`)).toEqual({ error: `more than ${MAX_RANGE_HOSTS} hosts` });
  });
});

describe('hosts with ranges, roles and labels in a deploy environment', () => {
  it('expands ranges in strings and objects, in the order written, each copy with the object roles, labels and port', () => {
    const env = one({
      host: ['lb.example', { host: 'web[01:03].example', roles: ['web'], labels: { zone: 'eu-1', weight: 2 }, port: 2200 }, { host: 'db1.example', roles: 'db' }],
    });
    expect(env.hosts.map((h) => [h.label, h.hostname, h.port, h.user, h.roles, h.labels])).toEqual([
      ['lb.example', 'lb.example', 22, 'deploy', [], {}],
      ['web01.example', 'web01.example', 2200, 'deploy', ['web'], { zone: 'eu-1', weight: '2' }],
      ['web02.example', 'web02.example', 2200, 'deploy', ['web'], { zone: 'eu-1', weight: '2' }],
      ['web03.example', 'web03.example', 2200, 'deploy', ['web'], { zone: 'eu-1', weight: '2' }],
      ['db1.example', 'db1.example', 22, 'deploy', ['db'], {}],
    ]);
    expect(env.parallel).toBe(5);
    expect(env.warnings).toEqual([]);
  });

  it('names the file, the environment, the key and the value of a bad range', () => {
    expect(failure(() => one({ host: 'web[9:1].example' })).message).toBe(
      'ecosystem.config.js: deploy.prod.host: expected a host range such as web[01:50].example.com ([9:1] starts after it ends), got "web[9:1].example" (string)',
    );
    const error = failure(() => one({ host: ['a', { host: 'web[01:x]', roles: ['web'] }] }));
    expect(error.message).toBe('ecosystem.config.js: deploy.prod.host[1].host: expected a host range such as web[01:50].example.com ([01:x] is not a range of whole numbers [start:end]), got "web[01:x]" (string)');
    expect([error.file, error.environment, error.key]).toEqual([file, 'prod', 'host[1].host']);
  });

  it('refuses a host listed twice (a range over an entry, the same login written two ways), naming both entries: it would deploy against itself, refused by its own lock', () => {
    const overlap = failure(() => one({ host: ['10.0.0.11', '10.0.0.[11:12]'] }));
    expect(overlap.message).toBe('ecosystem.config.js: deploy.prod.host[1]: expected hosts listed once each (deploy@10.0.0.11:22 is host[0] "10.0.0.11" too), got "10.0.0.[11:12]" (string)');
    expect([overlap.file, overlap.environment, overlap.key]).toEqual([file, 'prod', 'host[1]']);
    // the same user@host:port whatever the spelling: the port and user written in the string, an object's
    expect(failure(() => one({ host: ['WEB1.example', 'deploy@web1.example:22'] })).message).toContain('deploy.prod.host[1]: expected hosts listed once each (deploy@web1.example:22 is host[0] "WEB1.example" too)');
    expect(failure(() => one({ host: ['a', { host: 'web[1:2]', roles: ['web'] }, { host: 'web2', port: 22 }] })).key).toBe('host[2].host');
    // another user or port is another login: both are kept
    expect(one({ host: ['web1', 'ops@web1', 'web1:2222'] }).hosts.map((h) => `${h.user}@${h.hostname}:${h.port}`)).toEqual(['deploy@web1:22', 'ops@web1:22', 'deploy@web1:2222']);
  });

  it('refuses a port out of range or a space in a host string, naming the key, as the object form refuses its port', () => {
    const port = failure(() => one({ host: 'web[1:2]:99999' }));
    expect(port.message).toBe('ecosystem.config.js: deploy.prod.host: expected a port number from 1 to 65535 after the host\'s \':\' (web1:99999), got "web[1:2]:99999" (string)');
    expect(failure(() => one({ host: ['a', 'b:0'] })).key).toBe('host[1]');
    expect(failure(() => one({ host: [{ host: 'c:65536' }] })).key).toBe('host[0].host');
    const space = failure(() => one({ host: ['a', 'web[1:2] web3'] }));
    expect(space.message).toBe('ecosystem.config.js: deploy.prod.host[1]: expected one host name or address without spaces (list several hosts as an array), got "web[1:2] web3" (string)');
    expect(one({ host: ['web:65535', '[fe80::1]:2222'] }).hosts.map((h) => [h.hostname, h.port])).toEqual([['web', 65535], ['fe80::1', 2222]]);
  });

  it('refuses roles and labels of the wrong shape, naming the key', () => {
    expect(failure(() => one({ host: [{ host: 'a', roles: [1] }] })).message).toBe("ecosystem.config.js: deploy.prod.host[0].roles: expected an array of role names, such as ['web', 'db'], got [1] (array)");
    expect(failure(() => one({ host: [{ host: 'a', labels: ['x'] }] })).message).toBe("ecosystem.config.js: deploy.prod.host[0].labels: expected an object of label names to strings, such as { zone: 'eu-1' }, got [\"x\"] (array)");
  });

  it('keeps PM2 tolerance: other unknown keys of a host object are warned about and ignored', () => {
    expect(one({ host: [{ host: 'a[1:2]', roles: ['web'], hostname: 'x' }] }).warnings).toEqual(['ecosystem.config.js: deploy.prod.host[0]: unknown key `hostname` is ignored']);
  });
});

describe('--hosts and --roles', () => {
  const env = one({
    host: [{ host: 'web[01:12].example', roles: ['web'] }, { host: 'ops@db[1:2].example:2222', roles: ['db', 'backup'] }, 'lb.example'],
  });
  const labels = (selection: Parameters<typeof selectHosts>[1]) => selectHosts(env, selection).hosts.map((h) => h.label);

  it('globs match * and ? on the host name, case-insensitively, with or without user@ and :port', () => {
    expect(globMatch('web0?.example', 'web07.example')).toBe(true);
    expect(globMatch('web0?.example', 'web10.example')).toBe(false);
    expect(globMatch('*.EXAMPLE', 'lb.example')).toBe(true);
    expect(globMatch('web.', 'webx')).toBe(false);
    expect(labels({ hosts: ['web1?.*'] })).toEqual(['web10.example', 'web11.example', 'web12.example']);
    expect(labels({ hosts: ['db2.example'] })).toEqual(['ops@db2.example:2222']);
    expect(labels({ hosts: ['lb*', 'db1*'] })).toEqual(['ops@db1.example:2222', 'lb.example']);
  });

  it('a glob may hold ranges, as host names do; a bad one is an error naming it', () => {
    expect(labels({ hosts: ['web[01:03].example'] })).toEqual(['web01.example', 'web02.example', 'web03.example']);
    expect(labels({ hosts: ['web[10:11]*', 'db[2:2]*'] })).toEqual(['web10.example', 'web11.example', 'ops@db2.example:2222']);
    expect(failure(() => selectHosts(env, { hosts: ['web[3:1]'] })).message).toMatch(/^--hosts 'web\[3:1\]': /);
  });

  it('roles select the hosts having any of them; both selectors must match', () => {
    expect(labels({ roles: ['backup'] })).toEqual(['ops@db1.example:2222', 'ops@db2.example:2222']);
    expect(labels({ roles: ['db', 'web'] })).toHaveLength(14);
    expect(labels({ roles: ['web', 'db'], hosts: ['web01*', '*db2*', 'lb*'] })).toEqual(['web01.example', 'ops@db2.example:2222']);
    expect(labels({})).toHaveLength(15);
  });

  it('parallel never exceeds the hosts selected', () => {
    expect(selectHosts(env, { roles: ['db'] }).parallel).toBe(2);
  });

  it('a selection matching no host is an error naming the selector and the hosts available', () => {
    const error = failure(() => selectHosts(env, { hosts: ['api*'], roles: ['web'] }));
    expect(error.message).toMatch(/^--hosts 'api\*' --roles 'web' matches no host of deploy\.prod \(hosts: web01\.example \[web\], web02\.example \[web\], .* and 0 more\)$|^--hosts 'api\*' --roles 'web' matches no host of deploy\.prod \(hosts: web01\.example \[web\], .*\)$/);
    expect(error.message).toContain('ops@db2.example:2222 [db,backup]');
    expect(error.message).toContain('lb.example)');
    expect(failure(() => selectHosts(env, { roles: ['cache'] })).message).toContain("--roles 'cache' matches no host of deploy.prod");
    expect(failure(() => selectHosts(env, { hosts: [] })).message).toBe("--hosts names nothing: give a comma-separated list, e.g. --hosts 'web*'");
  });

  it('lists at most 20 hosts, then how many more', () => {
    const many = one({ host: 'n[1:30]' });
    expect(failure(() => selectHosts(many, { roles: ['web'] })).message).toBe(`--roles 'web' matches no host of deploy.prod (hosts: ${Array.from({ length: 20 }, (_, i) => `n${i + 1}`).join(', ')} and 10 more)`);
  });

  it('splits comma-separated flags', () => {
    expect(splitList('web, db,,')).toEqual(['web', 'db']);
    expect(splitList(undefined)).toBeUndefined();
  });
});
