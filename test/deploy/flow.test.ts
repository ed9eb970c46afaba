// The whole deploy flow on 3 real SSH hosts: setup, deploys, reverts, list/curr/prev, exec, both
// strategies; each host's app is fetched over HTTP to prove which release serves.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HostHistory } from '../../cli/deploy/revisions.js';
import { execOnHost, readHostFile, sshExec, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { createAppRepo, useFreshBundle, deploy, deployCli, environment, servingEverywhere, transcript, type AppRepo } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 3, name: 'deploy-flow' });
  hosts = env.hosts;
  app = createAppRepo(env, (origin) => ({
    production: environment(env, hosts, origin, { strategy: 'release', keep_releases: 3 }),
    git: environment(env, hosts, origin, {
      strategy: 'git',
      path: '/srv/app-git',
      'pre-deploy': 'echo "building $(cat VERSION) in $(pwd) on $(hostname)"; echo "RELEASE=$RELEASE PREVIOUS_RELEASE=$PREVIOUS_RELEASE SHARED=$SHARED API_URL=$API_URL"; echo seen >> data/builds',
      env: { api_url: 'http://api.internal' },
      shared_dirs: ['data'],
      shared_files: ['config.json'],
    }),
    legacy: environment(env, hosts, origin, { strategy: 'git', path: '/srv/legacy' }),
    skewed: environment(env, hosts.slice(0, 1), origin, { strategy: 'release', path: '/srv/skewed', 'post-deploy': 'true' }),
  }));
}, 60_000);
afterAll(async () => {
  if (env) await stopHosts(env);
});

