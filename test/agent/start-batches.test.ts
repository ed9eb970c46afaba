// A start (and a resurrect) of many apps launches them in batches, and the agent turns to other
// requests between them: one that launched every app in one turn kept an `ls` (or a second `pmx start`) waiting
// for all of it, seconds on a loaded machine, and a command that waited 5 s for its hello failed,
// telling the user to end the agent. The real registry, state file, OS seam and start operation,
// launching real processes; what the event loop sees at its first turn after the start began.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../agent/registry.js';
import { StateFile } from '../../agent/state-file.js';
import { createProcessOs } from '../../agent/process/os.js';
import { deleteProcesses, scaleApp, startApps, stopEverything, stopProcesses } from '../../agent/operations.js';
import { restoreDump } from '../../agent/resurrect.js';
import { writeDump } from '../../agent/dump.js';
import { resolveHome } from '../../agent/protocol/home.js';
import { specFromCli } from '../../cli/ecosystem/cli-options.js';
import { eventually } from '../helpers/pmx.js';

const root = mkdtempSync(join(tmpdir(), 'pmx-start-batches-'));
const home = resolveHome({ PMX_HOME: root });
for (const dir of [home.pipes, home.notify, home.logs, home.pids]) mkdirSync(dir, { recursive: true });
const os = createProcessOs(home.pipes, home.notify);
const registry = new Registry(home, os, () => undefined);
const state = new StateFile(home.stateFile, registry, () => undefined);
os.beforeAppsRun = () => state.flush();

afterAll(async () => {
  await stopEverything(registry);
  rmSync(root, { recursive: true, force: true });
});

/** Two batches' worth. */
const APPS = 32;

/**
 * The count `registered` gives at the first turn of the event loop at which it is not 0 (the
 * start may first wait for its output FIFOs, turns in which nothing is registered yet).
 */
async function firstTurnWith(registered: () => number): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve));
    const count = registered();
    if (count > 0 || Date.now() > deadline) return count;
  }
}

describe('a start of many apps', () => {
  it('leaves the event loop a turn before every app is launched, and then starts them all', async () => {
    const apps = Array.from({ length: APPS }, (_, i) => specFromCli('/bin/sleep', { name: `s${i}`, interpreter: 'none' }, ['1000'], {}, root));
    const started = startApps(registry, apps, 'start', false);
    // the first turn of the loop in which a request that came meanwhile is read with apps registered
    const seen = await firstTurnWith(() => registry.all().length);
    expect(seen).toBeLessThan(APPS);
    const { started: procs } = await started;
    expect(procs.map((proc) => proc.spec.name)).toEqual(apps.map((app) => app.name));
    await eventually('every app online', () => registry.all().every((proc) => proc.status === 'online' && proc.pid > 0));
  });
});

describe('a resurrect of many apps', () => {
  it('leaves the event loop a turn before every app is launched, and then starts them all', async () => {
    const specs = Array.from({ length: APPS }, (_, i) => specFromCli('/bin/sleep', { name: `r${i}`, interpreter: 'none' }, ['1000'], {}, root));
    writeDump(home.dump, specs.map((spec, i) => ({ pm_id: 100 + i, instance: 0, status: 'online', spec })), false);
    const restoring = restoreDump(registry, home.dump, () => undefined);
    const seen = await firstTurnWith(() => registry.all().filter((proc) => proc.spec.name.startsWith('r')).length);
    expect(seen).toBeLessThan(APPS);
    const { processes } = await restoring;
    expect(processes.map((proc) => proc.spec.name)).toEqual(specs.map((spec) => spec.name));
    await eventually('every resurrected app online', () => processes.every((proc) => proc.status === 'online' && proc.pid > 0));
  });

  it('launches no further batch once the agent began stopping everything (pmx kill came meanwhile), and says so', async () => {
    const specs = Array.from({ length: APPS }, (_, i) => specFromCli('/bin/sleep', { name: `k${i}`, interpreter: 'none' }, ['1000'], {}, root));
    writeDump(home.dump, specs.map((spec, i) => ({ pm_id: 200 + i, instance: 0, status: 'online', spec })), false);
    await expect(restoreDump(registry, home.dump, () => undefined, () => true)).rejects.toMatchObject({ code: 'AGENT_STOPPING', message: expect.stringContaining('the resurrect of k16 and the apps after it refused') });
    expect(registry.all().filter((proc) => proc.spec.name.startsWith('k')).map((proc) => proc.spec.name)).toEqual(specs.slice(0, 16).map((spec) => spec.name));
  });
});

