// Harness instances in parallel, and recovery from a run killed with SIGKILL (real processes, no mocks).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupStale, isAlive, listLinks, listNetns, sshExec, startHosts, stopAllHosts, stopHosts } from './index.js';
import type { HostsHandle, TestHost } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let bundleDir: string;
let bundle: string;

/** What a crashed run left: its namespaces and links (by index) and which of its pids still run. */
async function remains(bridge: string, pids: number[]) {
  const index = bridge.replace(/^pmxb/, '');
  return {
    netns: await listNetns(new RegExp(`^pmx${index}h\\d+$`)),
    links: await listLinks(new RegExp(`^(pmxb${index}|pmx${index}v\\d+)$`)),
    alive: pids.filter((p) => isAlive(p)),
  };
}

/** A run of startHosts in a separate node process: its bridge and pids, what existed, and how to kill it. */
interface ChildRun {
  name: string;
  /** the child's hosts (public fields: enough for sshExec from here) */
  hosts: TestHost[];
  bridge: string;
  pids: number[];
  before: Awaited<ReturnType<typeof remains>>;
  /** SIGKILL the child: no teardown, no afterAll, like a worker killed mid-run */
  kill: () => Promise<void>;
}

/** Start hosts in a separate node process and wait until they are up (the child then idles). */
async function childRun(name: string): Promise<ChildRun> {
  const script = `
    const m = await import(${JSON.stringify(bundle)});
    const env = await m.startHosts({ count: 2, name: ${JSON.stringify(name)} });
    const pids = (await Promise.all(env.hosts.map((h) => m.hostPids(h)))).flat();
    const hosts = env.hosts.map(({ internals, ...h }) => h);
    console.log(JSON.stringify({ name: env.name, bridge: env.bridge, pids, hosts }));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    void exited.then(() => reject(new Error(`child run exited early: ${err}`)));
  });
  const run = JSON.parse(line) as Omit<ChildRun, 'before' | 'kill'>;
  // measured while the child lives: once it is dead, a start in a parallel worker may reap them
  const before = await remains(run.bridge, run.pids);
  const kill = async () => {
    child.kill('SIGKILL');
    await exited;
  };
  return { ...run, before, kill };
}

/** A run killed with SIGKILL once its hosts are up. */
async function crashedRun(name: string): Promise<ChildRun> {
  const run = await childRun(name);
  await run.kill();
  return run;
}

beforeAll(async () => {
  bundleDir = await mkdtemp(path.join(os.tmpdir(), 'pmx-hosts-bundle-'));
  bundle = path.join(bundleDir, 'hosts.mjs');
  await build({
    entryPoints: [path.join(here, 'index.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['testcontainers'],
    logLevel: 'error',
  });
});

afterAll(async () => {
  await stopAllHosts();
  await rm(bundleDir, { recursive: true, force: true });
});

describe('SSH test hosts: parallel instances and crash recovery', () => {
  it('runs two instances at once, each on its own /24, bridge and namespaces', async () => {
    const [a, b] = await Promise.all([
      startHosts({ count: 1, name: 'hosts-par-a' }),
      startHosts({ count: 1, name: 'hosts-par-b' }),
    ]);
    expect(a.subnet).not.toBe(b.subnet);
    expect(a.bridge).not.toBe(b.bridge);
    const [ra, rb] = await Promise.all([sshExec(a.hosts[0]!, 'hostname'), sshExec(b.hosts[0]!, 'hostname')]);
    expect([ra.code, rb.code]).toEqual([0, 0]);
    await stopHosts(a);
    expect((await sshExec(b.hosts[0]!, 'true')).code).toBe(0); // stopping one leaves the other alone
    await stopHosts(b);
  });

  it('gives a name held by another live process a free suffix instead of failing', async () => {
    const holder = await childRun('hosts-busy');
    try {
      // another test run on the machine may hold hosts-busy-2 too: any free suffix will do
      const mine = await startHosts({ count: 1, name: holder.name });
      expect(mine.name).toMatch(new RegExp(`^${holder.name}-\\d+$`));
      expect(mine.bridge).not.toBe(holder.bridge);
      expect((await remains(holder.bridge, holder.pids)).netns.length).toBe(2); // left alone
      expect((await sshExec(holder.hosts[0]!, 'whoami')).stdout.trim()).toBe('deploy');
      expect((await sshExec(mine.hosts[0]!, 'true')).code).toBe(0);
      await stopHosts(mine);
    } finally {
      await holder.kill();
    }
    await cleanupStale(holder.name);
    expect(await remains(holder.bridge, holder.pids)).toEqual({ netns: [], links: [], alive: [] });
  });

  it('removes what a killed run left when the same name starts again', async () => {
    const crashed = await crashedRun('hosts-crash');
    expect(crashed.before.netns.length).toBe(2);
    expect(crashed.before.links.length).toBe(3); // bridge + two veths
    expect(crashed.before.alive.length).toBeGreaterThanOrEqual(4); // two anchors, two sshds
    const again: HostsHandle = await startHosts({ count: 1, name: 'hosts-crash' });
    expect((await remains(crashed.bridge, crashed.pids)).alive).toEqual([]);
    expect((await sshExec(again.hosts[0]!, 'whoami')).stdout.trim()).toBe('deploy');
    await stopHosts(again);
    expect(await remains(again.bridge!, crashed.pids)).toEqual({ netns: [], links: [], alive: [] });
  });

  it('reaps the leftovers of a killed run of another name when any instance starts', async () => {
    const crashed = await crashedRun('hosts-orphan');
    expect(crashed.before.netns.length).toBe(2);
    const other = await startHosts({ count: 1, name: 'hosts-reaper' });
    expect(await remains(crashed.bridge, crashed.pids)).toEqual({ netns: [], links: [], alive: [] });
    await stopHosts(other);
  });
});
