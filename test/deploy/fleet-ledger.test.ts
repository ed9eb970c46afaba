// Revert as a fleet operation and the release ledger, on 3 real hosts: one target for every host
// (never a release that failed somewhere or was marked bad), refusals that name each host's state,
// `list` as one table when hosts agree, private ledger and hook logs, host output escaped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execOnHost, startHosts, stopHosts, type HostsHandle, type TestHost } from '../hosts/index.js';
import { fault, hostState, installFaultWrappers } from './faults.js';
import { createAppRepo, deploy, deployCli, environment, servingEverywhere, transcript, useFreshBundle, type AppRepo } from './helpers.js';

let env: HostsHandle;
let hosts: TestHost[];
let app: AppRepo;
const releases: Record<string, string> = {};
const shas: Record<string, string> = {};

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 3, name: 'deploy-ledger' });
  hosts = env.hosts;
  app = createAppRepo(env, (origin) => ({
    production: environment(env, hosts, origin, {
      strategy: 'release',
      'pre-deploy': 'pre-deploy "$(cat VERSION)"; printf "building \\033[2J\\033]0;owned\\007 on %s\\rdone\\n" "$(hostname)"; echo "TOKEN=$TOKEN"',
      'post-deploy': 'post-deploy "$(cat VERSION)" && pmx startOrReload ecosystem.config.js --env production',
      healthcheck: { command: 'health "$(cat VERSION)"', retries: 0 },
      env: { TOKEN: 'not-for-others' },
    }),
  }));
  const setup = await deploy({ file: app.file, envName: 'production', command: 'setup' });
  expect(setup.outcomes.map((o) => o.status), transcript(setup)).toEqual(['done', 'done', 'done']);
  await installFaultWrappers(hosts);
}, 90_000);
afterAll(async () => {
  if (env) await stopHosts(env);
});

async function deployVersion(version: string, expected: string[]): Promise<string> {
  shas[version] = app.commit(version);
  const run = await deploy({ file: app.file, envName: 'production', command: 'deploy' });
  expect(run.outcomes.map((o) => o.status), transcript(run)).toEqual(expected);
  releases[version] = run.outcomes[0]!.target!;
  return releases[version]!;
}