describe('pmx deploy on 3 hosts', () => {
  it('startup reports per host: a user without root or passwordless sudo gets the exact command', async () => {
    await deploy({ file: app.file, envName: 'production', command: 'setup' });
    const run = await deploy({ file: app.file, envName: 'production', command: 'startup' });
    expect(run.outcomes.map((o) => o.status)).toEqual(['failed', 'failed', 'failed']);
    expect(run.outcomes[0]!.message).toBe(`${hosts[0]!.address}: deploy is not root and sudo asks for a password; run this on the host: sudo env PATH="$PATH:/home/deploy/.pmx/bin" /home/deploy/.pmx/bin/pmx startup -u deploy --hp /home/deploy`);
  }, 30_000);

  it('setup installs pmx on each host and lays out the path', async () => {
    const run = await deploy({ file: app.file, envName: 'production', command: 'setup' });
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['done', 'done', 'done']);
    for (const host of hosts) {
      const ls = await execOnHost(host, 'ls -A /srv/app /srv/app/shared; ls /home/deploy/.pmx/bin; head -1 /home/deploy/.bashrc');
      expect(ls.stdout).toContain('releases');
      expect(ls.stdout).toContain('# >>> pmx: the pmx launcher on PATH,');
      // a plain `ssh host pmx ...` finds the launcher through the lines setup put in .bashrc
      expect((await sshExec(host, 'command -v pmx')).stdout.trim()).toBe('/home/deploy/.pmx/bin/pmx');
    }
  }, 60_000);

  it('deploy publishes v1 on every host and the app serves it', async () => {
    const run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['deployed', 'deployed', 'deployed']);
    const answers = await servingEverywhere(hosts, 'v1');
    expect(answers.map((a) => a.version)).toEqual(['v1', 'v1', 'v1']);
    expect(answers.map((a) => a.host)).toEqual(['h1', 'h2', 'h3']);
    const release = run.outcomes[0]!.release!;
    expect(answers.every((a) => a.dir === `/srv/app/releases/${release}`)).toBe(true);
    expect(await readHostFile(hosts[0]!, `/srv/app/releases/${release}/REVISION`)).toBe(`${run.outcomes[0]!.sha}\n`);
  }, 60_000);

  const shas: Record<string, string> = {};
  const releases: Record<string, string> = {};

  it('a second deploy publishes v2 everywhere; v1 stays on disk as the previous release', async () => {
    releases.v1 = (await deploy({ file: app.file, envName: 'production', command: 'curr' })).outcomes[0]!.release!;
    shas.v2 = app.commit('v2');
    const run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['deployed', 'deployed', 'deployed']);
    expect(run.outcomes.map((o) => o.sha)).toEqual([shas.v2, shas.v2, shas.v2]);
    expect(run.outcomes.map((o) => o.previous)).toEqual([releases.v1, releases.v1, releases.v1]);
    releases.v2 = run.outcomes[0]!.release!;
    expect(new Set(run.outcomes.map((o) => o.release)).size).toBe(1); // one release name on the whole fleet
    expect((await servingEverywhere(hosts, 'v2')).map((a) => a.version)).toEqual(['v2', 'v2', 'v2']);
  }, 60_000);

  it('revert 1 switches back to v1 with no fetch and no build, and the app serves v1', async () => {
    const run = await deploy({ file: app.file, envName: 'production', command: 'revert', steps: 1 });
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['reverted', 'reverted', 'reverted']);
    expect(run.outcomes.map((o) => o.release)).toEqual([releases.v1, releases.v1, releases.v1]);
    const phases = new Set(run.events.flatMap((e) => (e.kind === 'phase-start' ? [e.phase] : [])));
    expect(phases.has('fetch')).toBe(false);
    expect(phases.has('create release')).toBe(false);
    expect((await servingEverywhere(hosts, 'v1')).map((a) => a.dir)).toEqual(hosts.map(() => `/srv/app/releases/${releases.v1}`));
  }, 60_000);

  it('revert 2 goes two successful releases back from current', async () => {
    shas.v3 = app.commit('v3');
    const v3 = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    expect(v3.outcomes.map((o) => o.status), transcript(v3)).toEqual(['deployed', 'deployed', 'deployed']);
    releases.v3 = v3.outcomes[0]!.release!;
    await servingEverywhere(hosts, 'v3');
    const run = await deploy({ file: app.file, envName: 'production', command: 'revert', steps: 2 });
    expect(run.outcomes.map((o) => o.release), transcript(run)).toEqual([releases.v1, releases.v1, releases.v1]);
    expect((await servingEverywhere(hosts, 'v1')).map((a) => a.version)).toEqual(['v1', 'v1', 'v1']);
  }, 60_000);

  it('revert refuses for the whole fleet when it has no release that far back, naming each host state, and nothing switches', async () => {
    const run = await deploy({ file: app.file, envName: 'production', command: 'revert', steps: 5 });
    for (const o of run.outcomes) {
      expect([o.status, o.message], transcript(run)).toEqual(['cancelled', expect.stringContaining(`not published: cannot go back 5: the fleet is on ${releases.v1} and has no release before it`)]);
      expect([o.release, o.readBack]).toEqual([releases.v1, true]);
    }
    expect(run.outcomes[0]!.message).toContain(`${hosts[2]!.address} on ${releases.v1} (also has ${releases.v2}, ${releases.v3})`);
    expect((await servingEverywhere(hosts, 'v1')).map((a) => a.version)).toEqual(['v1', 'v1', 'v1']);
  }, 30_000);

  it('list, curr and prev read each host: releases oldest first, current marked', async () => {
    const list = await deploy({ file: app.file, envName: 'production', command: 'list' });
    for (const outcome of list.outcomes) {
      const history = outcome.data as HostHistory;
      expect(history.releases.map((r) => r.name)).toEqual([releases.v1, releases.v2, releases.v3]);
      expect(history.releases.map((r) => r.current)).toEqual([true, false, false]);
      expect(history.releases[1]!.sha).toBe(shas.v2);
    }
    const curr = await deploy({ file: app.file, envName: 'production', command: 'curr' });
    expect(curr.outcomes.map((o) => o.release)).toEqual([releases.v1, releases.v1, releases.v1]);
    const prev = await deploy({ file: app.file, envName: 'production', command: 'prev' });
    expect(prev.outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done']);
  }, 30_000);

  it('pmx deploy <file> <env> list prints each host, plain lines off a terminal; --json for machines', async () => {
    const listed = await deployCli(['ecosystem.config.js', 'production', 'list'], {}, app.dir);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`[${hosts[0]!.address}] check`);
    expect(listed.stdout).toContain(`all 3 hosts (${hosts.map((h) => h.address).join(', ')}) have the same releases:`);
    expect(listed.stdout).toMatch(new RegExp(`\\* +${releases.v1} +[0-9a-f]{7} +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ +origin/main +\\S+@\\S+ +ok`));
    expect(listed.stdout).toMatch(new RegExp(`${hosts[2]!.address}\\s+done\\s+${releases.v1}`));
    expect(listed.stdout).toContain('3 hosts: 3 done');
    const json = await deployCli(['production', 'curr'], { json: true }, app.dir); // the file found as PM2 finds it
    const document = JSON.parse(json.stdout) as { ok: boolean; hosts: { host: string; release: string }[] };
    expect(document.ok).toBe(true);
    expect(document.hosts.map((h) => h.release)).toEqual([releases.v1, releases.v1, releases.v1]);
    const refused = await deployCli(['production', 'revert', '9'], {}, app.dir);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/not published .*cannot go back 9/);
    const unknown = await deployCli(['prod'], {}, app.dir);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining("'prod' is not a deploy environment (the file's environments: production, git, legacy, skewed)")]);
  }, 30_000);

  it('exec runs a command in current on every host', async () => {
    const run = await deploy({ file: app.file, envName: 'production', command: 'exec', execCommand: 'cat VERSION; hostname' });
    expect(run.outcomes.map((o) => (o.data as { stdout: string }).stdout)).toEqual(['v1\nh1\n', 'v1\nh2\n', 'v1\nh3\n']);
    const failing = await deploy({ file: app.file, envName: 'production', command: 'exec', execCommand: 'test "$(hostname)" != h2' });
    expect(failing.outcomes.map((o) => o.status)).toEqual(['done', 'failed', 'done']);
  }, 30_000);

  it('refuses uncommitted or unpushed work as PM2 does, unless --force', async () => {
    writeFileSync(join(app.dir, 'server.js'), `${readFileSync(join(app.dir, 'server.js'), 'utf8')}// local edit\n`);
    const dirty = await deployCli(['production'], {}, app.dir);
    expect([dirty.code, dirty.stderr]).toEqual([1, expect.stringContaining('commit or stash your changes before deploying')]);
    expect(dirty.stderr).toContain('or deploy anyway with --force');
    const forced = await deployCli(['production'], { force: true }, app.dir);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'local only'], { cwd: app.dir });
    const unpushed = await deployCli(['production'], {}, app.dir);
    expect([unpushed.code, unpushed.stderr]).toEqual([1, expect.stringContaining('push your changes before deploying')]);
    execFileSync('git', ['push', '-q'], { cwd: app.dir });
  }, 30_000);

  it('keep_releases prunes the oldest releases, never current; a deploy upgrades a pmx bundle that differs', async () => {
    app.commit('v4');
    await execOnHost(hosts[1]!, "echo 0000 > /home/deploy/.pmx/bundle.sha256");
    const run = await deploy({ file: app.file, envName: 'production', command: 'deploy', parallel: 1 });
    expect(run.events.filter((e) => e.kind === 'note' && /upgraded pmx in ~\/\.pmx \(0000 -> /.test(e.message)).map((e) => (e.kind === 'note' ? e.host : ''))).toEqual([hosts[1]!.address]);
    const installed = (await readHostFile(hosts[1]!, '/home/deploy/.pmx/bundle.sha256')).trim();
    expect(installed).toMatch(/^[0-9a-f]{64}$/);
    // parallel 1: one host prepares after the other
    const starts = run.events.flatMap((e) => (e.kind === 'phase-start' && e.phase === 'check' ? [e.host] : []));
    const firstLock = run.events.findIndex((e) => e.kind === 'phase-done' && e.phase === 'lock' && e.host === hosts[0]!.address);
    const secondCheck = run.events.findIndex((e) => e.kind === 'phase-start' && e.phase === 'check' && e.host === hosts[1]!.address);
    expect(starts).toEqual(hosts.map((h) => h.address));
    expect(secondCheck).toBeGreaterThan(firstLock);
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['deployed', 'deployed', 'deployed']);
    const left = (await execOnHost(hosts[0]!, 'ls /srv/app/releases')).stdout.trim().split('\n');
    expect(left).toHaveLength(3); // keep_releases: 3; v1 (current two deploys ago) went
    expect(left).not.toContain(releases.v1);
    expect(left).toContain(run.outcomes[0]!.release);
    await servingEverywhere(hosts, 'v4');
  }, 60_000);

  it('a bundle that cannot be written fails setup on that host alone, naming the step; setup again repairs it', async () => {
    // the upload's temporary file cannot be created: the install fails, the restart after it never runs
    await execOnHost(hosts[2]!, 'mkdir /home/deploy/.pmx/pmx.cjs.pmx-new');
    try {
      const run = await deploy({ file: app.file, envName: 'production', command: 'setup' });
      const failed = run.outcomes.filter((o) => o.status === 'failed');
      expect(failed.map((o) => [o.host, o.phase]), transcript(run)).toEqual([[hosts[2]!.address, 'agent']]);
      expect(failed[0]!.message).toMatch(/installing the pmx bundle in ~\/\.pmx failed \(exit 1\): .*Is a directory/);
    } finally {
      await execOnHost(hosts[2]!, 'rmdir /home/deploy/.pmx/pmx.cjs.pmx-new');
    }
    const again = await deploy({ file: app.file, envName: 'production', command: 'setup' });
    expect(again.outcomes.map((o) => o.status), transcript(again)).toEqual(['done', 'done', 'done']);
  }, 60_000);

  it('the git strategy fetches on each host into repo/ and exports the commit; hooks run in the release', async () => {
    const setup = await deploy({ file: app.file, envName: 'git', command: 'setup' });
    expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done', 'done']);
    const missing = await deploy({ file: app.file, envName: 'git', command: 'deploy' });
    // the first host to fail stops the slower ones at their next phase
    for (const o of missing.outcomes) expect(o.status === 'cancelled' || (o.status === 'failed' && o.phase === 'link shared'), transcript(missing)).toBe(true);
    expect(missing.outcomes.find((o) => o.status === 'failed')!.message).toContain('shared file /srv/app-git/shared/config.json does not exist and the release has no config.json to start it from: create it on the host');
    app.commit('v5', { 'config.json': '{ "seeded": true }\n' });
    const run = await deploy({ file: app.file, envName: 'git', command: 'deploy' });
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['deployed', 'deployed', 'deployed']);
    const release = run.outcomes[0]!.release!;
    const lines = run.events.flatMap((e) => (e.kind === 'output' && e.phase === 'pre-deploy' ? [`${e.host} ${e.line}`] : []));
    expect(lines).toContain(`${hosts[1]!.address} building v5 in /srv/app-git/releases/${release} on h2`);
    expect(lines).toContain(`${hosts[1]!.address} RELEASE=/srv/app-git/releases/${release} PREVIOUS_RELEASE= SHARED=/srv/app-git/shared API_URL=http://api.internal`);
    // shared_dirs and shared_files: in shared/, linked into the release (config.json seeded from the release)
    expect((await execOnHost(hosts[0]!, `readlink /srv/app-git/releases/${release}/data /srv/app-git/releases/${release}/config.json; cat /srv/app-git/shared/data/builds`)).stdout).toBe('/srv/app-git/shared/data\n/srv/app-git/shared/config.json\nseen\n');
    const again = await deploy({ file: app.file, envName: 'git', command: 'deploy' });
    const second = again.events.flatMap((e) => (e.kind === 'output' && e.phase === 'pre-deploy' && e.host === hosts[0]!.address ? [e.line] : []));
    expect(second).toContain(`RELEASE=/srv/app-git/releases/${again.outcomes[0]!.release} PREVIOUS_RELEASE=/srv/app-git/releases/${release} SHARED=/srv/app-git/shared API_URL=http://api.internal`);
    expect((await readHostFile(hosts[0]!, '/srv/app-git/shared/data/builds'))).toBe('seen\nseen\n');
    expect((await servingEverywhere(hosts, 'v5')).map((a) => a.dir)).toEqual(hosts.map(() => `/srv/app-git/releases/${again.outcomes[0]!.release}`));
    expect((await execOnHost(hosts[0]!, 'test -d /srv/app-git/repo/objects && echo mirror')).stdout).toBe('mirror\n');
    const log = await readHostFile(hosts[0]!, `/srv/app-git/.pmx/logs/${release}.log`);
    expect(log).toContain(`building v5 in /srv/app-git/releases/${release} on h1`);
  }, 60_000);

  it("takes over a path PM2 deployed: source/ and .deploys kept, revert can go back to PM2's checkout", async () => {
    for (const host of hosts) {
      const pm2 = `git clone -q -b main file://${app.origin} /srv/legacy/source && git -C /srv/legacy/source checkout -q HEAD~1 && ln -sfn /srv/legacy/source /srv/legacy/current && git -C /srv/legacy/source rev-parse --short HEAD > /srv/legacy/.deploys`;
      expect((await sshExec(host, pm2)).code).toBe(0);
    }
    const setup = await deploy({ file: app.file, envName: 'legacy', command: 'setup' });
    expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done', 'done']);
    const run = await deploy({ file: app.file, envName: 'legacy', command: 'deploy' });
    expect(run.outcomes.map((o) => [o.status, o.previous]), transcript(run)).toEqual(hosts.map(() => ['deployed', 'source']));
    await servingEverywhere(hosts, 'v5');
    const list = await deploy({ file: app.file, envName: 'legacy', command: 'list' });
    const history = list.outcomes[0]!.data as HostHistory;
    expect(history.releases.map((r) => r.name)).toEqual(['source', run.outcomes[0]!.release]);
    expect(history.pm2Deploys).toHaveLength(1);
    const back = await deploy({ file: app.file, envName: 'legacy', command: 'revert', steps: 1 });
    expect(back.outcomes.map((o) => o.release), transcript(back)).toEqual(['source', 'source', 'source']);
    expect((await servingEverywhere(hosts, 'v4')).map((a) => a.dir)).toEqual(hosts.map(() => '/srv/legacy/source'));
  }, 60_000);

  it("a deploy from a machine whose clock is two days behind is the newest all the same: list shows it first and revert 1 goes to the release before it", async () => {
    const host = hosts[0]!;
    const step = async (command: 'setup' | 'deploy' | 'revert', status: string): Promise<string> => {
      const run = await deploy({ file: app.file, envName: 'skewed', command, steps: 1 });
      expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual([status]);
      return run.outcomes[0]!.release!;
    };
    await step('setup', 'done');
    const first = await step('deploy', 'deployed');
    app.commit('v-skewed');
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() - 2 * 86_400_000);
    let late: string;
    try {
      late = await step('deploy', 'deployed');
    } finally {
      vi.useRealTimers();
    }
    // the later deploy's name says an earlier time
    expect(late < first).toBe(true);
    const list = await deploy({ file: app.file, envName: 'skewed', command: 'list' });
    expect((list.outcomes[0]!.data as HostHistory).ledger!.map((e) => [e.release, e.current])).toEqual([[late, true], [first, false]]);
    expect(await step('revert', 'reverted')).toBe(first);
    expect((await execOnHost(host, 'readlink /srv/skewed/current')).stdout.trim()).toBe(`releases/${first}`);
  }, 60_000);
});
