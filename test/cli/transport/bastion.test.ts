// Deploying through a bastion: 3 hosts that only a 4th host can reach (their links moved behind it),
// reached with ProxyJump from ssh_options and from ~/.ssh/config. One TCP connection to the bastion
// serves every host of a run, the targets' host keys are verified as for direct hosts, and a direct
// connection to a target gets nowhere, so none of this can pass without the jump.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDeployEnvironment } from '../../../cli/deploy/config.js';
import type { DeployEvent } from '../../../cli/deploy/events.js';
import { readDeploySection } from '../../../cli/deploy/load-deploy.js';
import { runDeploy, type DeployRequest } from '../../../cli/deploy/run.js';
import type { DeployEnvironment } from '../../../cli/deploy/types.js';
import { errorLine } from '../../../cli/output/errors.js';
import { openConnection } from '../../../cli/transport/ssh-connection.js';
import { connectionsFrom, hideBehind } from '../../hosts/behind-bastion.js';
import { execOnHost, startHosts, stopHosts, type HostsHandle, type TestHost } from '../../hosts/index.js';
import { PmxSandbox } from '../../helpers/pmx.js';
import { APP_PORT, createAppRepo, environment, useFreshBundle, type AppRepo } from '../../deploy/helpers.js';

let env: HostsHandle;
let bastion: TestHost;
let targets: TestHost[];
let app: AppRepo;
/** A home whose ~/.ssh/config names the bastion and the targets behind it. */
let home: string;
/** Where pmx runs: the instance's bridge address, the one address the bastion's sshd sees pmx at. */
let local: string;

