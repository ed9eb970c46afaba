// Interrupts and dead hosts beyond the fault matrix, on 3 real hosts: a second Ctrl-C quits at
// once and says what may be left; setup and revert interrupted stop cleanly; a partitioned host is
// given up within ServerAliveInterval x (ServerAliveCountMax + 1) and its lock does not outlive the lease.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execOnHost, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { fault, hostState, installFaultWrappers, settledState, spawnDeploy, summaryRow } from './faults.js';
import { Interruption } from '../../cli/deploy/interrupt.js';
import { createAppRepo, deploy, environment, servingEverywhere, transcript, useFreshBundle, type AppRepo } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
let count = 0;

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 3, name: 'deploy-interrupts' });
  hosts = env.hosts;
  const hooks = {
    strategy: 'release',
    'pre-deploy': 'pre-deploy "$(cat VERSION)"',
    // it prints after the fault's hold: a hook left running by a CLI that is gone must not die of its next line
    'post-deploy': 'post-deploy "$(cat VERSION)" && echo "post-deploy of $(cat VERSION) goes on" && pmx startOrReload ecosystem.config.js --env production',
  };
  app = createAppRepo(env, (origin) => ({
    production: environment(env, hosts, origin, hooks),
    // a silent host is dead after 1 s x 2
    partition: environment(env, hosts, origin, { ...hooks, ssh_options: [`UserKnownHostsFile=${env.knownHostsPath}`, 'ConnectTimeout=2', 'ServerAliveInterval=1', 'ServerAliveCountMax=2'] }),
  }));
  const setup = await deploy({ file: app.file, envName: 'production', command: 'setup' });
  expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done', 'done']);
  await installFaultWrappers(hosts);
  await release(['deployed', 'deployed', 'deployed']);
}, 90_000);
afterAll(async () => {
  if (env) await stopHosts(env);
});

function next(): string {
  const version = `i${String(++count).padStart(2, '0')}`;
  app.commit(version);
  return version;
}

async function release(expected: string[]): Promise<string> {
  const version = next();
  const run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
  expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(expected);
  await servingEverywhere(hosts, version);
  return version;
}

describe('a second Ctrl-C', () => {
  it('quits at once during post-deploy and says, per host, what may be left; the next deploy repairs it', async () => {
    const version = next();
    const undo = await fault(hosts[1]!, 'post-deploy', 'hold', version);
    // the CLI's own temporary files (the release archive) go too
    const temp = mkdtempSync(join(tmpdir(), 'pmx-quit-tmp-'));
    try {
      const cli = spawnDeploy(['production'], app.dir, { TMPDIR: temp });
      await cli.line(/fault: post-deploy holds/);
      cli.signal('SIGINT');
      await cli.line(/interrupted \(SIGINT\): hosts that switched current finish post-deploy/);
      cli.signal('SIGINT');
      const quit = await cli.done;
      expect(quit.code).toBe(130);
      expect(readdirSync(temp)).toEqual([]);
      expect(quit.stderr).toContain('SIGINT again: quitting now, without waiting for the hosts. What may be left:');
      expect(quit.stderr).toMatch(new RegExp(`${hosts[1]!.address.replace(/\./g, '\\.')}: post-deploy was running there and may go on until it ends \\(the next deploy there is refused until then, or waits for it with lock_timeout\\); current points at \\S+ \\(post-deploy had not finished\\); its ledger may have no line for this run; its deploy lock is released when the SSH session closes`));
    } finally {
      await undo();
      rmSync(temp, { recursive: true, force: true });
    }
    // the locks end with the sessions; the hook left running on h2 goes on (it prints after the quit) and ends
    for (const host of hosts) expect((await settledState(host)).lockFree).toBe(true);
    const left = await settledState(hosts[1]!);
    expect(left.workFree).toBe(true);
    expect((await execOnHost(hosts[1]!, `cat /srv/app/.pmx/logs/${left.current}.log`)).stdout).toContain(`post-deploy of ${version} goes on`);
    // the next deploy takes the fleet to one release again
    await release(['deployed', 'deployed', 'deployed']);
  }, 60_000);
});

