// Denial of service by idle connections: with an agent whose descriptor limit is small (512), an
// unprivileged user floods the dashboard and the metrics endpoint, and the owner floods the agent
// socket, each with more idle connections than the agent has descriptors. While the flood holds,
// `pmx ls` answers, a killed app is respawned and a new app starts; the idle connections are
// then closed by the agent after its time limits.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PMX_BIN, PmxSandbox, eventually } from '../../helpers/pmx.js';
import { freePort, get } from '../../helpers/net.js';
import { OtherUser } from './other-user.js';
import { RawClient } from './socket-client.js';

const FLOOD = join(import.meta.dirname, 'fixtures/flood.mjs');
const FLOOD_SIZE = 1500; // three times the agent's descriptor limit

const user = OtherUser.create();
const pmx = new PmxSandbox();
let agentPid = 0;
let dashboardPort = 0;
let dashboardPath = '';
let metricsPort = 0;

/** A flood of idle connections and what it saw: `closed` counts those the agent closed. */
interface Flood {
  child: ChildProcess;
  counts: () => { opened: number; closed: number; failed: number };
}

function flood(child: ChildProcess): Flood {
  let last = { opened: 0, closed: 0, failed: 0 };
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    const lines = text.split('\n');
    text = lines.pop()!;
    if (lines.length > 0) last = JSON.parse(lines.at(-1)!) as typeof last;
  });
  return { child, counts: () => last };
}

/** Idle connections from the other user to `target` (127.0.0.1:port or a socket path). */
const floodAsOtherUser = (target: string): Flood => flood(user.spawn([process.execPath, user.copy(FLOOD), target, String(FLOOD_SIZE)], { PATH: process.env.PATH ?? '' }));

/** Idle connections from the owning user (the socket is 0600: nobody else may connect). */
const floodAsOwner = (path: string): Flood => flood(spawn(process.execPath, [FLOOD, path, String(FLOOD_SIZE)], { stdio: ['ignore', 'pipe', 'inherit'] }));

const openDescriptors = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const softLimit = (pid: number): number => Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))![1]);

/** While a flood holds: ls answers, a killed app comes back under a new pid, a new app starts. */
async function agentKeepsItsWord(name: string): Promise<void> {
  const listed = await pmx.run(['ls']);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toContain('crashy');
  const before = await pmx.proc('crashy');
  process.kill(before.pid, 'SIGKILL');
  const after = await eventually('crashy respawned', async () => {
    const proc = await pmx.proc('crashy');
    return proc.pid !== before.pid && proc.pid > 0 && proc.pm2_env.status === 'online' ? proc : null;
  });
  expect(after.pm2_env.restart_time).toBeGreaterThan(before.pm2_env.restart_time);
  await pmx.ok(['start', join(FIXTURES, 'apps/forever.js'), '-n', name]);
  expect((await pmx.proc(name)).pm2_env.status).toBe('online');
  expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).not.toMatch(/EMFILE|ENFILE/);
}

beforeAll(async () => {
  // the agent inherits a small limit from the CLI that starts it: 256, hard 512
  const started = spawnSync('prlimit', ['--nofile=256:512', '--', process.execPath, PMX_BIN, 'start', join(FIXTURES, 'apps/forever.js'), '-n', 'crashy'], {
    env: pmx.env(),
    encoding: 'utf8',
  });
  if (started.status !== 0) throw new Error(`pmx start: ${started.stderr}`);
  agentPid = pmx.agentPid()!;
  await eventually('the agent to raise its limit', () => readFileSync(join(pmx.home, 'agent.log'), 'utf8').includes('file descriptor limit of 512'));
  dashboardPort = await freePort();
  const served = await pmx.ok(['dashboard', '--port', String(dashboardPort)]);
  dashboardPath = new URL(/http:\/\/\S+/.exec(served)![0]).search;
  metricsPort = await freePort();
  await pmx.ok(['metrics', '--port', String(metricsPort)]);
}, 60_000);

afterAll(async () => {
  user.remove();
  await pmx.cleanup();
});

describe('the agent under a flood of idle connections', () => {
  it('runs with its soft descriptor limit raised to the hard one, and says so', () => {
    expect(softLimit(agentPid)).toBe(512); // started with 256
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toContain('running with a file descriptor limit of 512');
  });

  it('keeps answering, respawning and starting apps while another user floods the dashboard and the metrics endpoint, then closes the idle connections', async () => {
    const floods = [floodAsOtherUser(`127.0.0.1:${dashboardPort}`), floodAsOtherUser(`127.0.0.1:${metricsPort}`)];
    onTestFinished(() => floods.forEach((f) => f.child.kill('SIGKILL')));
    await eventually('every connection attempted', () => floods.every((f) => f.counts().opened + f.counts().failed === FLOOD_SIZE), 30_000);
    // the agent held only its caps: the rest were closed as they came
    expect(openDescriptors(agentPid)).toBeLessThan(256);
    await agentKeepsItsWord('started-during-http-flood');
    expect((await get(dashboardPort, `/api/processes${dashboardPath}`)).status).toBe(200);
    expect((await get(metricsPort, '/metrics')).status).toBe(200);
    // nobody closes them but the agent: idle for 10 s, they are closed
    await eventually('the idle connections closed by the agent', () => floods.every((f) => f.counts().closed === f.counts().opened), 30_000);
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toMatch(/dashboard: \d+ connections open \(its cap\)/);
  }, 90_000);

  it('cannot be flooded on its socket by another user: every connection is refused', async () => {
    const socketFlood = floodAsOtherUser(join(pmx.home, 'agent.sock'));
    onTestFinished(() => socketFlood.child.kill('SIGKILL'));
    await eventually('every connection refused', () => socketFlood.counts().failed === FLOOD_SIZE, 30_000);
    expect(socketFlood.counts().opened).toBe(0);
  });

  it('keeps answering the CLI while its owner floods the agent socket, then closes the idle connections (never a bus subscriber)', async () => {
    // a launchBus connection: silent for as long as nothing happens, neither idle nor made room for
    const subscriber = await RawClient.open(join(pmx.home, 'agent.sock'));
    onTestFinished(() => subscriber.close());
    expect((await subscriber.call(1, 'subscribe')).ok).toBe(true);
    const socketFlood = floodAsOwner(join(pmx.home, 'agent.sock'));
    onTestFinished(() => socketFlood.child.kill('SIGKILL'));
    await eventually('every connection attempted', () => socketFlood.counts().opened + socketFlood.counts().failed === FLOOD_SIZE, 30_000);
    expect(openDescriptors(agentPid)).toBeLessThan(256);
    await agentKeepsItsWord('started-during-socket-flood');
    await eventually('the idle connections closed by the agent', () => socketFlood.counts().closed === socketFlood.counts().opened, 60_000);
    socketFlood.child.kill('SIGKILL');
    expect(readFileSync(join(pmx.home, 'agent.log'), 'utf8')).toMatch(/agent socket: \d+ connections open \(its cap\)/);
    // still subscribed, past the idle limit, and told of what happened meanwhile
    expect(subscriber.socket.destroyed).toBe(false);
    const told = subscriber.replies().filter((line) => (line as { event?: string }).event === 'process:event') as { data: { event: string; process: { name: string } } }[];
    expect(told.map(({ data }) => `${data.process.name} ${data.event}`)).toContain('started-during-socket-flood start');
  }, 120_000);
});
