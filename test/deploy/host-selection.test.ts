// Host groups on 3 real SSH hosts: --roles and --hosts deploy, revert and exec only on the hosts
// selected (the others keep serving their release, their ledger untouched), a host range names the
// fleet, and a selection that matches no host touches nothing and exits non-zero.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execOnHost, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { createAppRepo, deploy, deployCli, environment, servingEverywhere, transcript, useFreshBundle, type AppRepo } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;

/** `10.231.7.[11:13]` when the hosts' addresses are consecutive, else the addresses themselves. */
function asRange(addresses: string[]): string | string[] {
  const parts = addresses.map((address) => /^(.*\.)(\d+)$/.exec(address));
  const first = Number(parts[0]?.[2]);
  const consecutive = parts.every((part, index) => part !== null && part[1] === parts[0]![1] && Number(part[2]) === first + index);
  return consecutive ? `${parts[0]![1]}[${first}:${first + addresses.length - 1}]` : addresses;
}

/** What a host serves and has recorded: the current link, the release dirs, the ledger, .pmx's files. */
async function stateOf(host: TestHost, path = '/srv/app'): Promise<string> {
  const cmd = `cd ${path} && readlink current; ls -A releases shared .pmx; cat .pmx/revisions.log; find . -newer .pmx -maxdepth 2 | sort`;
  return (await execOnHost(host, cmd)).stdout;
}

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 3, name: 'deploy-select' });
  hosts = env.hosts;
  app = createAppRepo(env, (origin) => ({
    production: environment(env, hosts, origin, {
      strategy: 'release',
      host: [
        { host: hosts[0]!.address, roles: ['web'], labels: { zone: 'a' } },
        { host: hosts[1]!.address, roles: ['web'] },
        { host: hosts[2]!.address, roles: ['worker'] },
      ],
    }),
    ranged: environment(env, hosts, origin, { strategy: 'release', host: asRange(hosts.map((host) => host.address)) }),
    // host 1 written alone, then again inside a range over every host
    overlap: environment(env, hosts, origin, { strategy: 'release', host: [hosts[0]!.address, ...[asRange(hosts.map((host) => host.address))].flat()] }),
  }));
  const setup = await deploy({ file: app.file, envName: 'production', command: 'setup' });
  expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done', 'done']);
}, 90_000);
afterAll(async () => {
  if (env) await stopHosts(env);
});

describe('--hosts and --roles on real hosts', () => {
  it('a host range reaches every host of the range', async () => {
    const run = await deploy({ file: app.file, envName: 'ranged', command: 'deploy' });
    expect(run.outcomes.map((o) => [o.host, o.status]), transcript(run)).toEqual(hosts.map((host) => [host.address, 'deployed']));
    expect((await servingEverywhere(hosts, 'v1')).map((a) => a.version)).toEqual(['v1', 'v1', 'v1']);
  }, 60_000);

  it('--roles web deploys v2 to the web hosts only; the worker keeps v1, its current and its ledger untouched', async () => {
    const workerBefore = await stateOf(hosts[2]!);
    app.commit('v2');
    const run = await deploy({ file: app.file, envName: 'production', command: 'deploy', select: { roles: ['web'] } });
    expect(run.outcomes.map((o) => [o.host, o.status]), transcript(run)).toEqual([[hosts[0]!.address, 'deployed'], [hosts[1]!.address, 'deployed']]);
    await servingEverywhere(hosts.slice(0, 2), 'v2');
    expect((await servingEverywhere(hosts, 'never', 0)).map((a) => a.version)).toEqual(['v2', 'v2', 'v1']);
    expect(await stateOf(hosts[2]!)).toBe(workerBefore);
  }, 60_000);

  it('pmx deploy --hosts <glob> deploys v3 to the matching host only, and revert --roles worker takes it back alone', async () => {
    app.commit('v3');
    const glob = `*${hosts[2]!.address.slice(-3)}`;
    const webBefore = await Promise.all(hosts.slice(0, 2).map((host) => stateOf(host)));
    const cli = await deployCli(['production'], { hosts: glob }, app.dir);
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toContain(hosts[2]!.address);
    expect(cli.stdout).not.toContain(hosts[0]!.address);
    // with no health check a deploy does not wait for the app to listen: wait for host 3, then read all
    await servingEverywhere(hosts.slice(2), 'v3');
    expect((await servingEverywhere(hosts, 'never', 0)).map((a) => a.version)).toEqual(['v2', 'v2', 'v3']);
    const revert = await deploy({ file: app.file, envName: 'production', command: 'revert', steps: 1, select: { roles: ['worker'] } });
    expect(revert.outcomes.map((o) => [o.host, o.status]), transcript(revert)).toEqual([[hosts[2]!.address, 'reverted']]);
    await servingEverywhere(hosts.slice(2), 'v1');
    expect((await servingEverywhere(hosts, 'never', 0)).map((a) => a.version)).toEqual(['v2', 'v2', 'v1']);
    expect(await Promise.all(hosts.slice(0, 2).map((host) => stateOf(host)))).toEqual(webBefore);
  }, 90_000);

  it('exec --roles web runs on the web hosts only', async () => {
    const run = await deploy({ file: app.file, envName: 'production', command: 'exec', execCommand: 'hostname', select: { roles: ['web'] } });
    expect(run.outcomes.map((o) => [o.host, o.status]), transcript(run)).toEqual([[hosts[0]!.address, 'done'], [hosts[1]!.address, 'done']]);
  }, 30_000);

  it('a selection that matches no host exits 1 naming the selector and the hosts, and touches no host', async () => {
    const before = await Promise.all(hosts.map((host) => stateOf(host)));
    app.commit('v4');
    const cli = await deployCli(['production'], { roles: 'db', hosts: 'web*' }, app.dir);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toBe(
      `[PMX][ERROR] --hosts 'web*' --roles 'db' matches no host of deploy.production (hosts: ${hosts[0]!.address} [web], ${hosts[1]!.address} [web], ${hosts[2]!.address} [worker])\n`,
    );
    expect(await Promise.all(hosts.map((host) => stateOf(host)))).toEqual(before);
    expect((await servingEverywhere(hosts, 'never', 0)).map((a) => a.version)).toEqual(['v2', 'v2', 'v1']);
  }, 30_000);

  it('a host listed twice (an entry and a range over it) is refused by deploy and by --plan, naming both entries, before any host is touched', async () => {
    const before = await Promise.all(hosts.map((host) => stateOf(host)));
    // it used to deploy against itself: refused by its own lock, while --plan exited 0
    for (const flags of [{ plan: true }, {}]) {
      const cli = await deployCli(['overlap'], flags, app.dir);
      expect(cli.code, JSON.stringify(flags)).toBe(1);
      expect(cli.stdout).toBe('');
      expect(cli.stderr).toContain(`deploy.overlap.host[1]: expected hosts listed once each (deploy@${hosts[0]!.address}:22 is host[0] "${hosts[0]!.address}" too)`);
    }
    expect(await Promise.all(hosts.map((host) => stateOf(host)))).toEqual(before);
  }, 30_000);
});