describe('a second Ctrl-C while a stopped ramp goes back', () => {
  it('says a host whose rollback finished is back on its previous release, not on the new one', async () => {
    const [h1, h2] = [hosts[0]!, hosts[1]!];
    const old = (await hostState(h2)).version;
    const before = (await hostState(h2)).current;
    const version = next();
    // batch 2 (h2) fails post-deploy: the ramp stops, h2 goes back, then batch 1 (h1), whose reload of the old release holds
    const undoFail = await fault(h2, 'post-deploy', 'fail', version);
    const undoHold = await fault(h1, 'post-deploy', 'hold', old);
    const interruption = new Interruption();
    let left: string[] = [];
    try {
      const run = await deploy({
        file: app.file,
        envName: 'production',
        command: 'deploy',
        rolling: { every: { hosts: 1 } },
        interruption,
        onEvent: (event) => {
          if (event.kind !== 'output' || event.host !== h1.address || event.phase !== 'rollback' || !event.line.includes('fault: post-deploy holds')) return;
          interruption.request('SIGINT');
          left = interruption.leftovers(); // what a second Ctrl-C prints now
          void undoHold();
        },
      });
      expect(run.interrupted, transcript(run)).toBe('SIGINT');
    } finally {
      await undoHold();
      await undoFail();
    }
    const back = left.find((line) => line.startsWith(`${h2.address}: `));
    expect(back, left.join('\n')).toBe(`${h2.address}: rolled back: current points at ${before} again (its post-deploy ran again); its ledger may have no line for this run; its deploy lock is released when the SSH session closes`);
    expect(left.find((line) => line.startsWith(`${h1.address}: `))).toMatch(new RegExp(`^${h1.address.replace(/\./g, '\\.')}: rollback was running there .*; current points at \\S+ or already back at ${before} \\(its post-deploy may run again\\)`));
    expect((await hostState(h2)).current).toBe(before); // what the line said is true
    await release(['deployed', 'deployed', 'deployed']);
  }, 60_000);
});

describe('a deploy killed (kill -9) while its post-deploy hook runs', () => {
  it('leaves the hook running: the next run is refused there, naming the killed run, until the hook ends; then it reverts for good', async () => {
    const host = hosts[1]!;
    const before = await settledState(host);
    const version = next();
    const undo = await fault(host, 'post-deploy', 'hold', version);
    // a CLI killed with SIGKILL cleans nothing: its temporary files go in a folder of the test's
    const temp = mkdtempSync(join(tmpdir(), 'pmx-killed-tmp-'));
    try {
      const cli = spawnDeploy(['production', '--hosts', host.address], app.dir, { TMPDIR: temp });
      await cli.line(/fault: post-deploy holds/);
      cli.signal('SIGKILL');
      await cli.done;
      // the lock ends with the killed CLI's session; the hook it started goes on
      const orphaned = await settledState(host, '/srv/app', 5000, (state) => state.lockFree);
      expect([orphaned.lockFree, orphaned.workFree]).toEqual([true, false]);
      const refused = await deploy({ file: app.file, envName: 'production', command: 'revert', steps: 1, select: { hosts: [host.address] } });
      expect(refused.outcomes.map((o) => o.status), transcript(refused)).toEqual(['failed']);
      expect(transcript(refused)).toMatch(/still busy with a command of an earlier deploy, \S+ \(pid \d+: pmx deploy production deploy\)/);
      const untouched = await hostState(host);
      expect(untouched.current).not.toBe(before.current);
      expect(untouched.releases).toEqual(orphaned.releases);
    } finally {
      await undo();
      rmSync(temp, { recursive: true, force: true });
    }
    // the hook goes on, printing into a channel that is gone, and ends: it reloads what the killed
    // run published, and what it printed after the kill is in the release's log
    const ended = await settledState(host);
    expect(ended.workFree).toBe(true);
    await servingEverywhere([host], version);
    const log = (await execOnHost(host, `cat /srv/app/.pmx/logs/${ended.current}.log`)).stdout;
    expect(log).toContain(`post-deploy of ${version} goes on`);
    // the revert then holds
    const reverted = await deploy({ file: app.file, envName: 'production', command: 'revert', steps: 1, select: { hosts: [host.address] } });
    expect(reverted.outcomes.map((o) => o.status), transcript(reverted)).toEqual(['reverted']);
    await servingEverywhere([host], before.version);
    const after = await settledState(host);
    expect([after.current, after.lockFree, after.workFree]).toEqual([before.current, true, true]);
    // the fleet on one release again for the tests after this one
    await release(['deployed', 'deployed', 'deployed']);
  }, 90_000);
});

