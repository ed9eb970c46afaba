// The fault matrix of issue 15 on 3 real hosts, reused from cell to cell: a failure injected on
// one host (h2) at each phase, and a Ctrl-C (SIGINT to the real CLI) during each phase, delivered
// when the CLI prints that phase. Every cell checks what a user relies on afterwards: every host
// serves one release (or the documented split) and it is the one the summary names, read back;
// each host's ledger says what happened; no lock is held; no partial release or upload is left;
// the exit code is non-zero whenever the new release is not serving everywhere.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostOutcome } from '../../cli/deploy/events.js';
import { hostFileExists, hostPids, startHosts, startSshd, stopHosts, stopSshd, type HostsHandle, type TestHost } from '../hosts/index.js';
import { breakWith, fault, hostState, installFaultWrappers, settledState, spawnDeploy, summaryRow, type HostState } from './faults.js';
import { createAppRepo, deploy, deployCli, environment, servingEverywhere, transcript, useFreshBundle, type AppRepo } from './helpers.js';
import { eventually } from '../helpers/pmx.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
const local = mkdtempSync(join(tmpdir(), 'pmx-matrix-'));
const holdLocal = join(local, 'hold');
let count = 0;
/** The version each host serves between cells (a cell may leave a documented split; the next starts from it). */
let serving = ['m00', 'm00', 'm00'];

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 3, name: 'deploy-matrix' });
  hosts = env.hosts;
  app = createAppRepo(env, (origin) => ({
    matrix: environment(env, hosts, origin, {
      strategy: 'release',
      keep_releases: 3,
      shared_dirs: ['data'],
      'pre-deploy-local': `test ! -e ${holdLocal} || { echo holding here; while test -e ${holdLocal}; do sleep 0.05; done; }`,
      'pre-deploy': 'pre-deploy "$(cat VERSION)" && echo built',
      'post-deploy': 'post-deploy "$(cat VERSION)" && pmx startOrReload ecosystem.config.js --env production',
      healthcheck: { command: 'health "$(cat VERSION)"', retries: 0, timeout: '3s' },
    }),
  }));
  const setup = await deploy({ file: app.file, envName: 'matrix', command: 'setup' });
  expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done', 'done']);
  await installFaultWrappers(hosts);
  const version = next();
  const first = await deploy({ file: app.file, envName: 'matrix', command: 'deploy' });
  expect(first.outcomes.map((o) => o.status), transcript(first)).toEqual(['deployed', 'deployed', 'deployed']);
  await servingEverywhere(hosts, version);
  serving = [version, version, version];
}, 120_000);
afterAll(async () => {
  if (env) await stopHosts(env);
  rmSync(local, { recursive: true, force: true });
});

/** Commits the next version (m01, m02, ...: no version is a prefix of another). */
function next(): string {
  const version = `m${String(++count).padStart(2, '0')}`;
  app.commit(version);
  return version;
}

type Serves = 'old' | 'new';
/** What a cell must end with, per host (h1, h2, h3). */
interface Expected {
  exit: number;
  status: [string, string, string];
  serves: [Serves, Serves, Serves];
  /** The results of the ledger lines this run may add on each host ('' for none). */
  ledger: [string[], string[], string[]];
}

