// Publish, post-deploy and finish in one command per host (cli/deploy/remote-live.ts), on 3 real
// hosts without a health check (the fault matrix has one, so it meets the phases' own commands
// there). The rules are the same as with a command per phase: no host runs post-deploy before every
// host switched, a failed hook rolls its host back, a ledger that cannot be written is finish's note
// and fails nothing else, and each host's ledger has one line for the run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execOnHost, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { hostState, settledState } from './faults.js';
import { createAppRepo, deploy, environment, servingEverywhere, transcript, useFreshBundle, type AppRepo } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
let count = 1;

/**
 * post-deploy fails on a host whose /srv/fail-post names the release's VERSION (the rollback's
 * reload of the old one passes); its output ends without a newline, as `printf ok` or `curl -s`
 * leave it (the marker after it once landed on that line, unseen, and every deploy rolled back).
 */
const POST_DEPLOY = 'if test "$(cat /srv/fail-post 2>/dev/null)" = "$(cat VERSION)"; then echo "post-deploy broke on $(hostname)"; exit 9; fi; echo "post-deploy of $(cat VERSION)"; pmx startOrReload ecosystem.config.js --env production; printf "no newline after %s" "$(cat VERSION)"';

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 3, name: 'deploy-live' });
  hosts = env.hosts;
  app = createAppRepo(env, (origin) => ({ production: environment(env, hosts, origin, { strategy: 'release', 'post-deploy': POST_DEPLOY }) }));
  const setup = await deploy({ file: app.file, envName: 'production', command: 'setup' });
  expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done', 'done']);
  const first = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
  expect(first.outcomes.map((o) => o.status), transcript(first)).toEqual(['deployed', 'deployed', 'deployed']);
}, 90_000);
afterAll(async () => {
  if (env) await stopHosts(env);
});

function next(): string {
  const version = `v${++count}`;
  app.commit(version);
  return version;
}

/** The results of the ledger lines added on each host since `before`. */
async function added(before: Awaited<ReturnType<typeof hostState>>[]): Promise<string[][]> {
  const after = await Promise.all(hosts.map((host) => settledState(host)));
  for (const state of after) expect(state.lockFree).toBe(true);
  return after.map((state, i) => state.ledger.slice(before[i]!.ledger.length).map((line) => `${String(line.action)} ${String(line.result)}`));
}

describe('publish, post-deploy and finish in one command per host', () => {
  it('deploy and revert: the hook streams its output, each host records one success line and reads back what it serves', async () => {
    const version = next();
    const before = await Promise.all(hosts.map((host) => hostState(host)));
    const run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    expect(run.outcomes.map((o) => [o.status, o.readBack, o.recorded]), transcript(run)).toEqual([['deployed', true, true], ['deployed', true, true], ['deployed', true, true]]);
    const hookLines = run.events.filter((e) => e.kind === 'output' && e.phase === 'post-deploy').map((e) => (e.kind === 'output' ? e.line : ''));
    expect(hookLines.filter((line) => line === `post-deploy of ${version}`)).toHaveLength(3);
    expect(hookLines.filter((line) => line === `no newline after ${version}`)).toHaveLength(3);
    expect(hookLines.filter((line) => line.includes('pmx-live'))).toEqual([]);
    await servingEverywhere(hosts, version);
    expect(await added(before)).toEqual([['deploy success'], ['deploy success'], ['deploy success']]);
    const reverting = await Promise.all(hosts.map((host) => hostState(host)));
    const revert = await deploy({ file: app.file, envName: 'production', command: 'revert', steps: 1 });
    expect(revert.outcomes.map((o) => [o.status, o.release === reverting[0]!.releases.at(-2)]), transcript(revert)).toEqual([['reverted', true], ['reverted', true], ['reverted', true]]);
    expect(await added(reverting)).toEqual([['revert success'], ['revert success'], ['revert success']]);
  }, 60_000);

  it('a ledger that cannot be written is a note of that host; it still serves the new release and reads it back', async () => {
    const version = next();
    const before = await Promise.all(hosts.map((host) => hostState(host)));
    await execOnHost(hosts[1]!, 'chown root:root /srv/app/.pmx/revisions.log && chmod 644 /srv/app/.pmx/revisions.log');
    let run: Awaited<ReturnType<typeof deploy>>;
    try {
      run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    } finally {
      await execOnHost(hosts[1]!, 'chown deploy:deploy /srv/app/.pmx/revisions.log && chmod 600 /srv/app/.pmx/revisions.log');
    }
    expect(run.outcomes.map((o) => [o.status, o.readBack, o.recorded]), transcript(run)).toEqual([['deployed', true, true], ['deployed', true, false], ['deployed', true, true]]);
    expect(run.outcomes[1]!.notes.join(' ')).toContain('the ledger /srv/app/.pmx/revisions.log has no line for this run');
    expect(run.outcomes[1]!.release).toBe((await hostState(hosts[1]!)).current);
    await servingEverywhere(hosts, version);
    expect(await added(before)).toEqual([['deploy success'], [], ['deploy success']]);
  }, 60_000);

  it('a failed hook rolls its host back (reloaded on the old release); the others keep the new one', async () => {
    const old = (await hostState(hosts[0]!)).version;
    const version = next();
    const before = await Promise.all(hosts.map((host) => hostState(host)));
    await execOnHost(hosts[1]!, `echo ${version} > /srv/fail-post`);
    let run: Awaited<ReturnType<typeof deploy>>;
    try {
      run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    } finally {
      await execOnHost(hosts[1]!, 'rm -f /srv/fail-post');
    }
    expect(run.outcomes.map((o) => [o.status, o.phase]), transcript(run)).toEqual([['deployed', null], ['rolled-back', 'post-deploy'], ['deployed', null]]);
    expect(run.outcomes[1]!.message).toMatch(/post-deploy hook .* failed \(exit 9\): post-deploy broke on h2/);
    await servingEverywhere([hosts[0]!, hosts[2]!], version);
    await servingEverywhere([hosts[1]!], old);
    expect(await added(before)).toEqual([['deploy success'], ['deploy rolled-back'], ['deploy success']]);
  }, 60_000);

  it('a failed switch on one host: no host ran post-deploy, every host goes back', async () => {
    const old = (await hostState(hosts[0]!)).version;
    next();
    const before = await Promise.all(hosts.map((host) => hostState(host)));
    await execOnHost(hosts[1]!, 'mkdir -p /srv/app/current.pmx-new/x');
    let run: Awaited<ReturnType<typeof deploy>>;
    try {
      run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    } finally {
      await execOnHost(hosts[1]!, 'rm -rf /srv/app/current.pmx-new');
    }
    expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['rolled-back', 'failed', 'rolled-back']);
    expect(run.outcomes[1]!.phase).toBe('publish');
    expect(run.events.filter((e) => e.kind === 'phase-start' && e.phase === 'post-deploy'), transcript(run)).toEqual([]);
    expect(run.events.filter((e) => e.kind === 'output' && e.phase === 'post-deploy')).toEqual([]);
    await servingEverywhere(hosts, old);
    expect(await added(before)).toEqual([['deploy rolled-back'], ['deploy failed'], ['deploy rolled-back']]);
  }, 60_000);
});
