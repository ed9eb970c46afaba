// The rules of the deploy flow, one case each, on scripted hosts (no sshd, no root): the barrier
// before publish, the switch that every host of a batch takes or none keeps, each host alone after
// it, the ramp's batches and max_fail, revert's one target for the fleet, every host reported
// whatever happens to it, and interrupts. Each case reads what a user relies on afterwards: the
// summary per host, where `current` points on each host, what its app serves, its ledger, its lock.
// test/deploy/ runs the same rules end to end on real SSH hosts.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { releaseName } from '../../../cli/deploy/remote-paths.js';
import type { DeployEvent } from '../../../cli/deploy/events.js';
import { Interruption } from '../../../cli/deploy/interrupt.js';
import type { ScriptedHost } from './scripted-host.js';
import { rampLine } from '../../../cli/deploy/output/summary.js';
import { styleFor } from '../../../cli/output/style.js';
import { runPmx, ScriptedFleet, seededRelease, sha, useTinyBundle, type Run } from './scripted-fleet.js';

const [a, b, c, d] = [sha('a'), sha('b'), sha('c'), sha('d')];
const A = seededRelease(1, a);
const B = seededRelease(2, b);
const C = seededRelease(3, c);
beforeAll(useTinyBundle);

const health = { command: 'curl -fs localhost:8080/health', retries: 0, timeout: '1s' };

/** Hosts h1..hn all serving A, with B pushed to the origin. */
function fleetOf(count: number): ScriptedFleet {
  const fleet = new ScriptedFleet(Array.from({ length: count }, (_, i) => `h${i + 1}`));
  for (const host of fleet.hosts) host.seed([{ name: A, sha: a }]);
  fleet.push(d);
  return fleet;
}

function statuses(run: Run): string[] {
  return run.outcomes.map((o) => o.status);
}

/** The results of the ledger lines the run added on each host ('' for none). */
function added(fleet: ScriptedFleet, before = 1): string[] {
  return fleet.hosts.map((host) => host.revisions.slice(before).map((r) => r.result).join(',') || '');
}

/** The host as it was: on A, serving A, only A on disk, no lock. */
function untouched(host: ScriptedHost): void {
  expect([host.label, host.currentRelease, host.serving, [...host.releases.keys()], host.lockedBy]).toEqual([host.label, A, A, [A], null]);
}

/** The run's phases, as `host phase`, in the order they started. */
function started(run: Run, phase: string): string[] {
  return run.events.flatMap((e) => (e.kind === 'phase-start' && e.phase === phase ? [e.host!] : []));
}

/** Index of the first event matching. */
function at(events: DeployEvent[], kind: 'phase-start' | 'phase-done', host: string, phase: string): number {
  return events.findIndex((e) => e.kind === kind && e.host === host && e.phase === phase);
}

