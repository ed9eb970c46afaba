// What each request does to the registry: start, stop, restart, reload, scale, delete, reset,
// signal. Every operation resolves once the processes it acted on have settled, and what it
// answers is true then: a process that a later request took elsewhere is named in a SUPERSEDED
// fault, never reported as done (how requests on one process compose: process/requests.ts).
import { RESPEC_FORBIDDEN, type AppSpec } from './protocol/app-spec.js';
import type { Selector, StartMode } from './protocol/types.js';
import { AgentFault } from './fault.js';
import type { Registry } from './registry.js';
import type { SupervisedProcess } from './process/supervised.js';
import { ProcessState, isDormant } from './process/states.js';
import { reloadsWithoutGap, type Intent, type Outcome } from './process/lifecycle.js';
import { GOALS } from './process/requests.js';
import { constants } from 'node:os';
import { MAX_INSTANCES } from './protocol/limits.js';
import { LaunchTurns, SPAWN_BATCH, Unreached, beingDeleted, removal, settlingOf } from './launch-turns.js';

export interface StartOutcome {
  started: SupervisedProcess[];
  alreadyRunning: string[];
}

/**
 * Starts each app: new names are registered; existing ones follow `mode` (startOrReload reloads
 * them one at a time, without a gap in cluster mode, as `reload <name>` does). A process that a
 * later request (a stop, a delete) took elsewhere before it settled is named in a SUPERSEDED fault.
 */