beforeAll(async () => {
  useFreshBundle();
  env = await startHosts({ count: 4, name: 'bastion' });
  [bastion, ...targets] = env.hosts as [TestHost, ...TestHost[]];
  local = env.subnet!.replace(/\.0\/24$/, '.1');
  await hideBehind(bastion, targets);
  home = mkdtempSync(join(tmpdir(), 'pmx-bastion-home-'));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  const common = `  User deploy\n  IdentityFile ${env.keyPath}\n  UserKnownHostsFile ${env.knownHostsPath}\n  ConnectTimeout 3\n`;
  writeFileSync(
    join(home, '.ssh', 'config'),
    [`Host jumpbox\n  HostName ${bastion.address}\n${common}`, ...targets.map((target, index) => `Host app-${index + 1}\n  HostName ${target.address}\n${common}`), 'Host app-*\n  ProxyJump jumpbox\n'].join('\n'),
  );
  app = createAppRepo(env, (origin) => ({
    jumped: environment(env, targets, origin, { strategy: 'release', ssh_options: [`ProxyJump deploy@${bastion.address}`, `UserKnownHostsFile=${env.knownHostsPath}`, 'ConnectTimeout=3'] }),
    aliased: { ...environment(env, targets, origin, { strategy: 'release' }), host: targets.map((_, index) => `app-${index + 1}`), ssh_options: [] },
  }));
}, 120_000);
afterAll(async () => {
  try {
    if (env) await stopHosts(env);
  } finally {
    for (const dir of [app?.dir, home, process.env.PMX_BUNDLE_FILE && dirname(process.env.PMX_BUNDLE_FILE)]) if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

/** The environment as `pmx deploy` reads it, with `~` being the test's home. */
async function read(name: string): Promise<DeployEnvironment> {
  return readDeployEnvironment(await readDeploySection(app.file), name, app.file, { home, env: process.env });
}

/** Runs a deploy command on an environment; returns its outcomes and the TCP connections the bastion accepted from pmx meanwhile. */
async function run(command: DeployRequest['command'], environment: DeployEnvironment): Promise<{ statuses: string[]; bastionConnections: number; log: string }> {
  const before = await connectionsFrom(bastion, local);
  const events: DeployEvent[] = [];
  const result = await runDeploy({ file: app.file, envName: environment.name, command, emit: (event) => events.push(event) }, environment);
  const log = events.map((event) => (event.kind === 'phase-failed' || event.kind === 'note' ? `${event.host}: ${event.message}` : '')).filter(Boolean).join('\n');
  return { statuses: result.outcomes.map((outcome) => outcome.status), bastionConnections: (await connectionsFrom(bastion, local)) - before, log };
}

/** What the app on a target answers, asked from inside the target (nothing else can reach it). */
async function servedOn(target: TestHost): Promise<string> {
  const get = `node -e "fetch('http://${target.address}:${APP_PORT}/').then((r) => r.json()).then((b) => console.log(b.version))"`;
  return (await execOnHost(target, get)).stdout.trim();
}

describe('a deploy to hosts reachable only through a bastion', () => {
  it('a direct connection to a target gets no answer: the targets are not reachable from here', async () => {
    const [direct] = (await read('jumped')).hosts.map((target) => ({ ...target, proxyJump: null, connectTimeoutMs: 1500 }));
    await expect(openConnection(direct!)).rejects.toMatchObject({ code: expect.stringMatching(/^(CONNECT_TIMEOUT|UNREACHABLE)$/) });
  });

  it('with ProxyJump in ssh_options: setup and deploy reach all 3 hosts through one bastion connection per run', async () => {
    const environment = await read('jumped');
    expect(environment.hosts.map((target) => target.proxyJump?.hostname)).toEqual(targets.map(() => bastion.address));
    const direct = await Promise.all(targets.map((target) => connectionsFrom(target, local)));
    const jumped = await Promise.all(targets.map((target) => connectionsFrom(target, bastion.address)));
    for (const command of ['setup', 'deploy'] as const) {
      const outcome = await run(command, environment);
      expect(outcome.statuses, outcome.log).toEqual(command === 'setup' ? ['done', 'done', 'done'] : ['deployed', 'deployed', 'deployed']);
      expect(outcome.bastionConnections).toBe(1);
    }
    for (const target of targets) expect(await servedOn(target)).toBe('v1');
    // each target saw pmx only from the bastion's address: one connection per run
    expect(await Promise.all(targets.map((target) => connectionsFrom(target, local)))).toEqual(direct);
    expect(await Promise.all(targets.map((target) => connectionsFrom(target, bastion.address)))).toEqual(jumped.map((count) => count + 2));
  }, 180_000);

  it('with ProxyJump in ~/.ssh/config: the aliases deploy v2 through one bastion connection', async () => {
    app.commit('v2');
    const environment = await read('aliased');
    expect(environment.hosts.map((target) => `${target.hostname} via ${target.proxyJump?.hostname}`)).toEqual(targets.map((target) => `${target.address} via ${bastion.address}`));
    const outcome = await run('deploy', environment);
    expect(outcome.statuses, outcome.log).toEqual(['deployed', 'deployed', 'deployed']);
    expect(outcome.bastionConnections).toBe(1);
    for (const target of targets) expect(await servedOn(target)).toBe('v2');
  }, 180_000);

  it('fleet commands go through the bastion too, one connection for all 3 hosts: pmx ls --deploy', async () => {
    const pmx = new PmxSandbox('pmx-bastion-');
    try {
      const before = await connectionsFrom(bastion, local);
      const ls = await pmx.run(['jlist', '--deploy', 'jumped'], { cwd: app.dir, timeoutMs: 60_000 });
      expect(ls.code, ls.stderr).toBe(0);
      expect(new Set((JSON.parse(ls.stdout) as { host: string; name: string }[]).map((proc) => `${proc.host} ${proc.name}`))).toEqual(new Set(targets.map((target) => `${target.address} web`)));
      expect((await connectionsFrom(bastion, local)) - before).toBe(1);
    } finally {
      await pmx.cleanup();
    }
  }, 60_000);

  it("a target's host key is verified through the jump: a wrong known_hosts line stops that host before anything runs", async () => {
    const known = readFileSync(env.knownHostsPath, 'utf8').split('\n');
    const keyOf = (host: TestHost): string => known.find((line) => line.startsWith(`${host.address} `))!.split(' ').slice(1).join(' ');
    const forged = join(home, 'forged_known_hosts');
    // the first target listed with the second one's key; the bastion and the others as they are
    writeFileSync(forged, known.map((line) => (line.startsWith(`${targets[0]!.address} `) ? `${targets[0]!.address} ${keyOf(targets[1]!)}` : line)).join('\n'));
    const environment = await read('jumped');
    const [first] = environment.hosts;
    const error = await openConnection({ ...first!, knownHostsFiles: [forged] }).catch((e: unknown) => e);
    // the message is about the key; the host and how it was reached are fields, joined into the line shown
    expect(error).toMatchObject({ code: 'HOST_KEY_MISMATCH', host: first!.label, address: expect.stringContaining(`via deploy@${bastion.address}`) });
    expect(errorLine(error)).toMatch(new RegExp(`^${first!.label} \\(.* via deploy@${bastion.address.replaceAll('.', '\\.')}\\): host key `));
  }, 60_000);
});
