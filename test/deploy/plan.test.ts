// `pmx deploy <env> [setup | revert n] --plan` on 2 real SSH hosts: per host, the phases and the
// very commands the run would send (compared with the builders' output), and no host changes:
// nothing created, no release, no lock, no ledger line, the app still serving what it served.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitExportCommand, gitFetchCommand, layoutCommand, linkSharedCommand, publishCommand } from '../../cli/deploy/commands.js';
import { remotePaths } from '../../cli/deploy/remote-paths.js';
import { quote } from '../../cli/transport/quote.js';
import { execOnHost, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { createAppRepo, deploy, deployCli, environment, servingEverywhere, transcript, useFreshBundle, type AppRepo } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
const paths = remotePaths('/srv/app');
/** Made by the pre-deploy-local hook (outside the repository, which must stay clean). */
const marker = join(mkdtempSync(join(tmpdir(), 'pmx-plan-')), 'local-hook-ran');

interface PlanDocument {
  ok: boolean;
  plan: true;
  local: { phase: string; commands: string[] }[];
  hosts: { host: string; ok: boolean; current: string | null; release: string | null; phases: { phase: string; commands: string[]; failed: string | null }[] }[];
}

/** Everything a run could change on a host: the deploy path (names, link targets, sizes, times), the ledger, the lock owner, ~/.pmx's top level. */
async function snapshot(host: TestHost): Promise<string> {
  // a named pipe's time changes as its app writes (its output, its metrics): its name is what counts
  const cmd = 'find /srv /home/deploy/.pmx -maxdepth 3 -not -path "*/.pmx/logs*" \\( -type p -printf "%p fifo\\n" -o -printf "%p %l %s %T@\\n" \\) 2>/dev/null | sort; cat /srv/app/.pmx/revisions.log /srv/app/.pmx/lock.json 2>/dev/null; true';
  return (await execOnHost(host, cmd)).stdout;
}

const plan = async (args: string[]): Promise<PlanDocument> => {
  const run = await deployCli(args, { plan: true, json: true }, app.dir);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return JSON.parse(run.stdout) as PlanDocument;
};

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 2, name: 'deploy-plan' });
  hosts = env.hosts;
  app = createAppRepo(env, (origin) => ({
    production: environment(env, hosts, origin, { strategy: 'release', 'pre-deploy-local': `touch ${marker}`, 'pre-setup': 'touch /srv/pre-setup-ran' }),
    git: environment(env, hosts, origin, { strategy: 'git', path: '/srv/app-git', shared_dirs: ['data'] }),
  }));
}, 60_000);
afterAll(async () => {
  rmSync(dirname(marker), { recursive: true, force: true });
  if (env) await stopHosts(env);
});