describe('setup and revert interrupted', () => {
  it('setup: hosts that got through are done, the interrupted one says to run setup again; no lock is held', async () => {
    const undo = await fault(hosts[2]!, 'mkdir', 'hold', 'releases');
    let result: { code: number; stdout: string };
    try {
      const cli = spawnDeploy(['production', 'setup'], app.dir);
      await cli.line(new RegExp(`\\[${hosts[2]!.address.replace(/\./g, '\\.')}\\] layout$`));
      cli.signal('SIGTERM');
      result = await cli.done;
    } finally {
      await undo();
    }
    expect(result.code, result.stdout).toBe(143);
    expect(summaryRow(result.stdout, hosts[2]!.address)).toMatchObject({ status: 'aborted' });
    expect(result.stdout).toMatch(/interrupted in layout/);
    for (const host of hosts) expect((await settledState(host)).lockFree).toBe(true);
  }, 60_000);

  it('revert: before its switch nothing changes and the ledger says aborted; after it, every host finishes on the target', async () => {
    const old = await release(['deployed', 'deployed', 'deployed']);
    const current = await release(['deployed', 'deployed', 'deployed']);
    const before = await Promise.all(hosts.map((host) => hostState(host)));
    const undo = await fault(hosts[1]!, 'ls', 'hold', '-1');
    let result: { code: number; stdout: string };
    try {
      const cli = spawnDeploy(['production', 'revert'], app.dir);
      await cli.line(new RegExp(`\\[${hosts[1]!.address.replace(/\./g, '\\.')}\\] select release$`));
      cli.signal('SIGINT');
      // the held read was ended; the read back at the end must not be held again
      await cli.line(/interrupted \(SIGINT\): stopping every host before publish/);
      await undo();
      result = await cli.done;
    } finally {
      await undo();
    }
    expect(result.code, result.stdout).toBe(130);
    expect((await servingEverywhere(hosts, current)).map((a) => a.version)).toEqual([current, current, current]);
    for (const [i, host] of hosts.entries()) {
      const state = await settledState(host);
      expect(state.lockFree).toBe(true);
      // a host still connecting when the interrupt came never locked: nothing to record there
      const added = state.ledger.slice(before[i]!.ledger.length).map((line) => [line.action, line.result]);
      const allowed = i === 1 ? [[['revert', 'aborted']]] : [[], [['revert', 'aborted']]];
      expect(allowed, result.stdout).toContainEqual(added);
    }
    // after its switch: post-deploy is held on h2, the interrupt lets it finish
    const held = await fault(hosts[1]!, 'post-deploy', 'hold', old);
    try {
      const cli = spawnDeploy(['production', 'revert'], app.dir);
      await cli.line(/fault: post-deploy holds/);
      cli.signal('SIGINT');
      await cli.line(/interrupted \(SIGINT\)/);
      await held();
      result = await cli.done;
    } finally {
      await held();
    }
    expect(result.code).toBe(130);
    expect(hosts.map((host) => summaryRow(result.stdout, host.address)?.status)).toEqual(['reverted', 'reverted', 'reverted']);
    expect((await servingEverywhere(hosts, old)).map((a) => a.version)).toEqual([old, old, old]);
  }, 90_000);
});

