// What each request does to the registry: start, stop, restart, delete, reset, signal.
// Every operation resolves once the processes it acted on have settled.
import type { AppSpec } from './protocol/app-spec.js';
import type { Selector, StartMode } from './protocol/types.js';
import { AgentFault } from './fault.js';
import type { Registry } from './registry.js';
import type { SupervisedProcess } from './process/supervised.js';
import { ProcessState, type ProcessStatus, isDormant } from './process/states.js';
import { constants } from 'node:os';
import { MAX_INSTANCES } from './protocol/limits.js';

/** Processes spawned in one turn of the event loop when scaling up. */
const SPAWN_BATCH = 16;

/** A launch has settled once the process is online or has given up. */
const launched = (status: ProcessStatus): boolean => status !== ProcessState.LAUNCHING && status !== ProcessState.STOPPING;
const stopped = (status: ProcessStatus): boolean => isDormant(status);

export interface StartOutcome {
  started: SupervisedProcess[];
  alreadyRunning: string[];
}

/** Starts each app: new names are registered; existing ones follow `mode`. */
export async function startApps(registry: Registry, apps: AppSpec[], mode: StartMode, updateEnv: boolean): Promise<StartOutcome> {
  const acted: SupervisedProcess[] = [];
  const alreadyRunning: string[] = [];
  // two apps of one file may share a name: PM2 starts both, and restarts the name once
  const registered = new Set<string>();
  const restarted = new Set<string>();
  for (const spec of apps) {
    const existing = registry.named(spec.name);
    if (existing.length === 0 || mode === 'force' || registered.has(spec.name)) {
      registered.add(spec.name);
      // instance numbers are the lowest free ones among the processes of that name, as PM2 gives them
      const used = new Set(existing.map((proc) => proc.instance));
      for (let instance = 0, added = 0; added < spec.instances; instance++) {
        if (used.has(instance)) continue;
        const proc = await registry.prepare(spec, instance);
        proc.dispatch({ type: 'start' });
        acted.push(proc);
        added++;
      }
      continue;
    }
    if (mode === 'start') {
      const dormant = existing.filter((proc) => isDormant(proc.status));
      if (dormant.length === 0) alreadyRunning.push(spec.name);
      for (const proc of dormant) {
        proc.dispatch({ type: 'start' });
        acted.push(proc);
      }
      continue;
    }
    // startOrRestart / startOrReload: the file's options apply; the environment only with --update-env
    if (restarted.has(spec.name)) continue;
    restarted.add(spec.name);
    for (const proc of existing) {
      proc.spec = { ...spec, env: updateEnv ? spec.env : proc.spec.env };
      proc.dispatch({ type: 'restart' });
      acted.push(proc);
    }
  }
  await Promise.all(acted.map((proc) => proc.waitFor(launched)));
  // a cluster app counts as started once its workers listen (bounded by listen_timeout), so a
  // request sent right after `start -i 2` is answered
  await Promise.all(acted.filter(awaitsListening).map((proc) => proc.listening(proc.spec.listen_timeout)));
  return { started: acted, alreadyRunning };
}

function awaitsListening(proc: SupervisedProcess): boolean {
  return proc.spec.exec_mode === 'cluster_mode' && !proc.spec.wait_ready && proc.status === ProcessState.ONLINE;
}

/** Stops the selected processes and waits until each has exited; `unwatch` turns their watching off too. */
export async function stopProcesses(registry: Registry, selector: Selector, unwatch = false): Promise<SupervisedProcess[]> {
  const procs = registry.select(selector);
  for (const proc of procs) {
    if (unwatch) proc.spec = { ...proc.spec, watch: false };
    proc.dispatch({ type: 'stop' });
  }
  await Promise.all(procs.map((proc) => proc.waitFor(stopped)));
  return procs;
}

/** Restarts the selected processes (one after another when `sequential`), with a new env if given. */
export async function restartProcesses(registry: Registry, selector: Selector, env: Record<string, string> | undefined): Promise<SupervisedProcess[]> {
  const procs = registry.select(selector);
  for (const proc of procs) {
    if (env) proc.spec = { ...proc.spec, env: { ...env, ...declaredEnv(proc.spec) } };
    proc.dispatch({ type: 'restart' });
  }
  await Promise.all(procs.map((proc) => proc.waitFor(launched)));
  return procs;
}

/**
 * Reloads the selected processes one at a time: cluster-mode and socket-activated ones without a
 * gap (a replacement serves before the old child stops), fork-mode ones by a restart, as PM2
 * does. The first replacement that does not become ready ends the reload; the rest keep running.
 */
export async function reloadProcesses(registry: Registry, selector: Selector, env: Record<string, string> | undefined, parallel = 1): Promise<SupervisedProcess[]> {
  const procs = registry.select(selector);
  const batch = Math.max(1, Math.floor(parallel));
  for (let start = 0; start < procs.length; start += batch) {
    const outcomes = await Promise.all(procs.slice(start, start + batch).map((proc) => reloadOne(proc, env)));
    const failed = outcomes.find((proc) => proc !== null);
    if (failed) {
      throw new AgentFault('RELOAD_FAILED', `reload of ${failed.spec.name} (id ${failed.id}) aborted: ${failed.error ?? 'the new process did not become ready'}`, {
        id: failed.id,
        name: failed.spec.name,
      });
    }
  }
  return procs;
}