/** Every invariant of a cell, read from the hosts themselves. */
async function verify(cell: string, before: HostState[], old: string[], fresh: string, exit: number, outcomes: { status: string; release: string | null; readBack: boolean }[], expected: Expected): Promise<void> {
  const why = `${cell}:\n${JSON.stringify(outcomes, null, 1)}`;
  expect(exit, why).toBe(expected.exit);
  expect(outcomes.map((o) => o.status), why).toEqual(expected.status);
  const versions = expected.serves.map((s, i) => (s === 'old' ? old[i]! : fresh));
  const answers = await Promise.all(hosts.map((host, i) => servingEverywhere([host], versions[i]!)));
  expect(answers.map((a) => a[0]!.version), why).toEqual(versions);
  const states = await Promise.all(hosts.map((host) => settledState(host)));
  for (const [i, host] of hosts.entries()) {
    const state = states[i]!;
    const at = `${why}\n${host.name}`;
    // the summary names what the host serves, as read back (a host that could not be reached says so)
    if (outcomes[i]!.readBack) expect(outcomes[i]!.release, at).toBe(state.current);
    expect(state.version, `${at} current`).toBe(versions[i]);
    const added = state.ledger.slice(before[i]!.ledger.length).map((line) => String(line.result));
    expect(added.length, `${at} ledger ${JSON.stringify(added)}`).toBeLessThanOrEqual(1);
    expect(expected.ledger[i], `${at} ledger ${JSON.stringify(added)}`).toContain(added[0] ?? '');
    expect(state.lockFree, `${at} lock`).toBe(true);
    // every release directory is current, a recorded success or what current was before the run (kept: where a user goes back by hand): nothing half-made, no upload left
    const ok = new Set(state.ledger.filter((line) => line.result === 'success' && line.action === 'deploy').map((line) => line.release));
    expect(state.releases.filter((name) => name !== state.current && name !== before[i]!.current && !ok.has(name)), `${at} leftovers`).toEqual([]);
    expect(state.uploads, `${at} uploads`).toEqual([]);
    // a held command was ended with its process group, not left waiting
    expect((await hostPids(host)).map(commandLine).filter((c) => c.includes('fault-wrapper')), `${at} processes`).toEqual([]);
  }
  serving = versions;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return ''; // ended meanwhile
  }
}

const none = [''];
const aborted = ['aborted'];
const maybeAborted = ['', 'aborted'];

describe('a failure on one host (h2) at each phase', () => {
  const cells: [string, (h2: TestHost, version: string) => Promise<() => Promise<void>>, Expected][] = [
    ['check', async (h2) => (await stopSshd(h2), () => startSshd(h2)), { exit: 1, status: ['cancelled', 'failed', 'cancelled'], serves: ['old', 'old', 'old'], ledger: [maybeAborted, none, maybeAborted] }],
    ['lock', (h2) => breakWith(h2, 'chown root:root /srv/app/.pmx/lock && chmod 644 /srv/app/.pmx/lock', 'chown deploy:deploy /srv/app/.pmx/lock'), { exit: 1, status: ['cancelled', 'failed', 'cancelled'], serves: ['old', 'old', 'old'], ledger: [maybeAborted, none, maybeAborted] }],
    ['fetch', (h2) => fault(h2, 'mv', 'fail', '.tar.partial'), { exit: 1, status: ['cancelled', 'failed', 'cancelled'], serves: ['old', 'old', 'old'], ledger: [aborted, ['failed'], aborted] }],
    ['create release', (h2) => fault(h2, 'tar', 'fail', '-x'), { exit: 1, status: ['cancelled', 'failed', 'cancelled'], serves: ['old', 'old', 'old'], ledger: [aborted, ['failed'], aborted] }],
    ['link shared', (h2) => fault(h2, 'ln', 'fail', '/shared/'), { exit: 1, status: ['cancelled', 'failed', 'cancelled'], serves: ['old', 'old', 'old'], ledger: [aborted, ['failed'], aborted] }],
    ['pre-deploy', (h2, v) => fault(h2, 'pre-deploy', 'fail', v), { exit: 1, status: ['cancelled', 'failed', 'cancelled'], serves: ['old', 'old', 'old'], ledger: [aborted, ['failed'], aborted] }],
    // the case: a root-owned directory where the new current link is staged
    ['publish', (h2) => breakWith(h2, 'mkdir -p /srv/app/current.pmx-new/x', 'rm -rf /srv/app/current.pmx-new'), { exit: 1, status: ['rolled-back', 'failed', 'rolled-back'], serves: ['old', 'old', 'old'], ledger: [['rolled-back'], ['failed'], ['rolled-back']] }],
    ['post-deploy', (h2, v) => fault(h2, 'post-deploy', 'fail', v), { exit: 1, status: ['deployed', 'rolled-back', 'deployed'], serves: ['new', 'old', 'new'], ledger: [['success'], ['rolled-back'], ['success']] }],
    ['health check', (h2, v) => fault(h2, 'health', 'fail', v), { exit: 1, status: ['deployed', 'rolled-back', 'deployed'], serves: ['new', 'old', 'new'], ledger: [['success'], ['bad'], ['success']] }],
    ['finish', (h2) => breakWith(h2, 'chown root:root /srv/app/.pmx/revisions.log && chmod 644 /srv/app/.pmx/revisions.log', 'chown deploy:deploy /srv/app/.pmx/revisions.log && chmod 600 /srv/app/.pmx/revisions.log'), { exit: 1, status: ['deployed', 'deployed', 'deployed'], serves: ['new', 'new', 'new'], ledger: [['success'], none, ['success']] }],
  ];
  for (const [phase, inject, expected] of cells) {
    it(`fails in ${phase}`, async () => {
      const h2 = hosts[1]!;
      const old = serving;
      const fresh = next();
      const before = await Promise.all(hosts.map((host) => hostState(host)));
      const undo = await inject(h2, fresh);
      let run: Awaited<ReturnType<typeof deployCli>>;
      try {
        run = await deployCli(['matrix'], { json: true }, app.dir);
      } finally {
        await undo();
      }
      const document = JSON.parse(run.stdout) as { ok: boolean; hosts: HostOutcome[] };
      if (phase !== 'finish') expect(document.hosts[1]!.phase, run.stdout).toBe(phase);
      expect(document.ok).toBe(expected.exit === 0);
      if (phase === 'finish') expect(document.hosts[1]!.notes.join(' ')).toContain('the ledger /srv/app/.pmx/revisions.log has no line for this run');
      if (phase === 'check') expect([document.hosts[1]!.readBack, document.hosts[1]!.release]).toEqual([false, null]);
      await verify(phase, before, old, fresh, run.code, document.hosts, expected);
    }, 60_000);
  }
});