describe('--plan on real hosts', () => {
  it('setup --plan lists the layout and agent commands per host and creates nothing', async () => {
    const before = await Promise.all(hosts.map(snapshot));
    const doc = await plan(['production', 'setup']);
    expect(doc.hosts.map((h) => [h.host, h.ok])).toEqual(hosts.map((h) => [h.address, true]));
    for (const host of doc.hosts) {
      expect(host.phases.map((p) => p.phase)).toEqual(['check', 'pre-setup', 'layout', 'lock', 'agent']);
      expect(host.phases[0]!.commands).toEqual([]);
      expect(host.phases.find((p) => p.phase === 'layout')!.commands[0]).toBe(`mkdir -p ${quote(paths.base)} && ${layoutCommand(paths)}`);
      expect(host.phases.find((p) => p.phase === 'pre-setup')!.commands[0]).toContain('touch /srv/pre-setup-ran');
    }
    expect(await Promise.all(hosts.map(snapshot))).toEqual(before);
    expect((await execOnHost(hosts[0]!, 'test -e /srv/app || test -e /srv/pre-setup-ran; echo $?')).stdout.trim()).toBe('1');
  }, 30_000);

  it('deploy --plan prints per host the phases and the commands of the run, and changes nothing on any host', async () => {
    const setup = await deploy({ file: app.file, envName: 'production', command: 'setup' });
    expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done']);
    const first = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    expect(first.outcomes.map((o) => o.status), transcript(first)).toEqual(['deployed', 'deployed']);
    await servingEverywhere(hosts, 'v1');
    const sha = app.commit('v2');
    rmSync(marker); // the real deploy ran the local hook; the plan must not
    const before = await Promise.all(hosts.map(snapshot));

    const doc = await plan(['production']);
    // the release strategy's archive is made on this machine (fetch), the local hook is not run
    expect(doc.local).toEqual([{ phase: 'pre-deploy-local', commands: [`touch ${marker}`], failed: null }, { phase: 'fetch', commands: [], failed: null }]);
    expect(existsSync(marker)).toBe(false);
    for (const host of doc.hosts) {
      expect(host.current).toBe(first.outcomes[0]!.release);
      expect(host.release).toMatch(new RegExp(`-${sha.slice(0, 7)}$`));
      expect(host.phases.map((p) => p.phase)).toEqual(['check', 'lock', 'fetch', 'create release', 'publish', 'post-deploy', 'finish']);
      expect(host.phases.find((p) => p.phase === 'publish')!.commands).toEqual([publishCommand(paths, host.release!)]);
      expect(host.phases.find((p) => p.phase === 'post-deploy')!.commands[0]).toContain('pmx startOrReload ecosystem.config.js --env production');
      expect(host.phases.find((p) => p.phase === 'lock')!.commands[0]).toContain('flock -n 9');
    }
    expect(await Promise.all(hosts.map(snapshot))).toEqual(before);
    expect((await servingEverywhere(hosts, 'v1', 0)).map((a) => a.version)).toEqual(['v1', 'v1']);

    const text = await deployCli(['production'], { plan: true }, app.dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`plan of pmx deploy production deploy: 2 hosts; nothing was changed (read-only checks ran)`);
    for (const host of hosts) expect(text.stdout).toContain(`${host.address} (deploy@${host.address}:22): ${first.outcomes[0]!.release} -> `);
    const release = /-> (\S+)\n/.exec(text.stdout)?.[1] ?? 'none'; // this run's own release name (another time than the JSON run's)
    expect(release).toMatch(new RegExp(`-${sha.slice(0, 7)}$`));
    expect(text.stdout).toContain(`  check (changes nothing)\n  lock\n    $ `);
    expect(text.stdout).toContain(`  publish\n    $ ${publishCommand(paths, release)}\n  post-deploy\n    $ `);
    expect(await Promise.all(hosts.map(snapshot))).toEqual(before);
  }, 90_000);

  it('revert 1 --plan names the release each host would go back to, and switches nothing', async () => {
    const second = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    expect(second.outcomes.map((o) => o.status), transcript(second)).toEqual(['deployed', 'deployed']);
    await servingEverywhere(hosts, 'v2');
    const before = await Promise.all(hosts.map(snapshot));
    const doc = await plan(['production', 'revert', '1']);
    for (const host of doc.hosts) {
      expect([host.current, host.release]).toEqual([second.outcomes[0]!.release, second.outcomes[0]!.previous]);
      expect(host.phases.map((p) => p.phase)).toEqual(['check', 'lock', 'select release', 'publish', 'post-deploy', 'finish']);
      expect(host.phases.find((p) => p.phase === 'publish')!.commands).toEqual([publishCommand(paths, second.outcomes[0]!.previous!)]);
    }
    expect(await Promise.all(hosts.map(snapshot))).toEqual(before);
    expect((await servingEverywhere(hosts, 'v2', 0)).map((a) => a.version)).toEqual(['v2', 'v2']);
  }, 60_000);

  it('--plan with a ramp (--rolling) shows the batches in publishing order, in text and JSON, and changes nothing', async () => {
    const before = await Promise.all(hosts.map(snapshot));
    const text = await deployCli(['production'], { plan: true, rolling: '1,100%' }, app.dir);
    expect(text.code, text.stdout).toBe(0);
    expect(text.stdout).toContain(`ramp (steps 1, 100%, max_fail 0: 0 hosts may fail): 2 batches, each publishing after the one before passed\n  batch 1/2: ${hosts[0]!.address}\n  batch 2/2: ${hosts[1]!.address}\n`);
    const json = await deployCli(['production'], { plan: true, json: true, rolling: '50%' }, app.dir);
    expect((JSON.parse(json.stdout) as { batches: unknown }).batches).toEqual([{ batch: 1, hosts: [hosts[0]!.address], holdMs: 0 }, { batch: 2, hosts: [hosts[1]!.address], holdMs: 0 }]);
    expect(await Promise.all(hosts.map(snapshot))).toEqual(before);
    const refused = await deployCli(['production'], { plan: true, rolling: '2,1' }, app.dir);
    expect([refused.code, refused.stderr.trim()]).toEqual([1, "[PMX][ERROR] --rolling: expected a cumulative step beyond the one before (2): each step counts every host live after it, got '2,1'"]);
  }, 60_000);

  it('with the git strategy the plan names the fetch each host would run and the commit the ref is here, and the mirror is not fetched', async () => {
    const setup = await deploy({ file: app.file, envName: 'git', command: 'setup' });
    expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done']);
    const sha = app.commit('v3');
    const before = await Promise.all(hosts.map(snapshot));
    const doc = await plan(['git']);
    const git = remotePaths('/srv/app-git');
    for (const host of doc.hosts) {
      expect([host.current, host.release]).toEqual([null, expect.stringMatching(new RegExp(`-${sha.slice(0, 7)}$`))]);
      expect(host.phases.map((p) => [p.phase, p.commands])).toEqual([
        ['check', []],
        ['lock', [expect.stringContaining('flock -n 9')]],
        ['fetch', [gitFetchCommand(git, `file://${app.origin}`, 'origin/main', false)]],
        ['create release', [gitExportCommand(git, host.release!, sha)]],
        ['link shared', [linkSharedCommand(git, host.release!, ['data'], [])]],
        ['publish', [publishCommand(git, host.release!)]],
        ['post-deploy', [expect.stringContaining('pmx startOrReload')]],
        ['finish', [expect.stringContaining('/srv/app-git/.pmx/revisions.log')]],
      ]);
    }
    expect(await Promise.all(hosts.map(snapshot))).toEqual(before);
  }, 60_000);

  it('--plan with --roles/--hosts plans only the selected hosts; --plan of another command is refused', async () => {
    const none = await deployCli(['production'], { plan: true, roles: 'db' }, app.dir);
    expect([none.code, none.stdout]).toEqual([1, '']);
    expect(none.stderr).toContain("--roles 'db' matches no host of deploy.production");
    const one = await deployCli(['production'], { plan: true, json: true, hosts: hosts[1]!.address }, app.dir);
    expect(one.code, one.stderr).toBe(0);
    expect((JSON.parse(one.stdout) as PlanDocument).hosts.map((h) => h.host)).toEqual([hosts[1]!.address]);
    const exec = await deployCli(['production', 'exec', 'hostname'], { plan: true }, app.dir);
    expect([exec.code, exec.stderr]).toEqual([1, '[PMX][ERROR] --plan shows what deploy, setup and revert would do, not exec: pmx deploy production [setup | revert [n]] --plan\n']);
  }, 30_000);
});