export async function startApps(registry: Registry, apps: AppSpec[], mode: StartMode, updateEnv: boolean, given: readonly (keyof AppSpec)[] = [], stopping: () => boolean = () => false): Promise<StartOutcome> {
  const acted: SupervisedProcess[] = [];
  const alreadyRunning: string[] = [];
  /** What each process was asked here (its ticket), to tell afterwards whether a later request overrode it. */
  const tickets = new Map<SupervisedProcess, number>();
  /** The answers to those requests: each comes once its launch is over (online, given up, or dead before it was ready). */
  const answers = new Map<SupervisedProcess, Promise<Outcome>>();
  const ask = (proc: SupervisedProcess, intent: Intent): void => {
    answers.set(proc, proc.request(intent));
    tickets.set(proc, proc.lifecycle.asked);
  };
  /** Acted on without a request (autostart off: left at rest), so that a later request is told apart. */
  const leave = (proc: SupervisedProcess): void => void tickets.set(proc, proc.lifecycle.asked);
  /** Running processes a startOrReload replaces, with the spec each takes when its turn comes (not before: an aborted reload leaves the rest as they run). */
  const reloads = new Map<SupervisedProcess, AppSpec>();
  // two apps of one file may share a name: PM2 starts both, and restarts the name once
  const registered = new Set<string>();
  const restarted = new Set<string>();
  /** The processes this start registered: started, never restarted, whatever the mode. */
  const fresh = new Set<SupervisedProcess>();
  // a start of many apps launched them all in one turn: on a loaded machine every other command
  // waited seconds, and one that came then failed, its hello unanswered within 5 s
  const turns = new LaunchTurns(registry, apps.map((spec) => ({ spec, count: spec.instances })), 'start', stopping);
  /** The apps this start had not reached when a `stop all` or `delete all` came (the apps before them were taken by it). */
  const unreached = new Unreached(registry);
  for (const spec of apps) {
    await turns.before(spec.name);
    const settling = settlingOf(registry, spec.name);
    if (settling) await settling;
    // a delete of everything came during this start: what it had not reached is not registered
    const everything = unreached.since();
    if (everything === 'delete') {
      unreached.skip(spec.name, 'delete');
      continue;
    }
    // a script started under a registered name is that app again only when it is the same script,
    // as PM2 decides: a new release's script under the old name is a new process, not the old one restarted
    const existing = registry.named(spec.name).filter((proc) => mode !== 'start' || proc.spec.script === spec.script);
    if (existing.length === 0 || mode === 'force' || registered.has(spec.name)) {
      registered.add(spec.name);
      // instance numbers are the lowest free ones among the processes of that name, as PM2 gives them
      const used = new Set(registry.named(spec.name).map((proc) => proc.instance));
      const prepared: SupervisedProcess[] = [];
      // every instance is registered before the first launches: a cluster worker's launch writes
      // the state file, and an agent killed between two launches left the next agent an app of
      // fewer instances than asked, which a second start then took for one already running; each
      // is recorded as owed its start (set before this turn can end), which the next agent carries out
      for (let instance = 0; prepared.length < spec.instances; instance++) {
        if (used.has(instance)) continue;
        const proc = await registry.prepare(spec, instance);
        proc.startOwed = spec.autostart !== false;
        prepared.push(proc);
      }
      for (const proc of prepared) fresh.add(proc);
      // a stop of everything came during this start: registered, and stopped as it would have been
      if (everything === 'stop') {
        for (const proc of prepared) proc.dispatch({ type: 'stop' });
        unreached.skip(spec.name, 'stop');
        continue;
      }
      for (const proc of prepared) {
        // autostart off: registered, and stopped until asked (PM2's `autostart: false`)
        if (spec.autostart !== false) {
          ask(proc, 'start');
          turns.count();
        } else leave(proc);
        acted.push(proc);
      }
      continue;
    }
    if (everything === 'stop') {
      unreached.skip(spec.name, 'stop');
      continue;
    }
    if (mode === 'start') {
      // at rest, or being stopped: the later start wins over the stop under way, as PM2 restarts an app not online
      const dormant = existing.filter((proc) => isDormant(proc.status) || stopAsked(proc));
      if (dormant.length === 0) alreadyRunning.push(spec.name);
      // as PM2 restarts it: with the options the command line gave (the rest as they were), and a
      // new shell's variables only with --update-env
      const options = pickGiven(spec, given);
      for (const proc of dormant) {
        respecForRestart(proc, updateEnv ? spec.env : undefined, options);
        ask(proc, 'start');
        acted.push(proc);
        turns.count();
      }
      continue;
    }
    // startOrRestart / startOrReload: the file's options apply, and its variables are merged into
    // the app's environment as PM2 merges them (what an earlier --env gave stays); the shell's only with --update-env
    if (restarted.has(spec.name)) continue;
    restarted.add(spec.name);
    for (const proc of existing) {
      // its exec_mode stays, as under PM2: instances switched to fork mode in place each took the
      // port of the cluster, and all but one crash-looped on EADDRINUSE (delete and start to change it)
      const next = { ...spec, exec_mode: proc.spec.exec_mode, env: { ...proc.spec.env, ...(updateEnv ? spec.env : declaredEnv(spec)) }, app_env: { ...declaredEnv(proc.spec), ...declaredEnv(spec) } };
      if (mode === 'startOrReload' && !isDormant(proc.status)) {
        reloads.set(proc, next);
        acted.push(proc);
        continue;
      }
      proc.respec(next);
      // autostart off: a file started or restarted again leaves it at rest, as PM2 does
      if (isDormant(proc.status) && spec.autostart === false) leave(proc);
      else {
        ask(proc, isDormant(proc.status) ? 'start' : 'restart');
        turns.count();
      }
      acted.push(proc);
    }
  }
  // one process after the other, each taking its new spec at its turn
  const reloaded = reloadInBatches([...reloads.keys()], 1, (proc, askedBefore) => reloadOne(proc, askedBefore, () => proc.respec(reloads.get(proc)!)));
  reloaded.catch(() => undefined); // awaited below, once the starts have settled
  await Promise.all(acted.flatMap((proc) => answers.get(proc) ?? []));
  const reloadOutcomes = await reloaded;
  // a cluster app counts as started once its workers listen (bounded by listen_timeout), so a
  // request sent right after `start -i 2` is answered
  await Promise.all(acted.filter(awaitsListening).map((proc) => proc.listening(proc.spec.listen_timeout)));
  // a file's new apps are started, not restarted: `pmx start <file>` of new apps overridden said "restart did not complete"
  const action = acted.every((proc) => fresh.has(proc)) ? 'start' : mode === 'startOrReload' ? 'reload' : mode === 'startOrRestart' ? 'restart' : 'start';
  conclude(action, acted, acted.map((proc) => reloadOutcomes.get(proc) ?? overriddenSince(proc, tickets.get(proc)!)), unreached.lines(action));
  return { started: acted, alreadyRunning };
}

