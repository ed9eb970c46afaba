// Deploy failures on 3 real SSH hosts. Whatever fails, no host is left with a half-written
// `current`, a failure before publish leaves every host on the version it served, and the
// summary names every host.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeployConfigError } from '../../cli/deploy/errors.js';
import { loadEnvironment } from '../../cli/deploy/run.js';
import { execOnHost, startHosts, startSshd, stopHosts, stopSshd, waitUntil, type HostsHandle, type TestHost } from '../hosts/index.js';
import { createAppRepo, useFreshBundle, deploy, environment, servingEverywhere, transcript, type AppRepo, type Recorded } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
const keyDir = mkdtempSync(join(tmpdir(), 'pmx-deploy-keys-'));
const health = { url: 'http://127.0.0.1:8080/health', retries: 2, interval: '300ms', timeout: '2s' };
let versions = 1;

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 3, name: 'deploy-failures' });
  hosts = env.hosts;
  const strangerKey = join(keyDir, 'stranger');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', strangerKey]);
  const unroutable = env.subnet!.replace(/\.0\/24$/, '.250');
  app = createAppRepo(env, (origin) => ({
    production: environment(env, hosts, origin, { strategy: 'release' }),
    hooks: environment(env, hosts, origin, { strategy: 'release', 'pre-deploy': 'if [ "$(hostname)" = h2 ]; then sleep 1; echo "build broke on h2" >&2; exit 3; fi; echo built' }),
    healthy: environment(env, hosts, origin, { strategy: 'release', healthcheck: health }),
    rolling: environment(env, hosts, origin, { strategy: 'release', healthcheck: health, rolling: 1 }),
    stays: environment(env, hosts, origin, { strategy: 'release', auto_rollback: false, healthcheck: { command: 'test "$(hostname)" != h3', retries: 0 } }),
    slow: environment(env, hosts, origin, { strategy: 'release', 'pre-deploy': 'sleep 2' }),
    // holds the lock until the test removes /srv/hold on every host
    held: environment(env, hosts, origin, { strategy: 'release', 'pre-deploy': 'while [ -e /srv/hold ]; do sleep 0.1; done' }),
    // waits for the lock, then fails its health check on h1
    waitsfails: environment(env, hosts, origin, { strategy: 'release', lock_timeout: '30s', healthcheck: { command: 'test "$(hostname)" != h1', retries: 0 } }),
    patient: environment(env, hosts, origin, { strategy: 'release', lock_timeout: '20s' }),
    // the same hosts listed the other way round
    reversed: environment(env, [...hosts].reverse(), origin, { strategy: 'release', lock_timeout: '20s' }),
    unreachable: environment(env, [hosts[0]!, hosts[1]!], origin, { strategy: 'release', host: [hosts[0]!.address, hosts[1]!.address, unroutable] }),
    stranger: environment(env, hosts, origin, { strategy: 'release', host: [hosts[0]!.address, { host: hosts[1]!.address, key: strangerKey }, hosts[2]!.address] }),
    broken: environment(env, hosts, origin, { keep_releases: 'many' }),
    // h2's post-deploy never ends in a release with a HANG file (a child of the hook waits on): hook_timeout stops it
    hung: environment(env, hosts, origin, {
      strategy: 'release',
      hook_timeout: '2s',
      'post-deploy': 'if [ "$(hostname)" = h2 ] && [ -e HANG ]; then sleep 313 & wait; fi; pmx startOrReload ecosystem.config.js --env production',
    }),
    // h2's post-deploy waits for the test (its link is cut meanwhile); keepalives find the loss in about 2 s
    lostpost: environment(env, hosts, origin, {
      strategy: 'release',
      ssh_options: [`UserKnownHostsFile=${env.knownHostsPath}`, 'ConnectTimeout=2', 'ServerAliveInterval=1', 'ServerAliveCountMax=1'],
      'post-deploy': 'if [ "$(hostname)" = h2 ]; then touch /srv/post-started; while [ ! -e /srv/post-go ]; do sleep 0.1; done; fi; pmx startOrReload ecosystem.config.js --env production',
    }),
  }));
  const setup = await deploy({ file: app.file, envName: 'production', command: 'setup' });
  expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done', 'done']);
}, 90_000);
afterAll(async () => {
  rmSync(keyDir, { recursive: true, force: true });
  if (env) await stopHosts(env);
});

