// What the state file holds when a start's first process launches: what the next agent would take
// over if this one were killed right then (SIGKILL, the OOM killer). Each app of the start must be
// there whole, every instance of it: an app left with fewer instances than it was started with is
// taken by a second `pmx start` of the same file for one already running, and stays short.
// The real registry, state file and start operation; the OS seam's hook that writes the state
// before an app's code runs reads the file back, then refuses the launch (no process is made).
// Then a real agent takes over from the file as it was at that moment.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../agent/registry.js';
import { StateFile, readState } from '../../agent/state-file.js';
import { createProcessOs } from '../../agent/process/os.js';
import { deleteProcesses, startApps, stopEverything } from '../../agent/operations.js';
import { resolveHome } from '../../agent/protocol/home.js';
import { specFromCli } from '../../cli/ecosystem/cli-options.js';
import { FIXTURES, PmxSandbox, alive, eventually } from '../helpers/pmx.js';

const root = mkdtempSync(join(tmpdir(), 'pmx-start-recorded-'));
const taker = new PmxSandbox('pmx-start-recorded-taker-');
afterAll(async () => {
  await taker.cleanup();
  rmSync(root, { recursive: true, force: true });
});

describe('a start of cluster apps', () => {
  it('records every instance of an app before the first of them launches', async () => {
    const home = resolveHome({ PMX_HOME: root });
    for (const dir of [home.pipes, home.notify, home.logs, home.pids]) mkdirSync(dir, { recursive: true });
    const os = createProcessOs(home.pipes, home.notify);
    const registry = new Registry(home, os, () => undefined);
    const state = new StateFile(home.stateFile, registry, () => undefined);
    /** At each launch: the ids of each app the state file names, as the next agent would read them. */
    const seen: Record<string, number[]>[] = [];
    os.beforeAppsRun = () => {
      const error = state.flush();
      const byName: Record<string, number[]> = {};
      for (const entry of readState(home.stateFile)?.processes ?? []) (byName[entry.spec.name] ??= []).push(entry.id);
      seen.push(byName);
      return error ?? new Error('not launched in this test');
    };
    const script = join(FIXTURES, 'apps', 'ticker.js');
    const specs = ['web', 'api'].map((name) => specFromCli(script, { name, instances: '3' }, [], {}, root));
    await startApps(registry, specs, 'start', false).catch(() => undefined);
    // the first launch of each app found all three of its instances written down
    expect(seen[0]).toEqual({ web: [0, 1, 2] });
    expect(seen.find((names) => 'api' in names)).toEqual({ web: [0, 1, 2], api: [3, 4, 5] });
    // the refused launches are tried again by the restart policy, and a retry is launched for real:
    // deleted, not only stopped, so that no log of theirs is opened here once the test ends
    await stopEverything(registry);
    await deleteProcesses(registry, { kind: 'all' });
    expect(registry.all()).toEqual([]);
    state.flush();
    os.flushSweeps();
  });

  it('an agent that takes over from the file written at the first launch starts the instances the start had not launched yet, and says so', async () => {
    const home = resolveHome({ PMX_HOME: join(root, 'second') });
    for (const dir of [home.pipes, home.notify, home.logs, home.pids]) mkdirSync(dir, { recursive: true });
    const os = createProcessOs(home.pipes, home.notify);
    const registry = new Registry(home, os, () => undefined);
    const state = new StateFile(home.stateFile, registry, () => undefined);
    /** The state file as the first launch wrote it: what an agent killed right then leaves. */
    let left: string | null = null;
    os.beforeAppsRun = () => {
      const error = state.flush();
      left ??= readFileSync(home.stateFile, 'utf8');
      return error ?? new Error('not launched in this test');
    };
    const spec = specFromCli(join(FIXTURES, 'apps', 'ticker.js'), { name: 'web', instances: '3' }, [], {}, root);
    await startApps(registry, [spec], 'start', false).catch(() => undefined);
    await stopEverything(registry);
    await deleteProcesses(registry, { kind: 'all' });
    state.flush();
    os.flushSweeps();
    expect(left).not.toBeNull();

    // the next agent of another home finds that file where its dead agent left it
    mkdirSync(taker.home, { recursive: true, mode: 0o700 });
    writeFileSync(join(taker.home, 'agent.state'), left!, { mode: 0o600 });
    const first = await taker.run(['jlist']);
    expect(first.code, first.stderr).toBe(0);
    // instance 0 was launching (gone: its restart policy starts it again); 1 and 2 were owed their start
    expect(first.stderr).toContain('started, as the start under way when it died asked (it had not launched them yet): web (id 1), web (id 2)');
    const list = await eventually('the three instances online', async () => {
      const entries = await taker.jlist();
      return entries.length === 3 && entries.every((entry) => entry.pm2_env.status === 'online' && entry.pid > 0) ? entries : null;
    }, 20_000);
    expect(list.map((entry) => [entry.pm_id, entry.pm2_env.NODE_APP_INSTANCE])).toEqual([[0, 0], [1, 1], [2, 2]]);
    expect(list.every((entry) => alive(entry.pid))).toBe(true);
    // never run before, so never restarted
    expect(list.filter((entry) => entry.pm_id > 0).map((entry) => entry.pm2_env.restart_time)).toEqual([0, 0]);
  });
});