/**
 * Reloads `procs`, `batch` at a time. The next batch starts once each replacement of this one
 * serves (its old child drains meanwhile: with long-lived connections, each waited drain_timeout
 * one after the other, 30 s per instance) or its reload has ended (in fork mode: its restarted
 * child proved ready, or failed). A new process that does not become ready ends the reload of its
 * app (the rest of its processes keep running as they were, old code and spec) but not of the others, as PM2 goes on to them; a failure is thrown once every
 * round has ended, naming every app that failed and the processes left as they were.
 */
async function reloadInBatches(procs: SupervisedProcess[], batch: number, reload: (proc: SupervisedProcess, askedBefore: number) => Promise<Outcome>): Promise<Map<SupervisedProcess, Outcome>> {
  // what each had been asked when the reload arrived: a stop since wins over the reload, turn come or not
  const askedBefore = new Map(procs.map((proc) => [proc, proc.lifecycle.asked]));
  const outcomes = new Map<SupervisedProcess, Outcome>();
  /** Each process whose reload failed, with why as it said when it failed (in fork mode its restart policy may relaunch it, and a launch clears it, before the last round ends). */
  const failed = new Map<SupervisedProcess, string | null>();
  const left: SupervisedProcess[] = [];
  const failedApps = new Set<string>();
  const rounds: Promise<void>[] = [];
  for (let start = 0; start < procs.length; start += batch) {
    const slice = procs.slice(start, start + batch).filter((proc) => {
      if (!failedApps.has(proc.spec.name)) return true;
      left.push(proc);
      return false;
    });
    await Promise.all(
      slice.map((proc) => {
        const outcome = reload(proc, askedBefore.get(proc)!);
        // registered first: a failure is known before the turn below lets the loop go on
        const round = outcome.then((answer) => {
          outcomes.set(proc, answer);
          if (answer.kind !== 'failed') return;
          failed.set(proc, proc.error);
          failedApps.add(proc.spec.name);
        });
        rounds.push(round);
        return untilServing(proc, round);
      }),
    );
  }
  await Promise.all(rounds);
  if (failed.size > 0) throw reloadFailed(failed, left);
  return outcomes;
}

/** Resolves once `proc`'s replacement serves in place of its old child, or `round` has ended. */
function untilServing(proc: SupervisedProcess, round: Promise<void>): Promise<void> {
  let replaced = (): void => undefined;
  const serving = new Promise<void>((resolve) => {
    replaced = resolve;
    proc.once('replaced', replaced);
  });
  return Promise.race([round, serving]).finally(() => proc.off('replaced', replaced));
}

function reloadFailed(failed: Map<SupervisedProcess, string | null>, left: SupervisedProcess[]): AgentFault {
  const first = [...failed.keys()][0]!;
  const aborted = [...failed].map(([proc, error]) => `reload of ${proc.spec.name} (id ${proc.id}) aborted: ${error ?? 'the new process did not become ready'}`).join('; ');
  const untouched = left.length > 0 ? `; not reloaded, running as they were: ${left.map((proc) => `${proc.spec.name} (id ${proc.id})`).join(', ')}` : '';
  return new AgentFault(`${aborted}${untouched}`, { code: 'RELOAD_FAILED', app: first.spec.name, data: {
    id: first.id,
    name: first.spec.name,
  } });
}

/** Whether a request made after `ticket` took the process elsewhere than running (a stop, a delete). */
function overriddenSince(proc: SupervisedProcess, ticket: number): Outcome {
  const { asked, last } = proc.lifecycle;
  return asked !== ticket && last !== null && GOALS[last] !== 'running' ? { kind: 'superseded', by: last } : { kind: 'done' };
}

function awaitsListening(proc: SupervisedProcess): boolean {
  return proc.spec.exec_mode === 'cluster_mode' && !proc.spec.wait_ready && proc.status === ProcessState.ONLINE;
}

/** Stops the selected processes and waits until each has exited; `unwatch` turns their watching off too. */
export async function stopProcesses(registry: Registry, selector: Selector, unwatch = false): Promise<SupervisedProcess[]> {
  const procs = registry.select(selector);
  if (selector.kind === 'all') registry.askedOfAll('stop');
  const outcomes = procs.map((proc) => {
    if (unwatch) proc.respec({ ...proc.spec, watch: false });
    return proc.request('stop');
  });
  return conclude('stop', procs, await Promise.all(outcomes));
}