/** Reloads one process; the process itself when its replacement failed, else null. */
async function reloadOne(proc: SupervisedProcess, env: Record<string, string> | undefined): Promise<SupervisedProcess | null> {
  if (env) proc.spec = { ...proc.spec, env: { ...env, ...declaredEnv(proc.spec) } };
  if (!reloadsWithoutGap(proc.spec)) {
    proc.dispatch({ type: 'restart' });
    await proc.waitFor(launched);
    return null;
  }
  return (await proc.reload()) ? null : proc;
}

function reloadsWithoutGap(spec: AppSpec): boolean {
  return spec.exec_mode === 'cluster_mode' || spec.listen.length > 0;
}

/** `scale <name> <n|+n|-n>`: starts or deletes instances so that `name` has the number asked for. */
export async function scaleApp(registry: Registry, name: string, count: string): Promise<SupervisedProcess[]> {
  const existing = registry.named(name);
  if (existing.length === 0) throw new AgentFault('NOT_FOUND', `no process named '${name}'`, { name });
  const match = /^([+-]?)(\d+)$/.exec(count);
  if (!match) throw new AgentFault('INVALID_REQUEST', `scale: expected a number, +n or -n, got '${count}'`);
  const n = Number(match[2]);
  const wanted = match[1] === '+' ? existing.length + n : match[1] === '-' ? existing.length - n : n;
  if (wanted < 1) throw new AgentFault('INVALID_REQUEST', `scale: ${name} would have ${wanted} instances; use delete to remove it`);
  if (wanted > MAX_INSTANCES) {
    throw new AgentFault('INVALID_REQUEST', `scale: ${name} would have ${wanted} instances; an app has at most ${MAX_INSTANCES}`, { name, wanted, limit: MAX_INSTANCES });
  }
  const spec = { ...existing[0]!.spec, instances: wanted };
  if (wanted > existing.length) {
    let used = new Set(existing.map((proc) => proc.instance));
    const added: SupervisedProcess[] = [];
    for (let instance = 0; added.length < wanted - existing.length; instance++) {
      if (added.length > 0 && added.length % SPAWN_BATCH === 0) {
        // the agent answers other requests (ls, the dashboard) between batches of spawns
        await new Promise((resolve) => setImmediate(resolve));
        const now = registry.named(name);
        if (now.length === 0) break; // deleted meanwhile: start no more
        used = new Set(now.map((proc) => proc.instance));
      }
      if (used.has(instance)) continue;
      const proc = registry.add(spec, instance);
      proc.listenFds = existing[0]!.listenFds;
      proc.dispatch({ type: 'start' });
      added.push(proc);
      used.add(instance);
    }
    await Promise.all(added.map((proc) => proc.waitFor(launched)));
  } else {
    // PM2 removes the oldest processes first (lowest ids)
    const removed = existing.slice(0, existing.length - wanted);
    const gone = removed.map((proc) => new Promise<void>((resolve) => proc.once('removed', resolve)));
    for (const proc of removed) proc.dispatch({ type: 'delete' });
    await Promise.all(gone);
  }
  for (const proc of registry.named(name)) proc.spec = { ...proc.spec, instances: wanted };
  return registry.named(name);
}

/** Stops and forgets the selected processes. */
export async function deleteProcesses(registry: Registry, selector: Selector): Promise<SupervisedProcess[]> {
  const procs = registry.select(selector);
  const gone = procs.map((proc) => new Promise<void>((resolve) => proc.once('removed', resolve)));
  for (const proc of procs) proc.dispatch({ type: 'delete' });
  await Promise.all(gone);
  return procs;
}

/** Sets the restart counters of the selected processes back to zero. */
export function resetProcesses(registry: Registry, selector: Selector): SupervisedProcess[] {
  const procs = registry.select(selector);
  for (const proc of procs) proc.lifecycle = { ...proc.lifecycle, restarts: 0, unstableRestarts: 0 };
  return procs;
}

/** Sends a signal to the main process of each selected process. */
export function signalProcesses(registry: Registry, selector: Selector, signal: string): SupervisedProcess[] {
  const name = signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
  if (!(name in constants.signals)) {
    throw new AgentFault('INVALID_REQUEST', `unknown signal '${signal}'`, { signal });
  }
  const procs = registry.select(selector);
  const delivered = procs.filter((proc) => proc.signal(name as NodeJS.Signals));
  if (delivered.length === 0) {
    throw new AgentFault('NOT_FOUND', `no running process to send ${name} to`, { signal: name });
  }
  return delivered;
}

/** The environment an app declared itself (ecosystem `env`, flags), which a new shell env never overrides. */
function declaredEnv(spec: AppSpec): Record<string, string> {
  return spec.app_env ?? {};
}
