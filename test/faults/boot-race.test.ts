// The boot race: the startup unit's ExecStart (the foreground agent with --resurrect) and a
// monitoring script's `pmx jlist` at the same moment, on a machine kept busy by CPU burners as
// at boot. The CLI waits for the agent that is starting; whichever comes first, one agent runs,
// the saved apps run once under it, nothing runs unseen, and `pmx kill` ends it all.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually, type JlistEntry } from '../helpers/pmx.js';
import { agentsOf, burnCpu, liveProcesses, lockHoldersOf, processesOfHome, treeOf } from '../helpers/home-processes.js';
import { LAYOUTS } from '../../cli/startup/systems.js';
import { systemdAssignments, systemdWords } from '../cli/startup/unit-syntax.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-boot-race-');
const SERVICE = 'pmx-boot-race';
const ROUNDS = 5;
const runtimes: ChildProcess[] = [];
let load: { stop(): void } | null = null;
afterEach(() => load?.stop());
afterAll(async () => {
  for (const child of runtimes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await pmx.cleanup();
});

/** ExecStart= of the unit `pmx startup systemd` wrote, with only its Environment= (and what systemd adds). */
function bootCommand(): { command: string; args: string[]; env: Record<string, string> } {
  const text = readFileSync(join(pmx.dir, 'root', LAYOUTS.systemd.destination(SERVICE)), 'utf8');
  const line = (key: string): string => text.match(new RegExp(`^${key}=(.*)$`, 'm'))![1]!;
  const [command, ...args] = systemdWords(line('ExecStart'), 'exec');
  const user = line('User');
  return { command: command!, args, env: { ...systemdAssignments(line('Environment')), USER: user, LOGNAME: user, HOME: '/root', SHELL: '/bin/sh' } };
}

/**
 * Processes started with this home that are neither the lock holder, a listed app (or its child),
 * a CLI, nor a boot hook waiting for the home (with the flock it waits in).
 */
function unseen(list: JlistEntry[]): number[] {
  const holders = new Set(lockHoldersOf(pmx.home));
  // one snapshot of the process table for every question: a child read in one pass may be gone by another
  const snapshot = liveProcesses();
  const known = new Set(list.flatMap((entry) => (entry.pid > 0 ? treeOf(entry.pid, snapshot) : [])));
  const all = processesOfHome(pmx.home, snapshot);
  const waiting = all.filter(({ pid, cmdline }) => !holders.has(pid) && cmdline.some((arg) => arg.endsWith('pmx-runtime.js'))).flatMap(({ pid }) => treeOf(pid, snapshot));
  return all
    .filter(({ pid, cmdline }) => !holders.has(pid) && !known.has(pid) && !waiting.includes(pid) && !cmdline.some((arg) => arg.endsWith('bin/pmx.cjs')))
    .map(({ pid }) => pid);
}

beforeAll(async () => {
  await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'one']);
  await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'two', '-i', '2']);
  await pmx.ok(['save']);
  await pmx.ok(['startup', 'systemd', '--service-name', SERVICE], { env: { PMX_STARTUP_ROOT: join(pmx.dir, 'root') } });
  await pmx.ok(['kill']);
});

describe('boot: the unit starting while a jlist runs, on a loaded machine', () => {
  it(`${ROUNDS} rounds: one agent, the saved apps once each and seen, everything ended by kill`, async () => {
    const boot = bootCommand();
    expect(boot.args.at(-1)).toBe('--resurrect');
    for (let round = 0; round < ROUNDS; round++) {
      load = burnCpu(4);
      const runtime = spawn(boot.command, boot.args, { env: boot.env, stdio: ['ignore', 'ignore', 'pipe'] });
      runtimes.push(runtime);
      let stderr = '';
      runtime.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => runtime.on('exit', (code) => resolve(code)));
      const jlist = await pmx.run(['jlist'], { timeoutMs: 60_000 });
      expect(jlist.code, `round ${round}: ${jlist.stderr}`).toBe(0);
      const seen = JSON.parse(jlist.stdout) as JlistEntry[];
      expect(new Set(seen.map((entry) => entry.pm_id)).size).toBe(seen.length);
      // one agent holds the home: the runtime's, or the one this jlist started before it
      const holders = lockHoldersOf(pmx.home);
      expect(holders, `round ${round}`).toHaveLength(1);
      expect([runtime.pid, ...agentsOf(pmx.home)]).toContain(holders[0]);
      expect(agentsOf(pmx.home).filter((pid) => pid !== holders[0])).toEqual([]);
      const list = await eventually(`round ${round}: the saved apps online`, async () => {
        const now = await pmx.jlist();
        return now.length === 3 && now.every((entry) => entry.pm2_env.status === 'online') ? now : null;
      }, 30_000);
      expect(list.map((entry) => [entry.pm_id, entry.name])).toEqual([[0, 'one'], [1, 'two'], [2, 'two']]);
      expect(unseen(list), `round ${round}`).toEqual([]);
      load.stop();
      // the jlist's agent first, if it won; then the runtime's, which took over once it ended
      while (runtime.exitCode === null) await pmx.ok(['kill']);
      expect(await exited, stderr).toBe(0);
      expect(lockHoldersOf(pmx.home)).toEqual([]);
      expect(processesOfHome(pmx.home).filter(({ cmdline }) => !cmdline.some((arg) => arg.endsWith('bin/pmx.cjs')))).toEqual([]);
    }
  }, 400_000);

  it('a jlist whose agent won the home just before the unit: that agent resurrects the saved apps at once, and the unit takes over once it ends', async () => {
    expect(await pmx.jlist()).toEqual([]);
    const daemon = agentsOf(pmx.home);
    expect(daemon).toHaveLength(1);
    const boot = bootCommand();
    const runtime = spawn(boot.command, boot.args, { env: boot.env, stdio: ['ignore', 'ignore', 'pipe'] });
    runtimes.push(runtime);
    let stderr = '';
    runtime.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await eventually('the running agent to resurrect', () => stderr.includes('The running agent resurrected 3 processes'));
    expect(stderr).toContain(`An agent already runs in ${pmx.home} (pid ${daemon[0]}): taking over once it ends`);
    const list = await pmx.jlist();
    expect(list.map((entry) => entry.name)).toEqual(['one', 'two', 'two']);
    expect(lockHoldersOf(pmx.home)).toEqual(daemon);
    expect(unseen(list)).toEqual([]);
    await pmx.ok(['kill']);
    await eventually('the unit to take over', () => lockHoldersOf(pmx.home)[0] === runtime.pid);
    await eventually('the unit to resurrect', () => stderr.includes('Resurrected 3 processes'));
    expect((await pmx.jlist()).map((entry) => entry.name)).toEqual(['one', 'two', 'two']);
    await pmx.ok(['kill']);
    await eventually('the unit to exit', () => runtime.exitCode === 0);
    expect(processesOfHome(pmx.home).filter(({ cmdline }) => !cmdline.some((arg) => arg.endsWith('bin/pmx.cjs')))).toEqual([]);
  });
});