/**
 * Stops every process as the agent exits. A request racing it may override a stop, which is then
 * asked again, and a delete under way is waited for: no process is left running.
 */
export async function stopEverything(registry: Registry): Promise<SupervisedProcess[]> {
  const procs = registry.all();
  for (;;) {
    const left = registry.all().filter((proc) => !isDormant(proc.status));
    if (left.length === 0) return procs;
    await Promise.all(left.map((proc) => (beingDeleted(proc) ? removal(proc) : proc.request('stop'))));
  }
}

/** Restarts the selected processes, with a new env and options if given (respecForRestart). */
export async function restartProcesses(registry: Registry, selector: Selector | SupervisedProcess[], env: Record<string, string> | undefined, options?: Partial<AppSpec>): Promise<SupervisedProcess[]> {
  const procs = Array.isArray(selector) ? selector : registry.select(selector);
  const outcomes = procs.map((proc) => {
    respecForRestart(proc, env, options);
    return proc.request('restart');
  });
  return conclude('restart', procs, await Promise.all(outcomes));
}

/**
 * Reloads the selected processes, `parallel` at a time: cluster-mode and socket-activated ones
 * without a gap (a replacement serves before the old child stops), fork-mode ones by a restart
 * (as PM2 does) whose new child must be ready (wait_ready's 'ready', its health check passed, or
 * else listening or up min_uptime) before the next is restarted (PM2 goes on at once). The first new process that does
 * not become ready ends the reload of its app; the rest keep running as they were. A stop or delete asked after this reload wins over it, on the processes it names,
 * whether their turn has come or not.
 */
export async function reloadProcesses(registry: Registry, selector: Selector | SupervisedProcess[], env: Record<string, string> | undefined, parallel = 1, options?: Partial<AppSpec>): Promise<SupervisedProcess[]> {
  const procs = Array.isArray(selector) ? selector : registry.select(selector);
  const outcomes = await reloadInBatches(procs, Math.max(1, Math.floor(parallel)), (proc, askedBefore) => reloadOne(proc, askedBefore, () => respecForRestart(proc, env, options)));
  return conclude('reload', procs, procs.map((proc) => outcomes.get(proc)!));
}

/** Reloads one process when its turn comes, unless a later stop or delete got there first; `respec` gives it the spec it takes. */
async function reloadOne(proc: SupervisedProcess, askedBefore: number, respec: () => void): Promise<Outcome> {
  const { asked, last } = proc.lifecycle;
  if (asked !== askedBefore && last !== null && GOALS[last] !== 'running') return { kind: 'superseded', by: last };
  const before = proc.spec;
  respec();
  // without a gap (cluster mode, socket activation), or in fork mode by a restart whose new child must prove ready (process/proof.ts)
  const outcome = await proc.request('reload');
  // an aborted reload leaves the old child serving with what it was started with: so says the list,
  // and so start the instances added later (they took the new environment that made it fail); in
  // fork mode the old child had stopped first, and the new one runs what it was given
  if (outcome.kind === 'failed' && proc.spec !== before && reloadsWithoutGap(before)) proc.respec(before);
  return outcome;
}

/**
 * What a restart or reload of one selected process changes in its spec: the options given (PM2's
 * flags of restart), and a new shell's variables merged over what it had, as PM2 merges them (a
 * variable given at start that this shell lacks stays; the shell's value wins over the one the
 * app's file declared, as PM2 7's restartProcessId extends the app's env with it).
 */
function respecForRestart(proc: SupervisedProcess, env: Record<string, string> | undefined, options: Partial<AppSpec> | undefined): void {
  if (!options && !env) return;
  proc.respec({ ...proc.spec, ...options, ...(env ? { env: { ...proc.spec.env, ...env } } : {}) });
}

/** The keys of `spec` the command line named that a registered process may take (none: undefined). */
function pickGiven(spec: AppSpec, given: readonly (keyof AppSpec)[]): Partial<AppSpec> | undefined {
  const keys = given.filter((key) => !RESPEC_FORBIDDEN.has(key));
  return keys.length === 0 ? undefined : Object.fromEntries(keys.map((key) => [key, spec[key]]));
}

/**
 * `scale <name> <n|+n|-n>`: starts or deletes instances so that `name` has the number asked for.
 * Instances that an earlier request is deleting are waited for first: they do not count, and
 * their instance numbers are free again once they are gone.
 */