/** What each host serves from, as `current` and the release dirs say. */
async function fleet(): Promise<string[]> {
  return Promise.all(hosts.map(async (host) => (await execOnHost(host, 'readlink /srv/app/current; ls /srv/app/releases | tr "\\n" " "')).stdout));
}

/** Deploys a new good version on every host and returns it (every test starts from one version). */
async function baseline(): Promise<string> {
  const version = `v${++versions}`;
  app.commit(version);
  const run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
  expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(['deployed', 'deployed', 'deployed']);
  await servingEverywhere(hosts, version);
  return version;
}

function statuses(run: Recorded): string[] {
  return run.outcomes.map((o) => `${o.host}:${o.status}`);
}

describe('deploy failures before publish: no host publishes', () => {
  it('a host that is down fails the check; the others do not publish', async () => {
    const version = await baseline();
    const before = await fleet();
    app.commit(`v${++versions}`);
    await stopSshd(hosts[2]!);
    try {
      const run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
      expect(run.outcomes).toHaveLength(3);
      const down = run.byHost[hosts[2]!.address]!;
      expect([down.status, down.phase], transcript(run)).toEqual(['failed', 'check']);
      expect(down.message).toContain('connection refused');
      for (const host of hosts.slice(0, 2)) expect(run.byHost[host.address]!.status).toBe('cancelled');
    } finally {
      await startSshd(hosts[2]!);
    }
    expect(await fleet()).toEqual(before);
    expect((await servingEverywhere(hosts, version)).map((a) => a.version)).toEqual([version, version, version]);
  }, 60_000);

  it('an unreachable host is reported within the connect timeout', async () => {
    const started = Date.now();
    const run = await deploy({ file: app.file, envName: 'unreachable', command: 'deploy' });
    expect(Date.now() - started).toBeLessThan(3000 + 2500);
    expect(run.outcomes).toHaveLength(3);
    const lost = run.outcomes[2]!;
    expect([lost.status, lost.phase], transcript(run)).toEqual(['failed', 'check']);
    expect(lost.message).toMatch(/no answer within 3 s|no route to host/);
    expect(run.outcomes.slice(0, 2).map((o) => o.status)).toEqual(['cancelled', 'cancelled']);
  }, 30_000);

  it('a host that refuses the key fails the check, naming the keys tried', async () => {
    const before = await fleet();
    const run = await deploy({ file: app.file, envName: 'stranger', command: 'deploy' });
    const refused = run.outcomes[1]!;
    expect([refused.status, refused.phase], transcript(run)).toEqual(['failed', 'check']);
    expect(refused.message).toMatch(/authentication refused.* \(tried: .*stranger/);
    expect(await fleet()).toEqual(before);
  }, 30_000);

  it('a hook failing on one host of three: no host publishes and every prepared release is removed', async () => {
    const version = await baseline();
    const before = await fleet();
    app.commit(`v${++versions}`);
    const run = await deploy({ file: app.file, envName: 'hooks', command: 'deploy' });
    expect(statuses(run), transcript(run)).toEqual([`${hosts[0]!.address}:cancelled`, `${hosts[1]!.address}:failed`, `${hosts[2]!.address}:cancelled`]);
    const failed = run.outcomes[1]!;
    expect(failed.phase).toBe('pre-deploy');
    expect(failed.message).toContain('build broke on h2');
    expect(run.outcomes[0]!.message).toBe(`not published: ${hosts[1]!.address} failed in pre-deploy`);
    const cleaned = run.events.flatMap((e) => (e.kind === 'phase-done' && e.phase === 'cleanup' ? [e.host] : []));
    expect(cleaned.sort()).toEqual(hosts.map((h) => h.address).sort()); // h1 and h3 had prepared; h2 too
    expect(await fleet()).toEqual(before);
    expect((await servingEverywhere(hosts, version)).map((a) => a.version)).toEqual([version, version, version]);
  }, 60_000);

  it('a second deploy while one runs is refused by the lock, naming who holds it and since when', async () => {
    await baseline();
    app.commit(`v${++versions}`);
    let locked: () => void = () => undefined;
    const allLocked = new Promise<void>((resolve) => (locked = resolve));
    let count = 0;
    const first = deploy({
      file: app.file,
      envName: 'slow',
      command: 'deploy',
      onEvent: (event) => {
        if (event.kind === 'phase-done' && event.phase === 'lock' && ++count === 3) locked();
      },
    });
    await allLocked;
    const second = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    const refusals = second.outcomes.filter((o) => o.status === 'failed');
    expect(refusals.length, transcript(second)).toBeGreaterThan(0);
    expect(refusals[0]!.message).toMatch(/\/srv\/app is locked by .+@.+ \(pid \d+: pmx deploy slow deploy\) since \d{4}-\d\d-\d\dT/);
    expect(second.outcomes.every((o) => o.status === 'failed' || o.status === 'cancelled')).toBe(true);
    const patient = deploy({ file: app.file, envName: 'patient', command: 'deploy' }); // lock_timeout: waits its turn
    const done = await first;
    expect(done.outcomes.map((o) => o.status), transcript(done)).toEqual(['deployed', 'deployed', 'deployed']);
    const waited = await patient;
    expect(waited.outcomes.map((o) => o.status), transcript(waited)).toEqual(['deployed', 'deployed', 'deployed']);
  }, 60_000);

  it('two deploys with lock_timeout started at once both deploy, one after the other: the hosts are locked in one order (by name, whatever order an environment lists them in), so neither holds some hosts while waiting for the others', async () => {
    app.commit(`v${++versions}`);
    const [one, two] = await Promise.all(['patient', 'reversed'].map((envName) => deploy({ file: app.file, envName, command: 'deploy' })));
    expect(one!.outcomes.map((o) => o.status), transcript(one!)).toEqual(['deployed', 'deployed', 'deployed']);
    expect(two!.outcomes.map((o) => o.status), transcript(two!)).toEqual(['deployed', 'deployed', 'deployed']);
    // and two runs of one environment
    app.commit(`v${++versions}`);
    const [three, four] = await Promise.all([0, 1].map(() => deploy({ file: app.file, envName: 'patient', command: 'deploy' })));
    expect(three!.outcomes.map((o) => o.status), transcript(three!)).toEqual(['deployed', 'deployed', 'deployed']);
    expect(four!.outcomes.map((o) => o.status), transcript(four!)).toEqual(['deployed', 'deployed', 'deployed']);
  }, 90_000);

  it('a deploy that waited for the lock rolls back to where the deploy before it left the host, not to where the host was when it checked it', async () => {
    app.commit(`v${++versions}`);
    await Promise.all(hosts.map((host) => execOnHost(host, 'touch /srv/hold')));
    let locked!: () => void;
    const allLocked = new Promise<void>((resolve) => (locked = resolve));
    let count = 0;
    const first = deploy({ file: app.file, envName: 'held', command: 'deploy', onEvent: (event) => event.kind === 'phase-done' && event.phase === 'lock' && ++count === 3 && locked() });
    await allLocked;
    // the second run reads h1's current link in its check, then waits for the lock (the other hosts
    // check in turn, once the host before them in lock order is locked)
    let checked!: () => void;
    const firstChecked = new Promise<void>((resolve) => (checked = resolve));
    const second = deploy({ file: app.file, envName: 'waitsfails', command: 'deploy', onEvent: (event) => event.kind === 'phase-done' && event.phase === 'check' && event.host === hosts[0]!.address && checked() });
    await firstChecked;
    await Promise.all(hosts.map((host) => execOnHost(host, 'rm -f /srv/hold')));
    const done = await first;
    expect(done.outcomes.map((o) => o.status), transcript(done)).toEqual(['deployed', 'deployed', 'deployed']);
    const theirs = done.outcomes[0]!.release!;
    const waited = await second;
    expect(statuses(waited), transcript(waited)).toEqual([`${hosts[0]!.address}:rolled-back`, `${hosts[1]!.address}:deployed`, `${hosts[2]!.address}:deployed`]);
    const back = waited.outcomes[0]!;
    expect(back.previous).toBe(theirs);
    expect(back.message).toContain(`rolled back to ${theirs}`);
    expect((await execOnHost(hosts[0]!, 'readlink /srv/app/current')).stdout.trim()).toBe(`releases/${theirs}`);
    // its ledger line says where it came from
    const ledger = (await execOnHost(hosts[0]!, 'tail -n 1 /srv/app/.pmx/revisions.log')).stdout;
    expect(JSON.parse(ledger)).toMatchObject({ from: theirs });
    const note = waited.events.find((event) => event.kind === 'note' && event.host === hosts[0]!.address && event.message.startsWith('current moved from'));
    expect(note, transcript(waited)).toBeDefined();
  }, 90_000);

  it('a bad deploy section is refused before any host is touched, naming the key', async () => {
    await expect(loadEnvironment({ file: app.file, envName: 'broken' })).rejects.toThrow(DeployConfigError);
    await expect(loadEnvironment({ file: app.file, envName: 'broken' })).rejects.toThrow(/deploy\.broken\.keep_releases: expected a whole number/);
  });
});

describe('deploy failures after publish: the host goes back to its previous release', () => {
  it('a failed health check rolls that host back; it serves the old code again', async () => {
    const old = await baseline();
    const next = `v${++versions}`;
    app.commit(next);
    await execOnHost(hosts[1]!, `touch /srv/unhealthy-${next}`);
    const run = await deploy({ file: app.file, envName: 'healthy', command: 'deploy' });
    expect(statuses(run), transcript(run)).toEqual([`${hosts[0]!.address}:deployed`, `${hosts[1]!.address}:rolled-back`, `${hosts[2]!.address}:deployed`]);
    const back = run.outcomes[1]!;
    expect(back.phase).toBe('health check');
    expect(back.message).toMatch(/health check http:\/\/127\.0\.0\.1:8080\/health failed 3 times: HTTP 500.*; rolled back to /);
    expect(back.release).toBe(run.outcomes[1]!.previous);
    // h2's rollback ran post-deploy again, a restart of the fork app: it answers once its new process listens
    expect((await servingEverywhere([hosts[0]!, hosts[2]!], next)).map((a) => a.version)).toEqual([next, next]);
    expect((await servingEverywhere([hosts[1]!], old)).map((a) => a.version)).toEqual([old]);
    const current = (await execOnHost(hosts[1]!, 'readlink /srv/app/current')).stdout.trim();
    expect(current).toBe(`releases/${back.previous}`);
  }, 60_000);

  it('a post-deploy that never ends is stopped after hook_timeout, with what it started: that host rolls back, the others deploy (the deploy waited for ever)', async () => {
    const old = await baseline();
    const next = `v${++versions}`;
    app.commit(next, { HANG: '' });
    const run = await deploy({ file: app.file, envName: 'hung', command: 'deploy' });
    expect(statuses(run), transcript(run)).toEqual([`${hosts[0]!.address}:deployed`, `${hosts[1]!.address}:rolled-back`, `${hosts[2]!.address}:deployed`]);
    expect(run.outcomes[1]).toMatchObject({ phase: 'post-deploy', message: expect.stringContaining('pmx: the hook did not end within hook_timeout (2 s): it was stopped') });
    // a fork app's startOrReload is a restart: each host's app answers once its new process listens
    expect((await servingEverywhere([hosts[0]!, hosts[2]!], next)).map((a) => a.version)).toEqual([next, next]);
    expect((await servingEverywhere([hosts[1]!], old)).map((a) => a.version)).toEqual([old]);
    // nothing of the hook is left running on h2 (the hosts share the machine's processes: its sleep has a length of its own)
    expect((await execOnHost(hosts[1]!, "pgrep -f 'sleep [3]13' || true")).stdout.trim()).toBe('');
  }, 60_000);

  it('auto_rollback: false leaves the failed host on the new release and says so; a health command runs in current', async () => {
    await baseline();
    const next = `v${++versions}`;
    app.commit(next);
    const run = await deploy({ file: app.file, envName: 'stays', command: 'deploy' });
    expect(statuses(run), transcript(run)).toEqual([`${hosts[0]!.address}:deployed`, `${hosts[1]!.address}:deployed`, `${hosts[2]!.address}:failed`]);
    const stayed = run.outcomes[2]!;
    expect(stayed.phase).toBe('health check');
    expect(stayed.message).toMatch(/health check `test "\$\(hostname\)" != h3` failed 1 time: exit 1; auto_rollback is off: current stays on /);
    expect(stayed.release).toBe(run.outcomes[0]!.release);
    expect((await servingEverywhere(hosts, next)).map((a) => a.version)).toEqual([next, next, next]);
  }, 60_000);

  it('rolling: batches publish one after another and stop at the first failed batch, which goes back', async () => {
    const old = await baseline();
    const next = `v${++versions}`;
    app.commit(next);
    await execOnHost(hosts[1]!, `touch /srv/unhealthy-${next}`);
    const order: string[] = [];
    const run = await deploy({
      file: app.file,
      envName: 'rolling',
      command: 'deploy',
      rolling: { every: { hosts: 2 } },
      onEvent: (e) => (e.kind === 'phase-done' && e.phase === 'publish' ? order.push(e.host!) : undefined),
    });
    // batch 1 = h1 + h2: h2 fails its health check, so h1 goes back with it; batch 2 (h3) never publishes
    expect(statuses(run), transcript(run)).toEqual([`${hosts[0]!.address}:rolled-back`, `${hosts[1]!.address}:rolled-back`, `${hosts[2]!.address}:cancelled`]);
    expect(order.sort()).toEqual([hosts[0]!.address, hosts[1]!.address].sort());
    expect(run.outcomes[0]!.message).toContain(`its batch failed (${hosts[1]!.address})`);
    expect(run.outcomes[2]!.message).toBe(`not published: batch 1 failed (${hosts[1]!.address})`);
    expect((await servingEverywhere(hosts, old)).map((a) => a.version)).toEqual([old, old, old]);

    // rolling 1, healthy: one host after another, each batch live before the next starts
    const good = await deploy({ file: app.file, envName: 'production', command: 'deploy', rolling: { every: { hosts: 1 } } });
    expect(good.outcomes.map((o) => o.status), transcript(good)).toEqual(['deployed', 'deployed', 'deployed']);
    const published = good.events.filter((e) => e.kind === 'phase-done' && (e.phase === 'publish' || e.phase === 'post-deploy')).map((e) => (e.kind === 'phase-done' ? `${e.host} ${e.phase}` : ''));
    expect(published).toEqual(hosts.flatMap((h) => [`${h.address} publish`, `${h.address} post-deploy`]));
  }, 90_000);

  it("a host whose link goes down while its post-deploy runs: the summary does not claim what it could not read, and the host's ledger, read once it is back, tells what happened there", async () => {
    await baseline();
    app.commit(`v${++versions}`);
    const h2 = hosts[1]!;
    const { dir, netns } = h2.internals as { dir: string; netns: string };
    const link = (state: 'up' | 'down') => execFileSync('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'eth0', state]);
    const running = deploy({ file: app.file, envName: 'lostpost', command: 'deploy' });
    let ended = false;
    void running.then(() => (ended = true), () => (ended = true));
    try {
      // three hosts fetch and install before the post-deploy: on a loaded machine that can take most of a minute
      await waitUntil(() => existsSync(join(dir, 'srv/post-started')) || ended, 90_000, () => 'post-deploy running on h2');
      if (!existsSync(join(dir, 'srv/post-started'))) throw new Error(`the deploy ended before h2's post-deploy began:\n${transcript(await running)}`);
      link('down');
      const run = await running;
      const lost = run.byHost[h2.address]!;
      expect([lost.status, lost.recorded], transcript(run)).toEqual(['failed', false]);
      const notes = lost.notes.join(' ');
      expect(notes).toContain("this run's ledger line on this host could not be read back");
      expect(notes).not.toMatch(/has no line|removes what is left/);
      // the hook goes on without the CLI (as on a link that is only slow to come back): the host itself records the run
      writeFileSync(join(dir, 'srv/post-go'), '');
      const release = lost.target!;
      const ledger = join(dir, 'srv/app/.pmx/revisions.log');
      await waitUntil(() => readFileSync(ledger, 'utf8').includes(`"release":"${release}"`), 30_000, () => "h2's ledger line for the run");
      const line = readFileSync(ledger, 'utf8').trim().split('\n').map((entry) => JSON.parse(entry) as { release: string; result: string }).findLast((entry) => entry.release === release)!;
      expect(line.result).toBe('success');
      link('up');
      // and serves what it records
      expect((await execOnHost(h2, 'readlink /srv/app/current')).stdout.trim()).toBe(`releases/${release}`);
    } finally {
      link('up');
      await running.catch(() => undefined);
      rmSync(join(dir, 'srv/post-started'), { force: true });
      writeFileSync(join(dir, 'srv/post-go'), '');
    }
    // the next deploy takes the whole fleet to one version again
    app.commit(`v${++versions}`);
    const next = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    expect(next.outcomes.map((o) => o.status), transcript(next)).toEqual(['deployed', 'deployed', 'deployed']);
    rmSync(join(dir, 'srv/post-go'), { force: true });
  }, 180_000);

  it('an SSH connection cut during the upload: that host fails, no host publishes, the next deploy works', async () => {
    const version = await baseline();
    const before = await fleet();
    const big = randomBytes(18 * 1024 * 1024).toString('base64');
    app.commit(`v${++versions}`, { 'assets/big.bin': big });
    let cut: Promise<void> | null = null;
    const run = await deploy({
      file: app.file,
      envName: 'production',
      command: 'deploy',
      onEvent: (event) => {
        if (event.kind === 'progress' && event.host === hosts[1]!.address && cut === null) cut = stopSshd(hosts[1]!, { sessions: true });
      },
    });
    await cut;
    try {
      const lost = run.outcomes[1]!;
      expect([lost.status, lost.phase], transcript(run)).toEqual(['failed', 'fetch']);
      expect(lost.message).toMatch(/connection (lost|closed)/);
      expect(lost.notes.join(' ')).toContain('could not reconnect');
      expect([run.outcomes[0]!.status, run.outcomes[2]!.status]).toEqual(['cancelled', 'cancelled']);
    } finally {
      await startSshd(hosts[1]!);
    }
    expect(await fleet()).toEqual(before);
    expect((await servingEverywhere(hosts, version)).map((a) => a.version)).toEqual([version, version, version]);
    // the lock died with the session; the next deploy removes the partial upload
    app.commit(`v${++versions}`, { 'assets/big.bin': 'small now' });
    const next = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
    expect(next.outcomes.map((o) => o.status), transcript(next)).toEqual(['deployed', 'deployed', 'deployed']);
    expect((await execOnHost(hosts[1]!, 'ls /srv/app/.pmx')).stdout).not.toContain('upload-');
  }, 90_000);
});