describe('Ctrl-C (SIGINT to the CLI) during each phase', () => {
  const hold = async (point: Parameters<typeof fault>[1], pattern: string): Promise<() => Promise<void>> => fault(hosts[1]!, point, 'hold', pattern);
  const before: Expected = { exit: 130, status: ['aborted', 'aborted', 'aborted'], serves: ['old', 'old', 'old'], ledger: [aborted, aborted, aborted] };
  const after: Expected = { exit: 130, status: ['deployed', 'deployed', 'deployed'], serves: ['new', 'new', 'new'], ledger: [['success'], ['success'], ['success']] };
  const cells: [string, RegExp, (version: string) => Promise<() => Promise<void>>, Expected][] = [
    ['check', /\] check$/, () => hold('node', '--version'), { ...before, ledger: [maybeAborted, none, maybeAborted] }],
    ['lock', /\] lock$/, () => hold('flock', '-n'), { ...before, ledger: [maybeAborted, none, maybeAborted] }],
    ['pre-deploy-local', /holding here/, async () => (writeFileSync(holdLocal, ''), async () => rmSync(holdLocal, { force: true })), before],
    ['fetch', /\] fetch$/, () => hold('mv', '.tar.partial'), before],
    ['create release', /\] create release$/, () => hold('tar', '-x'), before],
    ['link shared', /\] link shared$/, () => hold('ln', '/shared/'), before],
    ['pre-deploy', /fault: pre-deploy holds/, (v) => hold('pre-deploy', v), before],
    ['publish', /\] publish$/, () => hold('mv', 'current.pmx-new'), after],
    ['post-deploy', /fault: post-deploy holds/, (v) => hold('post-deploy', v), after],
    ['health check', /\] health check$/, (v) => hold('health', v), after],
    ['finish', /\] finish$/, () => hold('ls', '-1'), after],
  ];
  const finishing = new Set(['publish', 'post-deploy', 'health check', 'finish']);
  for (const [phase, at, inject, expected] of cells) {
    it(`interrupted in ${phase}`, async () => {
      const h2 = hosts[1]!;
      const old = serving;
      const fresh = next();
      const states = await Promise.all(hosts.map((host) => hostState(host)));
      const undo = await inject(fresh);
      let result: { code: number; stdout: string; stderr: string };
      try {
        const cli = spawnDeploy(['matrix'], app.dir);
        const line = phase === 'pre-deploy-local' || phase.includes('-deploy') ? at : new RegExp(`\\[${h2.address.replace(/\./g, '\\.')}\\] ${phase}$`);
        await cli.line(line);
        cli.signal('SIGINT');
        await cli.line(/interrupted \(SIGINT\): /);
        // after publish the run finishes what it started: the held command goes on once released
        if (finishing.has(phase)) await undo();
        result = await cli.done;
      } finally {
        await undo();
      }
      const rows = hosts.map((host) => summaryRow(result.stdout, host.address));
      expect(rows.every((row) => row !== null), result.stdout).toBe(true);
      expect(result.stdout).toContain('matrix deploy (interrupted by SIGINT):');
      const words: Record<string, string> = { deployed: 'deployed', aborted: 'aborted' };
      // a host interrupted while connecting cannot be read back: its row says `?`, and the hosts themselves are checked
      const outcomes = rows.map((row) => ({ status: row!.status, release: row!.release.replace(/\?$/, ''), readBack: !row!.release.endsWith('?') }));
      await verify(`SIGINT in ${phase}\n${result.stdout}\n${result.stderr}`, states, old, fresh, result.code, outcomes, { ...expected, status: expected.status.map((s) => words[s]!) as Expected['status'] });
    }, 60_000);
  }
});