describe('a stop or delete that comes during a start, a resurrect or a scale of many processes', () => {
  const sleepers = (prefix: string) => Array.from({ length: APPS }, (_, i) => specFromCli('/bin/sleep', { name: `${prefix}${i}`, interpreter: 'none' }, ['1000'], {}, root));
  const named = (prefix: string) => registry.all().filter((proc) => new RegExp(`^${prefix}\\d+$`).test(proc.spec.name));

  it('delete all: the apps the start had not reached are not registered, and the start names them; nothing runs afterwards', async () => {
    const apps = sleepers('d');
    const started = startApps(registry, apps, 'start', false);
    const reached = await firstTurnWith(() => named('d').length);
    expect(reached).toBeLessThan(APPS);
    const deleted = deleteProcesses(registry, { kind: 'all' });
    await expect(started).rejects.toMatchObject({ code: 'SUPERSEDED', message: expect.stringContaining(`${apps.slice(reached).map((app) => app.name).join(', ')} not started: \`delete all\` came during the start`) });
    await deleted;
    expect(registry.all()).toEqual([]);
  });

  it('stop all: the apps the start had not reached are registered stopped, and the start names them; nothing runs afterwards', async () => {
    const apps = sleepers('t');
    const started = startApps(registry, apps, 'start', false);
    const reached = await firstTurnWith(() => named('t').length);
    expect(reached).toBeLessThan(APPS);
    const stopped = stopProcesses(registry, { kind: 'all' });
    await expect(started).rejects.toMatchObject({ code: 'SUPERSEDED', message: expect.stringContaining(`${apps.slice(reached).map((app) => app.name).join(', ')} left stopped: \`stop all\` came during the start`) });
    await stopped;
    expect(named('t').map((proc) => [proc.spec.name, proc.status])).toEqual(apps.map((app) => [app.name, 'stopped']));
    await deleteProcesses(registry, { kind: 'all' });
  });

  it('delete all during a resurrect: the entries it had not reached are not registered, and the resurrect names them', async () => {
    const specs = sleepers('u');
    writeDump(home.dump, specs.map((spec, i) => ({ pm_id: 300 + i, instance: 0, status: 'online', spec })), false);
    const restoring = restoreDump(registry, home.dump, () => undefined);
    const reached = await firstTurnWith(() => named('u').length);
    expect(reached).toBeLessThan(APPS);
    const deleted = deleteProcesses(registry, { kind: 'all' });
    await expect(restoring).rejects.toMatchObject({ code: 'SUPERSEDED', message: expect.stringContaining(`${specs.slice(reached).map((spec) => spec.name).join(', ')} not started: \`delete all\` came during the resurrect`) });
    await deleted;
    expect(registry.all()).toEqual([]);
  });

  it.each([
    { by: 'delete', name: 'sc', after: 'gone' },
    { by: 'stop', name: 'st', after: 'every instance stopped' },
  ] as const)('a $by of the app during a scale up: no instance is added after it ($after), and the scale names what it did not start', async ({ by, name }) => {
    await startApps(registry, [specFromCli('/bin/sleep', { name, interpreter: 'none' }, ['1000'], {}, root)], 'start', false);
    const scaling = scaleApp(registry, name, '40');
    const reached = await firstTurnWith(() => Math.max(0, registry.named(name).length - 1));
    expect(reached).toBeLessThan(39);
    const racing = by === 'delete' ? deleteProcesses(registry, { kind: 'name', name }) : stopProcesses(registry, { kind: 'name', name });
    await expect(scaling).rejects.toMatchObject({ code: 'SUPERSEDED', message: expect.stringContaining(`${39 - reached} more instances of ${name} not started: a ${by} came during the scale`) });
    await racing;
    expect(registry.named(name).map((proc) => proc.status)).toEqual(by === 'delete' ? [] : Array.from({ length: reached + 1 }, () => 'stopped'));
    // what describe shows and a save records: the instances registered, not the number not reached
    expect(registry.named(name).map((proc) => proc.spec.instances)).toEqual(by === 'delete' ? [] : Array.from({ length: reached + 1 }, () => reached + 1));
    if (by === 'stop') await deleteProcesses(registry, { kind: 'name', name });
  });

  it('two scales of one app to the same number at once: it runs that number, not the sum of what each found missing', async () => {
    const name = 'twice';
    await startApps(registry, [specFromCli('/bin/sleep', { name, interpreter: 'none' }, ['1000'], {}, root)], 'start', false);
    const outcomes = await Promise.allSettled([scaleApp(registry, name, '40'), scaleApp(registry, name, '40')]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(registry.named(name).length).toBe(40);
    expect(new Set(registry.named(name).map((proc) => proc.instance)).size).toBe(40);
    expect(registry.named(name).every((proc) => proc.spec.instances === 40 && proc.status === 'online')).toBe(true);
    await deleteProcesses(registry, { kind: 'name', name });
  });

  it('a scale up under way: the spec says the instances registered, not the number not reached yet (an agent killed then left 18 instances whose spec said 40)', async () => {
    const name = 'claimed';
    await startApps(registry, [specFromCli('/bin/sleep', { name, interpreter: 'none' }, ['1000'], {}, root)], 'start', false);
    const scaling = scaleApp(registry, name, '40');
    const reached = await firstTurnWith(() => registry.named(name).length);
    expect(reached).toBeLessThan(40);
    expect(registry.named(name).map((proc) => proc.spec.instances)).toEqual(Array.from({ length: reached }, () => reached));
    await scaling;
    expect(registry.named(name).map((proc) => proc.spec.instances)).toEqual(Array.from({ length: 40 }, () => 40));
    await deleteProcesses(registry, { kind: 'name', name });
  });
});
