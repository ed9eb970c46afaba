// A deploy `env` that sets PATH, on a real SSH host where no pmx agent runs yet: PATH is the
// user's, for their hooks and app; pmx's own commands around a hook (mkdir, tee, the mask's node),
// its launcher and the agent the hook's `pmx` starts (flock, mkfifo) must not depend on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execOnHost, readHostFile, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { createAppRepo, deploy, environment, servingEverywhere, transcript, useFreshBundle, type AppRepo } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 1, name: 'path-env' });
  hosts = env.hosts;
  app = createAppRepo(env, (origin) => ({
    production: environment(env, hosts, origin, {
      strategy: 'release',
      env: { PATH: '/nonexistent' },
      // a secret, so that the hook's output goes through the mask's filter (node) too
      secrets: { TOKEN: 'echo token-value-1234' },
      'post-deploy': 'echo "hook path=$PATH"; pmx startOrReload ecosystem.config.js --env production',
    }),
    // PM2's way of adding a directory: its unquoted export expands $PATH on the host
    extended: environment(env, hosts, origin, {
      strategy: 'release',
      env: { PATH: '/opt/tools/bin:$PATH' },
      'pre-deploy-local': 'echo "local path=$PATH"',
      'post-deploy': 'echo "hook path=$PATH"; command -v tar && pmx startOrReload ecosystem.config.js --env production',
    }),
  }));
  const setup = await deploy({ file: app.file, envName: 'production', command: 'setup' });
  expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done']);
}, 90_000);
afterAll(async () => {
  if (env) await stopHosts(env);
});

describe('a deploy env with PATH set', () => {
  it("deploys with PATH naming no system directory: the hook gets the user's PATH after the pmx launcher, its pmx starts the agent, the app serves", async () => {
    const host = hosts[0]!;
    expect((await execOnHost(host, 'test -e /home/deploy/.pmx/agent.pid && echo running || echo none')).stdout.trim()).toBe('none');
    const run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['deployed']);
    expect(transcript(run)).toContain('post-deploy | hook path=/home/deploy/.pmx/bin:/nonexistent');
    // the hook's startOrReload returns once the app runs, which may be before it listens
    expect((await servingEverywhere([host], 'v1')).map((answer) => answer.version)).toEqual(['v1']);
    const ledger = JSON.parse((await readHostFile(host, '/srv/app/.pmx/revisions.log')).trim().split('\n').at(-1)!) as { result: string };
    expect(ledger.result).toBe('success');
  }, 60_000);

  it("PATH: '/opt/tools/bin:$PATH' expands $PATH, on the hosts and in pre-deploy-local, as PM2's export does", async () => {
    const run = await deploy({ file: app.file, envName: 'extended', command: 'deploy' });
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['deployed']);
    const lines = transcript(run).split('\n');
    const hook = lines.find((line) => line.includes('post-deploy | hook path='))!;
    expect(hook).toMatch(/hook path=\/home\/deploy\/\.pmx\/bin:\/opt\/tools\/bin:\/\S*\/usr\/bin/);
    expect(hook).not.toContain('$PATH');
    expect(lines.find((line) => line.includes('pre-deploy-local | local path='))).toContain(`local path=/opt/tools/bin:${process.env.PATH}`);
  }, 60_000);
});
