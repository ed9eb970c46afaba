// The agent under the unit `pmx startup systemd` writes, supervised as systemd would by the
// unit's own Restart= and RestartSec= (systemd is not PID 1 here: a small supervisor in this test
// applies them to the unit's ExecStart). What a user relies on: `pmx kill` stays done (PM2's unit
// restarts only on failure), an agent that crashes is started again by the unit, and `pmx update`
// leaves the apps under the unit, so that stopping the unit stops them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, PmxSandbox, eventually, type JlistEntry } from '../helpers/pmx.js';
import { lockHoldersOf, processesOfHome, treeOf } from '../helpers/home-processes.js';
import { LAYOUTS } from '../../cli/startup/systems.js';
import { systemdAssignments, systemdWords } from '../cli/startup/unit-syntax.js';

const apps = join(FIXTURES, 'apps');
const pmx = new PmxSandbox('pmx-unit-');
const SERVICE = 'pmx-under-unit';

/** The unit's service as systemd runs it: ExecStart with its Environment=, restarted by its Restart= after RestartSec=. */
class Unit {
  /** The runtime now running, if any. */
  main: ChildProcess | null = null;
  /** Every main process started, first to last. */
  readonly started: ChildProcess[] = [];
  /** A restart is waiting its RestartSec=. */
  restartScheduled = false;
  private stopping = false;
  private readonly text = readFileSync(join(pmx.dir, 'root', LAYOUTS.systemd.destination(SERVICE)), 'utf8');

  private line(key: string): string {
    return this.text.match(new RegExp(`^${key}=(.*)$`, 'm'))![1]!;
  }

  /** Restart=: which ends start the service again (systemd.service(5)). */
  private restarts(code: number | null, signal: NodeJS.Signals | null): boolean {
    const policy = this.line('Restart');
    if (policy === 'always') return true;
    if (policy === 'on-failure') return code !== 0 || signal !== null;
    throw new Error(`Restart=${policy} is not emulated here`);
  }

  start(): void {
    const [command, ...args] = systemdWords(this.line('ExecStart'), 'exec');
    const user = this.line('User');
    // with what systemd adds for every service (INVOCATION_ID tells the agent that systemd runs it)
    const env = { ...systemdAssignments(this.line('Environment')), USER: user, LOGNAME: user, HOME: '/root', SHELL: '/bin/sh', INVOCATION_ID: randomBytes(16).toString('hex') };
    const child = spawn(command!, args, { env, stdio: 'ignore' });
    this.main = child;
    this.started.push(child);
    child.once('exit', (code, signal) => {
      if (this.main === child) this.main = null;
      if (this.stopping || !this.restarts(code, signal)) return;
      this.restartScheduled = true;
      setTimeout(() => {
        this.restartScheduled = false;
        if (!this.stopping) this.start();
      }, Number(this.line('RestartSec')) * 1000);
    });
  }

  /** `systemctl stop`: SIGTERM to the main process (KillMode=mixed), then SIGKILL to whatever of its tree is left. */
  async stop(): Promise<void> {
    this.stopping = true;
    const main = this.main;
    if (!main) return;
    const tree = treeOf(main.pid!);
    const exited = new Promise((resolve) => main.once('exit', resolve));
    main.kill('SIGTERM');
    await exited;
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone with the agent
      }
    }
  }
}

let unit: Unit | null = null;
afterAll(async () => {
  await unit?.stop();
  await pmx.cleanup();
});

/** The processes of this home other than CLIs: agents and apps. */
const running = (): number[] => processesOfHome(pmx.home).filter(({ cmdline }) => !cmdline.some((arg) => arg.endsWith('bin/pmx.cjs'))).map(({ pid }) => pid);

/**
 * The saved apps online, once each, under the unit's agent (the home's lock holder is its main
 * process); started by it (its children), unless it adopted them from the agent before it.
 */