describe('the barrier before publish', () => {
  it('no host switches current until every host has its release ready', async () => {
    const fleet = fleetOf(3);
    const slow = fleet.holdAt('h3', 'pre-deploy');
    const ready = new Set<string>();
    let seen: { current: (string | null)[]; changes: number; ready: string[] } | null = null;
    const running = runPmx(fleet, { 'pre-deploy': 'npm ci' }, {
      onEvent: (e) => {
        if (e.kind === 'phase-done' && e.phase === 'pre-deploy') ready.add(e.host!);
      },
    });
    await slow.reached;
    // h1 and h2 get through pre-deploy and wait: nothing is live anywhere yet
    for (let waited = 0; ready.size < 2 && waited < 2000; waited++) await new Promise((resolve) => setTimeout(resolve, 1));
    seen = { current: fleet.hosts.map((h) => h.currentRelease), changes: fleet.changes.length, ready: [...ready].sort() };
    slow.release();
    const run = await running;
    expect(seen).toEqual({ current: [A, A, A], changes: 0, ready: ['h1', 'h2'] });
    expect(statuses(run)).toEqual(['deployed', 'deployed', 'deployed']);
    const lastReady = at(run.events, 'phase-done', 'h3', 'pre-deploy');
    for (const host of ['h1', 'h2', 'h3']) expect(at(run.events, 'phase-start', host, 'publish')).toBeGreaterThan(lastReady);
  });

  it('a host goes from its lock to its fetch without waiting for a slower host, when nothing runs locally in between', async () => {
    const fleet = fleetOf(3);
    const slow = fleet.holdAt('h3', 'check');
    let onPrepared: () => void = () => undefined;
    const prepared = new Promise<void>((resolve) => (onPrepared = resolve));
    const running = runPmx(fleet, {}, { onEvent: (e) => e.kind === 'phase-done' && e.host === 'h1' && e.phase === 'create release' && onPrepared() });
    await slow.reached;
    // h1 fetches and creates its release while h3's check is held; were the stages still apart, this would never come
    const bound = new Promise<string>((resolve) => setTimeout(() => resolve('h1 waited for h3'), 5000).unref());
    expect(await Promise.race([prepared.then(() => 'h1 prepared'), bound])).toBe('h1 prepared');
    expect(fleet.changes).toEqual([]); // the barrier before publish stands
    slow.release();
    const run = await running;
    expect(statuses(run)).toEqual(['deployed', 'deployed', 'deployed']);
  });

  it('with pre-deploy-local, every host is checked and locked before the hook runs and before any host fetches', async () => {
    const fleet = fleetOf(3);
    const run = await runPmx(fleet, { 'pre-deploy-local': 'true' });
    expect(statuses(run)).toEqual(['deployed', 'deployed', 'deployed']);
    const hook = run.events.findIndex((e) => e.kind === 'phase-start' && e.host === null && e.phase === 'pre-deploy-local');
    for (const host of ['h1', 'h2', 'h3']) {
      expect(at(run.events, 'phase-done', host, 'lock')).toBeLessThan(hook);
      expect(at(run.events, 'phase-start', host, 'fetch')).toBeGreaterThan(hook);
    }
  });

  it('a host failing before publish leaves every host on its previous release, prepared releases removed', async () => {
    const fleet = fleetOf(3);
    fleet.failAt('h2', 'pre-deploy', 'build broke on h2');
    const run = await runPmx(fleet, { 'pre-deploy': 'npm ci' });
    expect(statuses(run)).toEqual(['cancelled', 'failed', 'cancelled']);
    expect(run.outcomes[1]).toMatchObject({ phase: 'pre-deploy', message: expect.stringContaining('build broke on h2') });
    expect(run.outcomes[0]!.message).toBe('not published: h2 failed in pre-deploy');
    expect(started(run, 'publish')).toEqual([]);
    expect(fleet.changes).toEqual([]);
    for (const host of fleet.hosts) untouched(host);
    expect(run.outcomes.map((o) => [o.release, o.readBack])).toEqual([[A, true], [A, true], [A, true]]);
    expect(added(fleet)).toEqual(['aborted', 'failed', 'aborted']);
  });

  it('a release of the name this run gives there already (two runs in one millisecond, a clock set back) fails that host: it is neither removed nor recorded as failed (the cleanup removed a good older release)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-07T23:01:00.000Z'));
    try {
      const fleet = fleetOf(2);
      const same = releaseName(new Date(), d);
      fleet.hosts[1]!.releases.set(same, d);
      const run = await runPmx(fleet, {});
      expect(statuses(run)).toEqual(['cancelled', 'failed']);
      expect(run.outcomes[1]).toMatchObject({ phase: 'create release', message: expect.stringContaining(`releases/${same} is there already`) });
      expect([...fleet.hosts[1]!.releases.keys()]).toEqual([A, same]);
      expect(fleet.hosts[1]!.currentRelease).toBe(A);
      // the ledger line of the failed run names no release: the one there is not this run's
      expect(fleet.hosts[1]!.revisions.slice(1).map((r) => [r.release, r.result])).toEqual([[null, 'failed']]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('with hook_timeout, a host without `timeout` fails at check, before anything changes (its hooks, and its rollback\'s, would fail after publish)', async () => {
    const fleet = fleetOf(3);
    fleet.hosts[1]!.hasTimeout = false;
    const run = await runPmx(fleet, { hook_timeout: '10m' });
    expect(statuses(run)).toEqual(['cancelled', 'failed', 'cancelled']);
    expect(run.outcomes[1]).toMatchObject({ phase: 'check', message: expect.stringContaining('timeout (coreutils or busybox) is not installed; hook_timeout runs every hook under it') });
    expect(fleet.changes).toEqual([]);
    for (const host of fleet.hosts) untouched(host);
  });

  it('a host down at check fails there, the others do not publish', async () => {
    const fleet = fleetOf(3);
    fleet.host('h3').down = true;
    const run = await runPmx(fleet, {});
    expect(statuses(run)).toEqual(['cancelled', 'cancelled', 'failed']);
    expect(run.outcomes[2]).toMatchObject({ phase: 'check', message: expect.stringContaining('connection refused'), readBack: false, release: null });
    // no host was locked yet: none has a line of this run, and the outcome (--json) must not say it has
    expect(added(fleet)).toEqual(['', '', '']);
    expect(run.outcomes.map((o) => o.recorded)).toEqual([null, null, null]);
    expect(fleet.changes).toEqual([]);
    for (const host of fleet.hosts) untouched(host);
  });

  it('a host locked by another deploy refuses this one, naming the holder; no host publishes and the other lock is kept', async () => {
    const fleet = fleetOf(3);
    fleet.host('h2').lockedBy = 0;
    const run = await runPmx(fleet, {});
    expect(statuses(run)).toEqual(['cancelled', 'failed', 'cancelled']);
    expect(run.outcomes[1]).toMatchObject({ phase: 'lock', message: expect.stringContaining('h2: /srv/app is locked by other@test (pid 1: pmx deploy other) since 2025-01-01T00:00:00.000Z') });
    expect(fleet.changes).toEqual([]);
    expect(fleet.hosts.map((h) => h.lockedBy)).toEqual([null, 0, null]);
    // h1 and h3 took their locks in the same round trip as h2's refusal, so they record their abort;
    // the host that did not get the lock writes nothing in the ledger: the other deploy owns it
    expect(added(fleet)).toEqual(['aborted', '', 'aborted']);
    expect(run.outcomes.map((o) => o.recorded)).toEqual([true, null, true]);
  });

  it('hosts that resolved the ref to different commits do not publish (a push during the deploy)', async () => {
    const fleet = fleetOf(3);
    fleet.host('h3').sha = c;
    const run = await runPmx(fleet, {});
    expect(statuses(run)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(run.outcomes[0]!.message).toBe(`not published: the hosts resolved origin/main to different commits (h1 ddddddd, h2 ddddddd, h3 ccccccc); deploy again`);
    expect(fleet.changes).toEqual([]);
    for (const host of fleet.hosts) untouched(host);
  });
});

describe('publish and after', () => {
  it('without a ramp a failed switch sends every host of the fleet back before any reload', async () => {
    const fleet = fleetOf(3);
    fleet.failAt('h2', 'publish');
    const run = await runPmx(fleet, {});
    expect(statuses(run)).toEqual(['rolled-back', 'failed', 'rolled-back']);
    expect(run.outcomes[1]!.message).toContain(`current stays on ${A}`);
    expect(run.outcomes[0]!.message).toMatch(new RegExp(`^publish failed on h2; rolled back to ${A}`));
    expect(fleet.hosts.map((h) => [h.currentRelease, h.serving, [...h.releases.keys()]])).toEqual(fleet.hosts.map(() => [A, A, [A]]));
    expect(started(run, 'post-deploy')).toEqual([]);
    expect(added(fleet)).toEqual(['rolled-back', 'failed', 'rolled-back']);
  });

  it('a host whose connection broke right after its switch is reached again, put back on its previous release, and records that in its ledger', async () => {
    const fleet = fleetOf(3);
    fleet.dropAt('h2', 'publish', { after: true });
    const run = await runPmx(fleet, {});
    expect(statuses(run)).toEqual(['rolled-back', 'failed', 'rolled-back']);
    expect(run.outcomes[1]!).toMatchObject({ message: expect.stringContaining(`current stays on ${A}`), readBack: true, release: A, recorded: true });
    expect(run.outcomes[1]!.notes.join(' ')).not.toContain('ledger');
    // h2 really switched, then went back: current never stays on the new release
    expect(fleet.changes.filter((change) => change.host === 'h2').map((change) => [change.phase, change.current])).toEqual([['publish', run.outcomes[1]!.target], ['rollback', A]]);
    for (const host of fleet.hosts) untouched(host);
    // the line is written over the new connection, under the lock's record that still names the run
    expect(added(fleet)).toEqual(['rolled-back', 'failed', 'rolled-back']);
  });

  it('after the switch each host goes on alone: a failed health check rolls back only that host, reloads its previous release and marks the new one bad', async () => {
    const fleet = fleetOf(3);
    fleet.host('h2').sick.add(d);
    const run = await runPmx(fleet, { healthcheck: health });
    expect(statuses(run)).toEqual(['deployed', 'rolled-back', 'deployed']);
    const fresh = run.outcomes[0]!.release!;
    expect(run.outcomes[1]).toMatchObject({ phase: 'health check', release: A, readBack: true, message: expect.stringMatching(new RegExp(`health check .* failed 1 time: unhealthy: ${fresh}; rolled back to ${A}$`)) });
    expect(fleet.hosts.map((h) => [h.currentRelease, h.serving])).toEqual([[fresh, fresh], [A, A], [fresh, fresh]]);
    expect([...fleet.host('h2').releases.keys()]).toEqual([A]);
    expect(added(fleet)).toEqual(['success', 'bad', 'success']);
  });

  it('auto_rollback false leaves the failed host on the new release and says so', async () => {
    const fleet = fleetOf(3);
    fleet.host('h2').sick.add(d);
    const run = await runPmx(fleet, { healthcheck: health, auto_rollback: false });
    expect(statuses(run)).toEqual(['deployed', 'failed', 'deployed']);
    const fresh = run.outcomes[0]!.release!;
    expect(run.outcomes[1]).toMatchObject({ release: fresh, message: expect.stringContaining(`auto_rollback is off: current stays on ${fresh}`) });
    expect(fleet.hosts.map((h) => h.currentRelease)).toEqual([fresh, fresh, fresh]);
    expect(added(fleet)).toEqual(['success', 'bad', 'success']);
  });
});

describe('pruning', () => {
  it('keeps the release that served when the run began even when no ledger line names it (a killed run published it)', async () => {
    const fleet = fleetOf(1);
    const host = fleet.host('h1');
    host.releases.set(B, b);
    host.current = `releases/${B}`;
    host.serving = B;
    const run = await runPmx(fleet, {});
    expect(statuses(run)).toEqual(['deployed']);
    expect([...host.releases.keys()].sort()).toEqual([A, B, run.outcomes[0]!.release].sort());
  });
});

describe('a canary ramp (rolling)', () => {
  it("rolling [1, '25%', '100%'] on 8 hosts publishes 1, then 1, then 6, each batch after the one before passed its health check", async () => {
    const fleet = fleetOf(8);
    const run = await runPmx(fleet, { healthcheck: health, rolling: [1, '25%', '100%'] });
    expect(statuses(run)).toEqual(fleet.hosts.map(() => 'deployed'));
    const labels = fleet.hosts.map((h) => h.label);
    const batches = [labels.slice(0, 1), labels.slice(1, 2), labels.slice(2)];
    expect(run.ramp).toMatchObject({ rolling: 'steps 1, 25%, 100%', batches, published: 3, failed: [], stopped: null });
    expect(run.events.flatMap((e) => (e.kind === 'batch-start' ? [`${e.batch}/${e.of}: ${e.hosts.join(' ')}`] : []))).toEqual(batches.map((hosts, i) => `${i + 1}/3: ${hosts.join(' ')}`));
    for (const [i, batch] of batches.entries()) {
      if (i === 0) continue;
      const passed = Math.max(...batches[i - 1]!.map((host) => at(run.events, 'phase-done', host, 'health check')));
      for (const host of batch) expect(at(run.events, 'phase-start', host, 'publish'), `${host} published before batch ${i} passed`).toBeGreaterThan(passed);
    }
    // the switches on the hosts themselves, in order: h1, h2, then the six others
    const switched = fleet.changes.filter((change) => change.phase === 'publish').map((change) => change.host);
    expect([switched.slice(0, 2), switched.slice(2).sort()]).toEqual([['h1', 'h2'], labels.slice(2).sort()]);
  });

  it('a failing batch stops the ramp: the published batches go back, later batches never publish', async () => {
    const fleet = fleetOf(4);
    fleet.host('h2').sick.add(d);
    const run = await runPmx(fleet, { healthcheck: health, rolling: [1, '50%', '100%'] });
    expect(statuses(run)).toEqual(['rolled-back', 'rolled-back', 'cancelled', 'cancelled']);
    expect(run.ramp).toMatchObject({ published: 2, failed: ['h2'], stopped: { batch: 2, reason: 'h2 failed in health check' } });
    expect(run.outcomes[0]!.message).toBe(`the ramp stopped: batch 2 failed (h2); rolled back to ${A}`);
    expect(run.outcomes[2]!.message).toBe('not published: batch 2 failed (h2)');
    expect(fleet.changes.map((change) => change.host).filter((host) => host === 'h3' || host === 'h4')).toEqual([]);
    for (const host of fleet.hosts) untouched(host);
    expect(added(fleet)).toEqual(['rolled-back', 'bad', 'aborted', 'aborted']);
  });

  it('max_fail 1 tolerates one failed host: it goes back alone and the ramp goes on', async () => {
    const fleet = fleetOf(4);
    fleet.host('h2').sick.add(d);
    const run = await runPmx(fleet, { healthcheck: health, rolling: [1, '50%', '100%'], max_fail: 1 });
    expect(statuses(run)).toEqual(['deployed', 'rolled-back', 'deployed', 'deployed']);
    expect(run.ramp).toMatchObject({ maxFail: '1', allowed: 1, published: 3, failed: ['h2'], stopped: null });
    expect(run.outcomes[1]!.notes.join(' ')).toContain('within max_fail 1 (1 of 1 allowed failures): the ramp went on');
    const fresh = run.outcomes[0]!.release!;
    expect(fleet.hosts.map((h) => h.currentRelease)).toEqual([fresh, A, fresh, fresh]);
  });
});

describe("the ramp's closing line says what happened", () => {
  const line = (run: Run): string => rampLine(run.ramp!, styleFor(false));

  it('auto_rollback false: a stopped ramp says the published hosts stayed on the new release, not that they were sent back', async () => {
    const fleet = fleetOf(4);
    fleet.host('h2').sick.add(d);
    const run = await runPmx(fleet, { healthcheck: health, rolling: 1, auto_rollback: false });
    expect(statuses(run)).toEqual(['failed', 'failed', 'cancelled', 'cancelled']);
    const fresh = run.outcomes[0]!.release!;
    expect(fleet.hosts.map((h) => h.currentRelease)).toEqual([fresh, fresh, A, A]);
    expect(run.ramp).toMatchObject({ stopped: { batch: 2, reason: 'h2 failed in health check' }, wentBack: [], stayed: ['h1', 'h2'], unsure: [] });
    expect(line(run)).toBe("ramp (batches of 1, 4 batches, max_fail 0) stopped at batch 2: h2 failed in health check; h1, h2 stayed on the new release (auto_rollback is off) (each host's row says what it serves); batches 3-4 were not published");
  });

  it('a published host whose rollback is cut off is named as perhaps still on the new release; the others went back', async () => {
    const fleet = fleetOf(3);
    fleet.host('h2').sick.add(d);
    fleet.dropAt('h1', 'rollback', { gone: true });
    const run = await runPmx(fleet, { healthcheck: health, rolling: 1 });
    expect(statuses(run)).toEqual(['failed', 'rolled-back', 'cancelled']);
    expect(fleet.host('h1').currentRelease).toBe(run.outcomes[0]!.target);
    expect(fleet.host('h2').currentRelease).toBe(A);
    expect(run.ramp).toMatchObject({ wentBack: ['h2'], stayed: [], unsure: ['h1'] });
    expect(line(run)).toBe("ramp (batches of 1, 3 batches, max_fail 0) stopped at batch 2: h2 failed in health check; h2 went back; h1 may still serve the new release (the rollback failed or could not reach it) (each host's row says what it serves); batch 3 was not published");
  });

  it('every published host sent back: the line says so, as before', async () => {
    const fleet = fleetOf(3);
    fleet.host('h2').sick.add(d);
    const run = await runPmx(fleet, { healthcheck: health, rolling: 1 });
    expect(statuses(run)).toEqual(['rolled-back', 'rolled-back', 'cancelled']);
    expect(line(run)).toBe("ramp (batches of 1, 3 batches, max_fail 0) stopped at batch 2: h2 failed in health check; the published batches were sent back (each host's row says what it serves); batch 3 was not published");
  });

  it('a failure before the barrier stops the ramp before batch 1, naming the host and phase, never "interrupted after batch 0"', async () => {
    const fleet = fleetOf(4);
    fleet.failAt('h4', 'pre-deploy', 'mkdir: Permission denied');
    const run = await runPmx(fleet, { 'pre-deploy': 'npm ci', healthcheck: health, rolling: 1, max_fail: 1 });
    expect(run.interrupted).toBeNull();
    expect(statuses(run)).toEqual(['cancelled', 'cancelled', 'cancelled', 'failed']);
    for (const host of fleet.hosts) untouched(host);
    expect(run.ramp).toMatchObject({ published: 0, stopped: { batch: 1, reason: 'h4 failed in pre-deploy', beforePublish: true } });
    expect(line(run)).toBe('ramp (batches of 1, 4 batches, max_fail 1) stopped before batch 1: h4 failed in pre-deploy (before publish, where max_fail does not apply); batches 1-4 were not published');
  });

  it('an interrupt before publish is said to be before batch 1', async () => {
    const fleet = fleetOf(3);
    const interruption = new Interruption();
    const held = fleet.holdAt('h2', 'pre-deploy');
    void held.reached.then(() => interruption.request('SIGINT'));
    const run = await runPmx(fleet, { 'pre-deploy': 'npm ci', rolling: 1 }, { interruption });
    expect(statuses(run)).toEqual(['aborted', 'aborted', 'aborted']);
    expect(run.ramp).toMatchObject({ published: 0, stopped: null });
    expect(line(run)).toBe('ramp (batches of 1, 3 batches, max_fail 0) interrupted before batch 1; batches 1-3 were not published');
  });

  it('a batch whose only host failed within max_fail is not announced as held with no host', async () => {
    const fleet = fleetOf(3);
    fleet.host('h2').sick.add(d);
    const run = await runPmx(fleet, { healthcheck: health, rolling: 1, max_fail: 1, batch_wait: '50ms' });
    expect(statuses(run)).toEqual(['deployed', 'rolled-back', 'deployed']);
    expect(run.events.flatMap((e) => (e.kind === 'batch-hold' ? [`hold ${e.batch} (${e.hosts.join(', ')})`] : []))).toEqual(['hold 1 (h1)']);
  });
});

describe('revert', () => {
  /** Hosts h1..h3 with A, B and C deployed in turn, on C. */
  function threeReleases(): ScriptedFleet {
    const fleet = new ScriptedFleet(['h1', 'h2', 'h3']);
    for (const host of fleet.hosts) host.seed([{ name: A, sha: a }, { name: B, sha: b }, { name: C, sha: c }]);
    return fleet;
  }

  it('revert n switches every host to the n-th previous successful release, with no fetch and no build', async () => {
    for (const [steps, target] of [[1, B], [2, A]] as const) {
      const fleet = threeReleases();
      const run = await runPmx(fleet, { 'pre-deploy': 'npm ci' }, { command: 'revert', steps });
      expect(statuses(run), `revert ${steps}`).toEqual(['reverted', 'reverted', 'reverted']);
      expect(run.outcomes.map((o) => [o.release, o.readBack])).toEqual(fleet.hosts.map(() => [target, true]));
      expect(fleet.hosts.map((h) => [h.currentRelease, h.serving, h.releases.size])).toEqual(fleet.hosts.map(() => [target, target, 3]));
      expect([...started(run, 'fetch'), ...started(run, 'create release'), ...started(run, 'pre-deploy')]).toEqual([]);
      for (const host of fleet.hosts) expect(host.revisions.at(-1)).toMatchObject({ action: 'revert', release: target, from: C, result: 'success' });
    }
  });

  it('revert skips a release marked bad on one host, or gone from one host', async () => {
    const fleet = threeReleases();
    fleet.host('h2').ledger.push(JSON.stringify({ time: '2025-01-04T00:00:00.000Z', action: 'mark-bad', release: B, ref: null, sha: null, user: 'ops', result: 'bad', from: null }));
    const run = await runPmx(fleet, {}, { command: 'revert', steps: 1 });
    expect(run.outcomes.map((o) => [o.status, o.release])).toEqual(fleet.hosts.map(() => ['reverted', A]));
    const gone = threeReleases();
    gone.host('h3').releases.delete(B);
    const again = await runPmx(gone, {}, { command: 'revert', steps: 1 });
    expect(again.outcomes.map((o) => [o.status, o.release])).toEqual(gone.hosts.map(() => ['reverted', A]));
  });

  it('revert --to picks the release named by a sha prefix', async () => {
    const fleet = threeReleases();
    const run = await runPmx(fleet, {}, { command: 'revert', pick: 'aaaaaaa' });
    expect(run.outcomes.map((o) => [o.status, o.release])).toEqual(fleet.hosts.map(() => ['reverted', A]));
    expect(fleet.hosts.map((h) => h.currentRelease)).toEqual([A, A, A]);
  });

  it('revert refuses, for the whole fleet, a release it cannot go back to: nothing switches and each host says why', async () => {
    for (const [request, why] of [
      [{ steps: 5 }, `not published: cannot go back 5: the fleet is on ${C} and has only 2 releases before it`],
      [{ pick: 'deadbeef' }, "not published: no release matches 'deadbeef' on any host"],
    ] as const) {
      const fleet = threeReleases();
      const run = await runPmx(fleet, {}, { command: 'revert', ...request });
      for (const o of run.outcomes) expect([o.status, o.message, o.release, o.readBack]).toEqual(['cancelled', expect.stringContaining(why), C, true]);
      expect(run.outcomes[0]!.message).toContain(`h3 on ${C} (also has ${A}, ${B})`);
      expect(fleet.changes).toEqual([]);
      expect(fleet.hosts.map((h) => [h.currentRelease, h.releases.size, h.lockedBy])).toEqual(fleet.hosts.map(() => [C, 3, null]));
      for (const host of fleet.hosts) expect(host.revisions.at(-1)).toMatchObject({ action: 'revert', result: 'aborted' });
    }
  });
});

describe('every host reported', () => {
  it('a host gone after publish is reported with what it may serve; the other hosts finish and are read back', async () => {
    const fleet = fleetOf(3);
    fleet.dropAt('h2', 'post-deploy', { gone: true });
    const run = await runPmx(fleet, {});
    expect(run.events.filter((e) => e.kind === 'host-done').map((e) => (e.kind === 'host-done' ? e.outcome.host : '')).sort()).toEqual(['h1', 'h2', 'h3']);
    expect(statuses(run)).toEqual(['deployed', 'failed', 'deployed']);
    const fresh = run.outcomes[0]!.release!;
    expect(run.outcomes[1]).toMatchObject({ phase: 'post-deploy', release: fresh, readBack: false, recorded: false, message: expect.stringContaining(`could not reconnect to roll back: current may still be ${fresh}`) });
    expect(run.outcomes.map((o) => o.readBack)).toEqual([true, false, true]);
    // what the unreachable host was left with, as the summary said
    expect([fleet.host('h2').currentRelease, fleet.host('h2').serving]).toEqual([fresh, A]);
    expect(added(fleet)).toEqual(['success', '', 'success']);
  });

  it('a host that refuses connections for a moment after the loss (its sshd restarting) is reached again and rolled back', async () => {
    const fleet = fleetOf(2);
    const h2 = fleet.host('h2');
    fleet.dropAt('h2', 'post-deploy', { gone: true });
    // back 700 ms after it went down: within the reconnect's few seconds of tries
    const watch = setInterval(() => {
      if (!h2.down) return;
      clearInterval(watch);
      setTimeout(() => (h2.down = false), 700);
    }, 5);
    const run = await runPmx(fleet, {});
    clearInterval(watch);
    expect(statuses(run)).toEqual(['deployed', 'rolled-back']);
    expect([h2.currentRelease, h2.serving]).toEqual([A, A]);
  });
});

describe('interrupts', () => {
  it('an interrupt before publish stops every host: prepared releases removed, nothing switches, the ledger says aborted', async () => {
    const fleet = fleetOf(3);
    const interruption = new Interruption();
    const held = fleet.holdAt('h2', 'pre-deploy');
    void held.reached.then(() => interruption.request('SIGINT'));
    const run = await runPmx(fleet, { 'pre-deploy': 'npm ci' }, { interruption });
    expect(run.interrupted).toBe('SIGINT');
    expect(statuses(run)).toEqual(['aborted', 'aborted', 'aborted']);
    expect(run.outcomes[1]!.message).toBe('interrupted in pre-deploy; the prepared release was removed');
    expect(fleet.changes).toEqual([]);
    for (const host of fleet.hosts) untouched(host);
    expect(added(fleet)).toEqual(['aborted', 'aborted', 'aborted']);
  });

  it('an interrupt after the switch lets every host that switched finish', async () => {
    const fleet = fleetOf(3);
    const interruption = new Interruption();
    const held = fleet.holdAt('h2', 'post-deploy');
    void held.reached.then(() => (interruption.request('SIGINT'), held.release()));
    const run = await runPmx(fleet, {}, { interruption });
    expect(run.interrupted).toBe('SIGINT');
    expect(statuses(run)).toEqual(['deployed', 'deployed', 'deployed']);
    const fresh = run.outcomes[0]!.release!;
    expect(fleet.hosts.map((h) => [h.currentRelease, h.serving, h.lockedBy])).toEqual(fleet.hosts.map(() => [fresh, fresh, null]));
    expect(added(fleet)).toEqual(['success', 'success', 'success']);
  });

  it('what a second Ctrl-C would leave: during a rollback, current may be on either release; after a failed post-deploy, it says so', async () => {
    const fleet = fleetOf(2);
    fleet.host('h2').sick.add(d);
    const interruption = new Interruption();
    const held = fleet.holdAt('h2', 'rollback');
    let during: string[] = [];
    void held.reached.then(() => ((during = interruption.leftovers()), held.release()));
    const run = await runPmx(fleet, { healthcheck: health }, { interruption });
    const fresh = run.outcomes[0]!.release!;
    expect(during).toContainEqual(`h2: rollback was running there and may go on until it ends (the next deploy there is refused until then, or waits for it with lock_timeout); current points at ${fresh} or already back at ${A} (its post-deploy may run again); its ledger may have no line for this run; its deploy lock is released when the SSH session closes`);

    const failing = fleetOf(1);
    failing.failAt('h1', 'post-deploy');
    const quit = new Interruption();
    const finish = failing.holdAt('h1', 'finish');
    void finish.reached.then(() => ((during = quit.leftovers()), finish.release()));
    const second = await runPmx(failing, { auto_rollback: false }, { interruption: quit });
    expect(second.outcomes[0]!.status).toBe('failed');
    expect(during).toEqual([expect.stringContaining(`current points at ${second.outcomes[0]!.release} (post-deploy failed)`)]);
  });

  it('an interrupt during a ramp: the published batch keeps the release, later batches do not publish', async () => {
    const fleet = fleetOf(3);
    const interruption = new Interruption();
    const held = fleet.holdAt('h1', 'health check');
    void held.reached.then(() => (interruption.request('SIGINT'), held.release()));
    const run = await runPmx(fleet, { healthcheck: health, rolling: 1 }, { interruption });
    expect(statuses(run)).toEqual(['deployed', 'aborted', 'aborted']);
    expect(run.outcomes[1]!.message).toBe('interrupted (SIGINT) before this batch published');
    expect(run.ramp).toMatchObject({ published: 1, stopped: null });
    expect(fleet.host('h1').currentRelease).toBe(run.outcomes[0]!.release);
    for (const host of fleet.hosts.slice(1)) untouched(host);
    expect(added(fleet)).toEqual(['success', 'aborted', 'aborted']);
  });
});