describe("a revert whose connection to one host (h2) is cut while its switch waits", () => {
  it('says where current is on that host as it is: never that it stays on a release it left (the switch finished after the session died)', async () => {
    const h2 = hosts[1]!;
    // a release to go back from, on every host
    next();
    const deployed = await deploy({ file: app.file, envName: 'matrix', command: 'deploy' });
    expect(deployed.outcomes.map((o) => o.status), transcript(deployed)).toEqual(['deployed', 'deployed', 'deployed']);
    const before = await hostState(h2);
    const target = before.releases[before.releases.indexOf(before.current!) - 1]!;
    const undo = await fault(h2, 'mv', 'hold', 'current.pmx-new');
    let result: { code: number; stdout: string; stderr: string };
    try {
      const cli = spawnDeploy(['matrix', 'revert'], app.dir);
      await cli.line(new RegExp(`\\[${h2.address.replace(/\./g, '\\.')}\\] publish$`));
      await eventually('h2 holding its switch', () => hostFileExists(h2, '/srv/fault/mv.holding'));
      // the host's sshd and its sessions go; the switch they left behind finishes on its own
      await stopSshd(h2, { sessions: true });
      await undo();
      await eventually(`h2's current on ${target}`, async () => (await hostState(h2)).current === target);
      await startSshd(h2);
      result = await cli.done;
    } finally {
      await undo();
    }
    const after = await settledState(h2);
    const row = summaryRow(result.stdout, h2.address);
    const line = result.stdout.split('\n').find((text) => text.includes(h2.address) && /current (stays on|may point at)|rolled back to/.test(text)) ?? '';
    const said = /current stays on (\S+)|rolled back to (\S+)/.exec(line);
    // what it says of h2 is true: the release it names is current there, or it says it does not know
    if (said) expect(after.current, `${result.stdout}\n${result.stderr}`).toBe(said[1] ?? said[2]);
    else expect(line, `${result.stdout}\n${result.stderr}`).toContain(`current may point at ${target}`);
    if (row && !row.release.endsWith('?')) {
      expect(row.release, result.stdout).toBe(after.current);
      // reached again, the run wrote its line over the new connection: the ledger has the revert
      expect(after.ledger.at(-1), result.stdout).toMatchObject({ action: 'revert', release: target });
    }
    expect(result.code).toBe(1);
    expect(after.lockFree).toBe(true);
    serving = await Promise.all(hosts.map(async (host) => (await hostState(host)).version));
  }, 90_000);
});
