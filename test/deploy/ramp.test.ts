// The canary ramp on 4 real SSH hosts: `rolling` steps publish batch after batch (seen in the time
// each host's post-deploy ran), `batch_wait` holds a batch healthy before the next, a failed batch
// stops the ramp and sends back only what was published, `max_fail` lets the ramp go on past a
// failure, and a failure or a Ctrl-C during the hold ends it as the rules say. Each test starts
// from what the one before left. No app runs (the health check is a command reading a marker
// file): what a host serves is its `current`, read as root.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployEvent, HostOutcome } from '../../cli/deploy/events.js';
import { execOnHost, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { settledState, spawnDeploy, summaryRow, type HostState } from './faults.js';
import { createAppRepo, deploy, deployCli, environment, transcript, useFreshBundle, type AppRepo, type Recorded } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
let versions = 1;
// unhealthy once /srv/unhealthy-<version> exists on the host
const health = { command: 'test ! -e "/srv/unhealthy-$(cat VERSION)"', retries: 1, interval: '200ms', timeout: '2s' };
// each host appends `<version> <ns since epoch>` when its post-deploy runs: the order of publishing
const stamped = { strategy: 'release', 'post-deploy': 'echo "$(cat VERSION) $(date +%s%N)" >> /srv/post-deploy-times' };

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 4, name: 'deploy-ramp' });
  hosts = env.hosts;
  const ramp = { ...stamped, healthcheck: health, rolling: [1, '50%', '100%'] };
  app = createAppRepo(env, (origin) => ({
    // max_fail without rolling: nothing to act on, and the deploy says so
    production: environment(env, hosts, origin, { ...stamped, max_fail: 1 }),
    ramp: environment(env, hosts, origin, { ...ramp, batch_wait: '1s' }),
    tolerant: environment(env, hosts, origin, { ...ramp, max_fail: 1 }),
    // batches of one, held long: a failure (or an interrupt) is what ends the hold
    watched: environment(env, hosts, origin, { ...stamped, healthcheck: { ...health, retries: 0 }, rolling: 1, batch_wait: '60s' }),
    // a stopped ramp leaves what published where it is
    kept: environment(env, hosts, origin, { ...stamped, healthcheck: health, rolling: 1, auto_rollback: false }),
  }));
  const setup = await deploy({ file: app.file, envName: 'production', command: 'setup' });
  expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done', 'done', 'done']);
  app.commit(`v${++versions}`);
  const first = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
  expect(first.outcomes.map((o) => o.status), transcript(first)).toEqual(['deployed', 'deployed', 'deployed', 'deployed']);
  expect(first.ramp).toBeNull();
  expect(first.events).toContainEqual({ kind: 'note', host: null, level: 'warn', message: 'max_fail acts between the batches of a ramp, and there is none without `rolling`: every host publishes at once and a failed host goes back alone' });
}, 60_000);
afterAll(async () => {
  if (env) await stopHosts(env);
});

function next(): string {
  const version = `v${++versions}`;
  app.commit(version);
  return version;
}

/** When post-deploy started for `version` on each host (ns), or null where it never ran. */
async function postDeployTimes(version: string): Promise<(bigint | null)[]> {
  return Promise.all(
    hosts.map(async (host) => {
      const lines = (await execOnHost(host, 'cat /srv/post-deploy-times 2>/dev/null; true')).stdout.split('\n');
      const line = lines.find((text) => text.startsWith(`${version} `));
      return line ? BigInt(line.split(' ')[1]!) : null;
    }),
  );
}

function statuses(run: Recorded): string[] {
  return run.outcomes.map((o) => o.status);
}

function batchEvents(run: Recorded): string[] {
  const line = (e: DeployEvent): string | null => (e.kind === 'batch-start' ? `start ${e.batch}/${e.of} ${e.hosts.length}` : e.kind === 'batch-hold' ? `hold ${e.batch} ${e.holdMs}` : null);
  return run.events.map(line).filter((text) => text !== null);
}

/** Each host's state, read as root. */
function fleet(): Promise<HostState[]> {
  return Promise.all(hosts.map((host) => settledState(host)));
}