describe('a host cut off by a network partition', () => {
  it('is declared dead within ServerAliveInterval x (ServerAliveCountMax + 1); no host publishes; its lock expires with the lease', async () => {
    const old = await release(['deployed', 'deployed', 'deployed']);
    const version = next();
    const h3 = hosts[2]!;
    const undo = await fault(h3, 'pre-deploy', 'hold', version);
    let cut = 0;
    let dead = 0;
    try {
      const run = await deploy({
        file: app.file,
        envName: 'partition',
        command: 'deploy',
        onEvent: (event) => {
          if (event.kind === 'output' && event.host === h3.address && event.line.includes('fault: pre-deploy holds') && cut === 0) {
            cut = -1;
            void execOnHost(h3, 'ip link set eth0 down').then(() => (cut = Date.now()));
          }
          if (event.kind === 'phase-failed' && event.host === h3.address && dead === 0) dead = Date.now();
        },
      });
      // 1 s x (2 + 1): two probes unanswered, given up at the third check
      expect(dead - cut, transcript(run)).toBeLessThan(3000 + 1000);
      const lost = run.byHost[h3.address]!;
      expect([lost.status, lost.phase, lost.readBack], transcript(run)).toEqual(['failed', 'pre-deploy', false]);
      expect(lost.message).toMatch(/connection lost/);
      expect(run.outcomes.slice(0, 2).map((o) => o.status)).toEqual(['cancelled', 'cancelled']);
    } finally {
      await execOnHost(h3, 'ip link set eth0 up');
      await undo();
    }
    expect((await servingEverywhere(hosts, old)).map((a) => a.version)).toEqual([old, old, old]);
    // h3's session is gone from our side only: its lock ends with the lease (2 x 1 s x (2 + 1)), not hours later
    expect((await settledState(h3, '/srv/app', 12_000)).lockFree).toBe(true);
    // the next deploy removes what h3 had prepared
    const again = await release(['deployed', 'deployed', 'deployed']);
    const state = await hostState(h3);
    const ok = new Set(state.ledger.filter((line) => line.result === 'success').map((line) => line.release));
    expect(state.releases.filter((name) => !ok.has(name))).toEqual([]);
    expect(state.version).toBe(again);
  }, 90_000);

  // revert reads each host's releases and ledger in the command that holds its lock: a host cut off in that read
  it('revert: a host cut off while it reads its releases under the lock fails in select release; no host switches', async () => {
    const current = await release(['deployed', 'deployed', 'deployed']);
    const h3 = hosts[2]!;
    const undo = await fault(h3, 'ls', 'hold', '-1');
    let cut = 0;
    try {
      const run = await deploy({
        file: app.file,
        envName: 'partition',
        command: 'revert',
        onEvent: (event) => {
          if (event.kind === 'phase-start' && event.host === h3.address && event.phase === 'select release' && cut === 0) {
            cut = -1;
            void execOnHost(h3, 'ip link set eth0 down').then(() => (cut = Date.now()));
          }
        },
      });
      const lost = run.byHost[h3.address]!;
      expect([lost.status, lost.phase, lost.readBack], transcript(run)).toEqual(['failed', 'select release', false]);
      expect(lost.message).toMatch(/connection lost/);
      expect(run.outcomes.slice(0, 2).map((o) => [o.status, o.release]), transcript(run)).toEqual([
        ['cancelled', run.outcomes[0]!.previous],
        ['cancelled', run.outcomes[1]!.previous],
      ]);
    } finally {
      await execOnHost(h3, 'ip link set eth0 up');
      await undo();
    }
    expect((await servingEverywhere(hosts, current)).map((a) => a.version)).toEqual([current, current, current]);
    // once its read ends, the command holding h3's lock beats no more and lets it go with the lease
    expect((await settledState(h3, '/srv/app', 12_000)).lockFree).toBe(true);
  }, 90_000);
});