describe('revert is one target for the fleet', () => {
  it('revert 1 after a deploy that failed on one host takes every host to the last release that succeeded everywhere, not each host one step back', async () => {
    await deployVersion('A', ['deployed', 'deployed', 'deployed']);
    const undo = await fault(hosts[1]!, 'post-deploy', 'fail', 'B');
    try {
      await deployVersion('B', ['deployed', 'rolled-back', 'deployed']);
    } finally {
      await undo();
    }
    await deployVersion('C', ['deployed', 'deployed', 'deployed']);
    await servingEverywhere(hosts, 'C');
    const back = await deployCli(['production', 'revert', '1'], {}, app.dir);
    expect(back.code, back.stdout).toBe(0);
    expect(back.stdout).toContain(`every host serves ${releases.A} (read back from each host)`);
    expect((await servingEverywhere(hosts, 'A')).map((a) => a.version)).toEqual(['A', 'A', 'A']);
  }, 90_000);

  it('--to a release one host lacks is refused, naming each host state, and nothing switches; --to a sha every host has is taken', async () => {
    const refused = await deployCli(['production', 'revert'], { to: shas.B!.slice(0, 8), json: true }, app.dir);
    expect(refused.code).toBe(1);
    const document = JSON.parse(refused.stdout) as { ok: boolean; hosts: { status: string; message: string; release: string }[] };
    expect(document.hosts.map((h) => h.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(document.hosts[0]!.message).toContain(`is not a successful, unmarked release on every host: ${hosts[0]!.address} on ${releases.A} (also has ${releases.B}, ${releases.C})`);
    expect(document.hosts[0]!.message).toContain(`${hosts[1]!.address} on ${releases.A} (also has ${releases.C})`);
    expect(document.hosts.map((h) => h.release)).toEqual([releases.A, releases.A, releases.A]);
    const misplaced = await deployCli(['production', 'list'], { to: 'x' }, app.dir);
    expect([misplaced.code, misplaced.stderr]).toEqual([1, expect.stringContaining('--to names the release to revert to: pmx deploy production revert --to <release|sha>')]);
    const to = await deployCli(['production', 'revert'], { to: shas.C!.slice(0, 7) }, app.dir);
    expect(to.code, to.stdout).toBe(0);
    expect((await servingEverywhere(hosts, 'C')).map((a) => a.version)).toEqual(['C', 'C', 'C']);
  }, 60_000);

  it('mark-bad marks the fleet release on every host; revert never picks it; a failed health check marks a release bad by itself', async () => {
    const marked = await deployCli(['production', 'mark-bad', releases.A!], {}, app.dir);
    expect(marked.code, marked.stdout).toBe(0);
    const refused = await deployCli(['production', 'revert', '1'], {}, app.dir);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`cannot go back 1: the fleet is on ${releases.C} and has no release before it`);
    expect(refused.stdout).toContain(`${releases.A} (bad)`);
    const undo = await fault(hosts[2]!, 'health', 'fail', 'D');
    try {
      await deployVersion('D', ['deployed', 'deployed', 'rolled-back']);
    } finally {
      await undo();
    }
    const h3 = await hostState(hosts[2]!);
    expect(h3.ledger.at(-1)).toMatchObject({ release: releases.D, result: 'bad', message: expect.stringContaining('health check') });
  }, 60_000);
});

describe('the ledger', () => {
  it('list shows each host when they differ, with result, ref, user and current', async () => {
    const listed = await deployCli(['production', 'list'], {}, app.dir);
    expect(listed.code, listed.stdout).toBe(0);
    expect(listed.stdout).not.toContain('have the same releases');
    const row = (release: string, result: string, current = false): RegExp => new RegExp(`^  ${current ? '\\*' : ' '}\\s+${release}\\s+[0-9a-f]{7}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+(origin/main|-)\\s+\\S+@\\S+\\s+${result}$`, 'm');
    const table = (host: TestHost): number => listed.stdout.indexOf(`${host.address} (deploy@`);
    const third = listed.stdout.slice(table(hosts[2]!));
    expect(third).toMatch(row(releases.D!, 'bad'));
    expect(third).toMatch(row(releases.C!, 'ok', true));
    expect(third).toMatch(row(releases.A!, 'bad'));
    const second = listed.stdout.slice(table(hosts[1]!), table(hosts[2]!));
    expect(second).toMatch(row(releases.B!, 'rolled back'));
    expect(second).toMatch(row(releases.D!, 'ok', true));
  }, 30_000);

  it('list is one table when every host has the same releases, and old ledger lines still read', async () => {
    await deployVersion('E', ['deployed', 'deployed', 'deployed']);
    // the fleet agrees once each host has the same history: replace it by one written by an earlier pmx
    const old = [
      { time: '2025-01-01T00:00:00.000Z', action: 'deploy', release: releases.E, ref: 'origin/main', sha: shas.E, user: 'old@pmx', result: 'success', from: null },
      { time: '2999-12-31T00:00:00.000Z', action: 'deploy', release: '29991231T000000000Z-abcdef0', ref: 'origin/main', sha: 'abcdef0', user: 'old@pmx', result: 'cancelled', from: null },
    ].map((line) => JSON.stringify(line));
    for (const host of hosts) await execOnHost(host, `cd /srv/app && for r in releases/*; do test "$r" = releases/${releases.E} || rm -rf "$r"; done && printf '%s\\n' ${old.map((l) => `'${l}'`).join(' ')} > .pmx/revisions.log`);
    const listed = await deployCli(['production', 'list'], {}, app.dir);
    expect(listed.stdout).toContain(`all 3 hosts (${hosts.map((h) => h.address).join(', ')}) have the same releases:`);
    expect(listed.stdout).toMatch(new RegExp(`\\*\\s+${releases.E}\\s+\\S+\\s+2025-01-01 00:00:00Z\\s+origin/main\\s+old@pmx\\s+ok`));
    expect(listed.stdout).toMatch(/29991231T000000000Z-abcdef0\s+abcdef0\s+2999-12-31 00:00:00Z\s+origin\/main\s+old@pmx\s+aborted/);
  }, 60_000);

  it('hook logs and the ledger are readable by the deploy user only; .pmx is private', async () => {
    await execOnHost(hosts[0]!, 'chmod 644 /srv/app/.pmx/revisions.log');
    await deployVersion('F', ['deployed', 'deployed', 'deployed']);
    const state = await hostState(hosts[0]!);
    const modes = state.modes.split('\n').map((line) => line.split(' ') as [string, string]);
    expect(modes.find(([, name]) => name === '/srv/app/.pmx')![0]).toBe('700');
    expect(modes.find(([, name]) => name === '/srv/app/.pmx/logs')![0]).toBe('700');
    for (const [mode, name] of modes.filter(([, name]) => name.endsWith('.log'))) expect([name, mode]).toEqual([name, '600']);
    expect(modes.filter(([, name]) => name.startsWith('/srv/app/.pmx/logs/')).length).toBeGreaterThan(0);
  }, 60_000);

  it('prints what hosts send with control characters escaped, never as terminal sequences', async () => {
    shas.G = app.commit('G');
    const run = await deployCli(['production'], {}, app.dir);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).not.toMatch(/[\u0007\u001b\r]/);
    expect(run.stdout).toContain('building \\e[2J\\e]0;owned\\x07 on h1\\rdone');
  }, 60_000);
});