export async function scaleApp(registry: Registry, name: string, count: string, log: (line: string) => void = () => {}): Promise<SupervisedProcess[]> {
  const match = /^([+-]?)(\d+)$/.exec(count);
  if (!match) throw new AgentFault(`scale: expected a number, +n or -n, got '${count}'`, { code: 'INVALID_REQUEST' });
  const leaving = registry.named(name).filter(beingDeleted).map(removal);
  if (leaving.length > 0) {
    log(`scale ${name} ${count}: waiting for ${leaving.length} instance${leaving.length === 1 ? '' : 's'} being deleted`);
    await Promise.all(leaving);
  }
  const existing = registry.named(name);
  if (existing.length === 0) throw new AgentFault(`no process named '${name}'`, { code: 'NOT_FOUND', app: name, data: { name } });
  const n = Number(match[2]);
  const wanted = match[1] === '+' ? existing.length + n : match[1] === '-' ? existing.length - n : n;
  // counted once the instances being deleted are gone: a scale down under way does not count as
  // running; and a scale that waited for one is no mistake to refuse when it finds its number there
  if (match[1] === '' && wanted === existing.length && leaving.length === 0) {
    throw new AgentFault(`scale: ${name} already runs ${wanted} instance${wanted === 1 ? '' : 's'}: nothing to do`, { code: 'INVALID_REQUEST', app: name, data: { name, running: wanted } });
  }
  if (wanted < 0) throw new AgentFault(`scale: ${name} would have ${wanted} instances`, { code: 'INVALID_REQUEST', app: name });
  if (wanted > MAX_INSTANCES) {
    throw new AgentFault(`scale: ${name} would have ${wanted} instances; an app has at most ${MAX_INSTANCES}`, { code: 'INVALID_REQUEST', app: name, data: { name, wanted, limit: MAX_INSTANCES } });
  }
  // scaling to 0 deletes every instance, as PM2 does
  if (wanted > 0 && wanted <= existing.length) for (const proc of existing) proc.respec({ ...proc.spec, instances: wanted });
  if (wanted > existing.length) {
    /**
     * The spec of the instances (what describe shows, a save and the state file record) says the
     * number registered once the batch under way is: an agent killed mid-scale left an app of 18
     * instances whose spec said 40, and the next agent started no more.
     */
    let spec = existing[0]!.spec;
    const claim = (count: number): void => {
      for (const proc of registry.named(name)) proc.respec({ ...proc.spec, instances: count });
      spec = { ...spec, instances: count };
    };
    let used = new Set(existing.map((proc) => proc.instance));
    const added: SupervisedProcess[] = [];
    const started: Promise<Outcome>[] = [];
    const everything = new Unreached(registry);
    /** What each instance had been asked when the scale began (the added ones: their start): a stop or delete since is a later request. */
    const tickets = new Map(existing.map((proc) => [proc, proc.lifecycle.asked]));
    /** A later stop or delete of any instance of the app, or of all: the scale adds no more. */
    const overridden = (): 'delete' | 'stop' | null => {
      for (const [proc, ticket] of tickets) {
        const outcome = overriddenSince(proc, ticket);
        if (outcome.kind === 'superseded') return outcome.by === 'delete' ? 'delete' : 'stop';
      }
      return everything.since();
    };
    /** Why the scale stopped adding instances before its number: a delete or a stop came meanwhile. */
    let cut: 'delete' | 'stop' | null = null;
    /** Instances still to add: counted again after each turn, since another scale of the app may have added some meanwhile. */
    let room = wanted - existing.length;
    let turnAt = 0;
    claim(existing.length + Math.min(room, SPAWN_BATCH));
    for (let instance = 0; room > 0; instance++) {
      if (added.length - turnAt >= SPAWN_BATCH) {
        turnAt = added.length;
        // the agent answers other requests (ls, the dashboard) between batches of spawns
        await new Promise((resolve) => setImmediate(resolve));
        const now = registry.named(name);
        // deleted meanwhile (a delete under way still lists the instances it stops), or all stopped: start no more
        cut = now.length === 0 || now.some(beingDeleted) ? 'delete' : overridden();
        if (cut) break;
        used = new Set(now.map((proc) => proc.instance));
        room = wanted - now.length;
        if (room <= 0) break;
        claim(now.length + Math.min(room, SPAWN_BATCH));
      }
      if (used.has(instance)) continue;
      const proc = registry.add(spec, instance);
      proc.useSockets(existing[0]!.listenFds);
      started.push(proc.request('start'));
      tickets.set(proc, proc.lifecycle.asked);
      added.push(proc);
      used.add(instance);
      room--;
    }
    const missing = wanted - existing.length - added.length;
    // what it has now (a stop cut it short, or another scale added some): not a number not reached
    if (cut !== 'delete') claim(registry.named(name).length);
    const unstarted = cut && missing > 0 ? [`${missing} more instance${missing === 1 ? '' : 's'} of ${name} not started: a ${cut} came during the scale`] : [];
    conclude('scale', added, await Promise.all(started), unstarted);
  } else {
    // PM2 removes the oldest processes first (lowest ids)
    const removed = existing.slice(0, existing.length - wanted);
    conclude('scale', removed, await Promise.all(removed.map((proc) => proc.request('delete'))));
  }
  return registry.named(name);
}