/** The host was not touched by the run: current and its releases as before, its ledger saying the run was aborted there, no lock held. */
function untouched(after: HostState, before: HostState): void {
  expect(after.current).toBe(before.current);
  expect(after.releases).toEqual(before.releases);
  expect(after.ledger.at(-1)).toMatchObject({ result: 'aborted' });
  expect(after.lockFree).toBe(true);
}

describe('a canary ramp on 4 hosts', () => {
  it("rolling [1, '50%', '100%'] publishes h1, then h2, then h3 and h4, each batch held healthy 1 s before the next", async () => {
    const version = next();
    const run = await deploy({ file: app.file, envName: 'ramp', command: 'deploy' });
    expect(statuses(run), transcript(run)).toEqual(['deployed', 'deployed', 'deployed', 'deployed']);
    expect(batchEvents(run)).toEqual(['start 1/3 1', 'hold 1 1000', 'start 2/3 1', 'hold 2 1000', 'start 3/3 2']);
    expect(run.ramp).toMatchObject({ rolling: 'steps 1, 50%, 100%', batches: [[hosts[0]!.address], [hosts[1]!.address], [hosts[2]!.address, hosts[3]!.address]], failed: [], stopped: null });
    // the hosts' own clocks (one machine): each batch starts post-deploy at least the hold after the one before
    const [h1, h2, h3, h4] = (await postDeployTimes(version)) as bigint[];
    const second = 1_000_000_000n;
    expect(h2! - h1!).toBeGreaterThanOrEqual(second);
    expect(h3! - h2!).toBeGreaterThanOrEqual(second);
    expect(h4! - h2!).toBeGreaterThanOrEqual(second);
    // the hold repeated the health check on the held host
    expect(run.events.some((e) => e.kind === 'output' && e.phase === 'batch wait' && e.host === hosts[0]!.address && /healthy/.test(e.line))).toBe(true);
    expect((await fleet()).map((state) => state.version)).toEqual([version, version, version, version]);
  }, 30_000);

  it('a batch that fails its health check stops the ramp: what was published goes back, later batches never get the release; exit 1 naming the batch', async () => {
    const before = await fleet();
    const version = next();
    await execOnHost(hosts[1]!, `touch /srv/unhealthy-${version}`);
    const cli = await deployCli(['ramp'], {}, app.dir);
    expect(cli.code, cli.stdout).toBe(1);
    expect(cli.stdout).toMatch(new RegExp(`ramp \\(steps 1, 50%, 100%, 3 batches, held 1\\.0 s between batches, max_fail 0\\) stopped at batch 2: ${hosts[1]!.address.replace(/\./g, '\\.')} failed in health check; .*; batch 3 was not published`));
    expect([0, 1, 2, 3].map((i) => summaryRow(cli.stdout, hosts[i]!.address)?.status)).toEqual(['rolled back', 'rolled back', 'not published', 'not published']);
    const after = await fleet();
    // h1 (batch 1) published and went back; h2 published, failed and went back, its release marked bad
    expect(after[0]!.current).toBe(before[0]!.current);
    expect(after[0]!.ledger.at(-1)).toMatchObject({ result: 'rolled-back' });
    expect(after[1]!.current).toBe(before[1]!.current);
    expect(after[1]!.ledger.at(-1)).toMatchObject({ result: 'bad' });
    // h3 and h4 (batch 3) were never published: same current, no new release directory
    untouched(after[2]!, before[2]!);
    untouched(after[3]!, before[3]!);
    expect(await postDeployTimes(version)).toEqual([expect.any(BigInt), expect.any(BigInt), null, null]);
    expect(after.map((state) => state.version)).toEqual(before.map((state) => state.version));
  }, 30_000);

  it('max_fail 1 tolerates one failed host: it goes back and the ramp goes on to the last batch', async () => {
    const old = (await fleet())[1]!.version;
    const version = next();
    await execOnHost(hosts[1]!, `touch /srv/unhealthy-${version}`);
    // --json: the document carries the ramp
    const cli = await deployCli(['tolerant'], { json: true }, app.dir);
    const doc = JSON.parse(cli.stdout) as { ok: boolean; ramp: unknown; hosts: HostOutcome[] };
    expect(doc.hosts.map((o) => o.status), cli.stdout).toEqual(['deployed', 'rolled-back', 'deployed', 'deployed']);
    expect([cli.code, doc.ok]).toEqual([1, false]);
    expect(doc.ramp).toMatchObject({ maxFail: '1', allowed: 1, published: 3, failed: [hosts[1]!.address], stopped: null });
    expect(doc.hosts[1]!.notes.join(' ')).toContain('within max_fail 1 (1 of 1 allowed failures): the ramp went on');
    expect((await fleet()).map((state) => state.version)).toEqual([version, old, version, version]);
  }, 30_000);

  it('a host that turns unhealthy during batch_wait fails there: the ramp stops, it goes back, later batches never publish', async () => {
    const before = await fleet();
    const version = next();
    let sick: Promise<unknown> | null = null;
    const started = Date.now();
    const run = await deploy({
      file: app.file,
      envName: 'watched',
      command: 'deploy',
      onEvent: (e) => (e.kind === 'batch-hold' && e.batch === 1 ? (sick = execOnHost(hosts[0]!, `touch /srv/unhealthy-${version}`)) : undefined),
    });
    await sick;
    // the 60 s hold ended with the failure
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(statuses(run), transcript(run)).toEqual(['rolled-back', 'cancelled', 'cancelled', 'cancelled']);
    expect(run.outcomes[0]!).toMatchObject({ phase: 'batch wait', message: expect.stringMatching(/health check .* failed 1 time in a row during the batch wait/) });
    expect(run.outcomes[1]!.message).toBe(`not published: batch 1 failed (${hosts[0]!.address})`);
    expect(run.ramp!.stopped).toEqual({ batch: 1, reason: `${hosts[0]!.address} failed in batch wait` });
    const after = await fleet();
    expect(after[0]!.current).toBe(before[0]!.current);
    expect(after[0]!.ledger.at(-1)).toMatchObject({ result: 'bad' });
    for (const i of [1, 2, 3]) untouched(after[i]!, before[i]!);
    expect(after.map((state) => state.version)).toEqual(before.map((state) => state.version));
  }, 30_000);

  it('Ctrl-C during batch_wait ends the hold at once: the held batch keeps the new release, later batches do not publish; exit 130', async () => {
    const before = await fleet();
    const version = next();
    const cli = spawnDeploy(['watched'], app.dir);
    await cli.line(/holding batch 1 for 60\.0 s/);
    const interrupted = Date.now();
    cli.signal('SIGINT');
    const result = await cli.done;
    expect(Date.now() - interrupted).toBeLessThan(20_000);
    expect(result.code, result.stdout).toBe(130);
    expect(result.stdout).toContain('a batch on hold stops holding and keeps the new release');
    expect(result.stdout).toContain('ramp (batches of 1, 4 batches, held 60.0 s between batches, max_fail 0) interrupted after batch 1; batches 2-4 were not published');
    expect(summaryRow(result.stdout, hosts[0]!.address)).toMatchObject({ status: 'deployed' });
    for (const i of [1, 2, 3]) expect(summaryRow(result.stdout, hosts[i]!.address), result.stdout).toMatchObject({ status: 'aborted' });
    const after = await fleet();
    expect(after[0]!.version).toBe(version);
    expect(after[0]!.ledger.at(-1)).toMatchObject({ result: 'success' });
    for (const i of [1, 2, 3]) untouched(after[i]!, before[i]!);
    expect(after.map((state) => state.version)).toEqual([version, ...before.slice(1).map((state) => state.version)]);
  }, 30_000);
  it("auto_rollback false: the closing line says the published hosts stayed on the new release, as they do, not that they were sent back", async () => {
    const before = await fleet();
    const version = next();
    await execOnHost(hosts[1]!, `touch /srv/unhealthy-${version}`);
    const cli = await deployCli(['kept'], {}, app.dir);
    expect(cli.code, cli.stdout).toBe(1);
    const [h1, h2] = [hosts[0]!.address, hosts[1]!.address];
    expect(cli.stdout).toContain(`ramp (batches of 1, 4 batches, max_fail 0) stopped at batch 2: ${h2} failed in health check; ${h1}, ${h2} stayed on the new release (auto_rollback is off) (each host's row says what it serves); batches 3-4 were not published`);
    expect(cli.stdout).not.toContain('were sent back');
    const after = await fleet();
    expect(after.map((state) => state.version)).toEqual([version, version, before[2]!.version, before[3]!.version]);
    for (const i of [2, 3]) untouched(after[i]!, before[i]!);
  }, 30_000);
});