async function appsUnderTheUnit(current: Unit, adopted = false): Promise<JlistEntry[]> {
  // no command before the unit's agent holds the home: one that came first would start an agent of
  // its own, which the unit then has resurrect and outlives (boot-race.test.ts is about that race)
  await eventually("the unit's agent to hold the home", () => current.main !== null && lockHoldersOf(pmx.home).includes(current.main.pid!), 30_000);
  const list = await eventually('the saved apps online under the unit', async () => {
    const now = await pmx.jlist();
    return now.length === 2 && now.every((entry) => entry.pm2_env.status === 'online') ? now : null;
  }, 30_000);
  expect(list.map((entry) => entry.name)).toEqual(['one', 'two']);
  expect(lockHoldersOf(pmx.home)).toEqual([current.main!.pid]);
  const tree = treeOf(current.main!.pid!);
  if (!adopted) for (const entry of list) expect(tree).toContain(entry.pid);
  return list;
}

beforeAll(async () => {
  await pmx.ok(['start', join(apps, 'forever.js'), '-n', 'one']);
  await pmx.ok(['start', join(apps, 'ticker.js'), '-n', 'two']);
  await pmx.ok(['save']);
  await pmx.ok(['startup', 'systemd', '--service-name', SERVICE], { env: { PMX_STARTUP_ROOT: join(pmx.dir, 'root') } });
  await pmx.ok(['kill']);
});

describe('the agent under its startup unit', () => {
  it('is started again by the unit after a crash (SIGKILL), with the apps it left adopted', async () => {
    unit = new Unit();
    unit.start();
    const before = await appsUnderTheUnit(unit);
    const first = unit.main!;
    first.kill('SIGKILL');
    await eventually('the unit to start the agent again', () => unit!.main !== null && unit!.main !== first, 30_000);
    const after = await appsUnderTheUnit(unit, true);
    expect(after.map((entry) => entry.pid)).toEqual(before.map((entry) => entry.pid)); // adopted, not restarted
  }, 60_000);

  it('`pmx update` leaves the apps under the unit: stopping the unit then stops them all', async () => {
    const before = unit!.main!;
    const updated = await pmx.run(['update'], { timeoutMs: 60_000 });
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toContain('[PMX] Saved 2 processes and stopped the old agent');
    expect(updated.stdout).toMatch(new RegExp(`The agent ran in the foreground \\(pmx-runtime, pid ${before.pid}\\); systemd started it again \\(pid \\d+`));
    expect(unit!.main).not.toBe(before);
    await appsUnderTheUnit(unit!);
    await unit!.stop();
    expect(running()).toEqual([]);
  }, 90_000);

  it('`pmx kill` stays done: the unit does not bring the agent and the apps back', async () => {
    unit = new Unit();
    unit.start();
    await appsUnderTheUnit(unit);
    const main = unit.main!;
    const exited = new Promise<number | null>((resolve) => main.once('exit', (code) => resolve(code)));
    await pmx.ok(['kill']);
    expect(await exited).toBe(0);
    // a restart would come RestartSec after the exit: the unit is asked what it will do, not waited on
    expect(unit.restartScheduled).toBe(false);
    expect(unit.main).toBeNull();
    expect(running()).toEqual([]);
  }, 60_000);

  it('`pmx update` of a pmx-runtime that nothing would start again (a terminal) refuses, and stops nothing', async () => {
    const [command, ...args] = systemdWords(readFileSync(join(pmx.dir, 'root', LAYOUTS.systemd.destination(SERVICE)), 'utf8').match(/^ExecStart=(.*)$/m)![1]!, 'exec');
    const runtime = spawn(command!, args, { env: { ...pmx.env(), INVOCATION_ID: '' }, stdio: 'ignore' });
    const exited = new Promise((resolve) => runtime.once('exit', resolve));
    try {
      const held = { main: runtime } as unknown as Unit;
      const before = await appsUnderTheUnit(held);
      const refused = await pmx.run(['update']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`the agent runs in the foreground (pmx-runtime, pid ${runtime.pid}) and nothing would start it again: nothing was stopped`);
      expect((await pmx.jlist()).map((entry) => entry.pid)).toEqual(before.map((entry) => entry.pid));
      await pmx.ok(['kill']);
      await exited;
    } finally {
      if (runtime.exitCode === null) runtime.kill('SIGKILL');
    }
    expect(running()).toEqual([]);
  }, 60_000);
});