/** Stops and forgets the selected processes. */
export async function deleteProcesses(registry: Registry, selector: Selector): Promise<SupervisedProcess[]> {
  const procs = registry.select(selector);
  if (selector.kind === 'all') registry.askedOfAll('delete');
  return conclude('delete', procs, await Promise.all(procs.map((proc) => proc.request('delete'))));
}

/** A stop is under way: asked, or carried out with nothing to follow it. */
const stopAsked = (proc: SupervisedProcess): boolean => proc.lifecycle.pending?.goal === 'stopped' || (proc.status === ProcessState.STOPPING && proc.lifecycle.afterStop === 'stop');

const OVERRIDDEN: Record<Intent, string> = {
  start: 'was started by a later request',
  stop: 'was stopped by a later request',
  restart: 'was restarted by a later request',
  reload: 'was reloaded by a later request',
  delete: 'was deleted by another request',
};

/** The processes, when each request was carried out; a SUPERSEDED fault naming each one another request overrode. */
function conclude(action: string, procs: SupervisedProcess[], outcomes: Outcome[], unreached: string[] = []): SupervisedProcess[] {
  const overridden = procs.flatMap((proc, i) => {
    const outcome = outcomes[i];
    return outcome?.kind === 'superseded' ? [`${proc.spec.name} (id ${proc.id}) ${OVERRIDDEN[outcome.by]}`] : [];
  });
  overridden.push(...unreached);
  if (overridden.length === 0) return procs;
  throw new AgentFault(`${action} did not complete: ${overridden.join('; ')}`, { code: 'SUPERSEDED', data: {
    action,
    ids: procs.filter((_proc, i) => outcomes[i]?.kind === 'superseded').map((proc) => proc.id),
  } });
}

/** Sets the restart counters of the selected processes back to zero. */
export function resetProcesses(registry: Registry, selector: Selector): SupervisedProcess[] {
  const procs = registry.select(selector);
  for (const proc of procs) proc.resetCounters();
  return procs;
}

/** Sends a signal to the main process of each selected process. */
export function signalProcesses(registry: Registry, selector: Selector, signal: string): SupervisedProcess[] {
  const name = signalName(signal);
  if (!(name in constants.signals)) {
    throw new AgentFault(`unknown signal '${signal}'`, { code: 'INVALID_REQUEST', data: { signal } });
  }
  const procs = registry.select(selector);
  const delivered = procs.filter((proc) => proc.signal(name as NodeJS.Signals));
  if (delivered.length === 0) {
    throw new AgentFault(`no running process to send ${name} to`, { code: 'NOT_FOUND', data: { signal: name } });
  }
  return delivered;
}

/** 'SIGUSR2', 'usr2' or '12' (a number, as PM2 and kill(1) take it): the signal's name, or what was given when none. */
function signalName(signal: string): string {
  if (/^\d+$/.test(signal)) return Object.entries(constants.signals).find(([, number]) => number === Number(signal))?.[0] ?? signal;
  return signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
}

/** The environment an app declared itself (ecosystem `env`, flags), which a new shell env never overrides. */
function declaredEnv(spec: AppSpec): Record<string, string> {
  return spec.app_env ?? {};
}
