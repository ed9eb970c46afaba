// A PM2 user's deploy section, unchanged, on a real SSH host: where `pm2 deploy` (PM2 7.0.4, its
// pm2-deploy script) gives the hooks a meaning, `pmx deploy` gives them the same one.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { createAppRepo, deploy, deployCli, environment, servingEverywhere, transcript, useFreshBundle, type AppRepo } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;

/** A script of the repository that says which release's copy runs and with which arguments. */
const POST_DEPLOY_SCRIPT = '#!/bin/sh\necho "post-deploy script of $(cat VERSION) got: $*"\n';

/** A local pre-setup script without a shebang that needs bash, which PM2 feeds to `bash -s` (the hosts' sh is dash). */
const PRE_SETUP_SCRIPT = '[[ -n $BASH_VERSION ]] && echo "pre-setup script ran under bash"\n';

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 1, name: 'pm2-section' });
  hosts = env.hosts;
  app = createAppRepo(env, (origin) => ({
    // no post-deploy: PM2 runs `pm2 startOrRestart <file> --env <env>` in its place
    production: environment(env, hosts, origin, { strategy: 'release', 'post-deploy': undefined }),
    scripted: environment(env, hosts, origin, { strategy: 'release', path: '/srv/scripted', 'post-deploy': './hooks/post-deploy.sh production && echo after the script' }),
    prepared: environment(env, hosts, origin, { strategy: 'release', path: '/srv/prepared', 'pre-setup': 'hooks/pre-setup.sh' }),
  }));
  app.commit('v1', { 'hooks/post-deploy.sh': POST_DEPLOY_SCRIPT, 'hooks/pre-setup.sh': PRE_SETUP_SCRIPT });
  chmodSync(join(app.dir, 'hooks/post-deploy.sh'), 0o755);
  app.commit('v1');
}, 90_000);
afterAll(async () => {
  if (env) await stopHosts(env);
});

describe("a PM2 deploy section's hooks", () => {
  it('an environment without post-deploy starts the apps on the new release and restarts them on the release a revert goes back to, as PM2 does', async () => {
    const words = async (...args: string[]): Promise<void> => {
      const run = await deployCli(['production', ...args], {}, app.dir);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    };
    await words('setup');
    await words();
    expect((await servingEverywhere(hosts, 'v1')).map((answer) => answer.version)).toEqual(['v1']);
    app.commit('v2');
    await words();
    expect((await servingEverywhere(hosts, 'v2')).map((answer) => answer.version)).toEqual(['v2']);
    await words('revert', '1');
    expect((await servingEverywhere(hosts, 'v1')).map((answer) => answer.version)).toEqual(['v1']);
  }, 120_000);

  it("a post-deploy that names a script of the repository runs the release's script on the host, with its arguments and what follows it, as PM2 does", async () => {
    app.commit('v3');
    for (const command of ['setup', 'deploy'] as const) {
      const run = await deploy({ file: app.file, envName: 'scripted', command });
      expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual([command === 'setup' ? 'done' : 'deployed']);
      if (command === 'setup') continue;
      const lines = transcript(run).split('\n');
      expect(lines).toContain(`${hosts[0]!.address} post-deploy | post-deploy script of v3 got: production`);
      expect(lines).toContain(`${hosts[0]!.address} post-deploy | after the script`);
    }
  }, 90_000);

  it('a pre-setup naming a local script without a shebang feeds it to bash on the host, as PM2 does', async () => {
    const run = await deploy({ file: app.file, envName: 'prepared', command: 'setup' });
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['done']);
    expect(transcript(run).split('\n')).toContain(`${hosts[0]!.address} pre-setup | pre-setup script ran under bash`);
  }, 60_000);
});
