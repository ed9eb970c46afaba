// `healthcheck: { app }` on 2 real SSH hosts: after publish and post-deploy, each host's own agent
// is asked (pmx jlist) until every instance of the app is online and its own `health` probe passed.
// A host whose new release never passes goes back to the previous release, and the summary names
// the host and the app; an app the host does not run fails at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execOnHost, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { APP_PORT, createAppRepo, deploy, environment, served, servingEverywhere, transcript, useFreshBundle, type AppRepo } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
// restart, not reload: a reload waits for the new instance's probe itself (and fails post-deploy),
// while here the deploy's health check must be what finds the new release unhealthy
const RESTART = 'pmx startOrRestart ecosystem.config.js --env production';
const WAIT = { retries: 6, interval: '250ms', timeout: '5s' };

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 2, name: 'deploy-app-health' });
  hosts = env.hosts;
  app = createAppRepo(
    env,
    (origin) => ({
      probed: environment(env, hosts, origin, { strategy: 'release', 'post-deploy': RESTART, healthcheck: { app: 'web', ...WAIT } }),
      elsewhere: environment(env, hosts, origin, { strategy: 'release', 'post-deploy': RESTART, healthcheck: { app: 'api', ...WAIT } }),
    }),
    // the app's own probe, run by each host's agent: /health answers 500 once /srv/unhealthy-<version> exists there;
    // failures high enough that the agent does not restart it meanwhile: its state stays the probe's
    { health: { http: `http://127.0.0.1:${APP_PORT}/health`, interval: '250ms', timeout: '1s', failures: 1000 } },
  );
  const setup = await deploy({ file: app.file, envName: 'probed', command: 'setup' });
  expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done']);
  const first = await deploy({ file: app.file, envName: 'probed', command: 'deploy' });
  expect(first.outcomes.map((o) => o.status), transcript(first)).toEqual(['deployed', 'deployed']);
}, 120_000);
afterAll(async () => {
  if (env) await stopHosts(env);
});

describe("a deploy health check that waits for the app's own probe", () => {
  it('passes where the probe passes and rolls back the host whose new release never passes, naming host and app', async () => {
    app.commit('v2');
    await execOnHost(hosts[1]!, 'touch /srv/unhealthy-v2');
    const run = await deploy({ file: app.file, envName: 'probed', command: 'deploy' });
    const [good, sick] = [run.byHost[hosts[0]!.address]!, run.byHost[hosts[1]!.address]!];
    expect([good.status, sick.status], transcript(run)).toEqual(['deployed', 'rolled-back']);
    expect(sick.phase).toBe('health check');
    expect(sick.message).toContain(`${hosts[1]!.address}: health check app 'web' failed 7 times: web (id 0) online, starting, last probe: HTTP 500 from http://127.0.0.1:${APP_PORT}/health; rolled back to `);
    expect(run.events.some((e) => e.kind === 'output' && e.host === hosts[0]!.address && e.phase === 'health check' && /healthy: 1 instance of web online and healthy/.test(e.line))).toBe(true);
    expect((await servingEverywhere([hosts[0]!], 'v2'))[0]!.version).toBe('v2');
    // rolled back: its app restarted on v1, which may not listen yet when the deploy returns
    expect((await servingEverywhere([hosts[1]!], 'v1'))[0]!.version).toBe('v1');
    expect((await execOnHost(hosts[1]!, 'readlink /srv/app/current')).stdout.trim()).toBe(`releases/${sick.previous}`);
  }, 90_000);

  it('fails at once, on every host, for an app the host does not run', async () => {
    app.commit('v3');
    const run = await deploy({ file: app.file, envName: 'elsewhere', command: 'deploy' });
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['rolled-back', 'rolled-back']);
    for (const host of hosts) {
      expect(run.byHost[host.address]!.message).toContain(`${host.address}: health check app 'api' cannot pass: no app 'api' in the host's pmx (it runs web)`);
      // one look, no retries: waiting cannot make it appear
      expect(run.events.filter((e) => e.kind === 'output' && e.host === host.address && e.phase === 'health check')).toEqual([]);
    }
  }, 90_000);
});
