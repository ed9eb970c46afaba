// Crash recovery: an agent that finds the state file of an agent that died (SIGKILL, OOM) takes
// over what it ran, so that every app runs exactly once, under supervision, with its logs flowing.
//
// A fork-mode app still running is adopted as it is: no restart, its output and metrics read again
// from its named pipes, its notify socket bound again where it sends (its watchdog and hang watch go
// on), its exit learnt from /proc. A cluster worker dies with its agent (Node's cluster
// ends workers whose primary is gone) and a socket-activated app holds sockets only its agent
// could hand over again: those are restarted, once. A process that is gone is handled as an exit,
// by its restart policy. A stop, restart or delete that was under way is carried on.
import { rmSync } from 'node:fs';
import type { Registry } from './registry.js';
import type { ProcessOs } from './process/os.js';
import type { SupervisedProcess } from './process/supervised.js';
import { initialLifecycle, type Intent, type Lifecycle } from './process/transition.js';
import type { RecoveredProcess, RecoveryReport } from './protocol/launch.js';
import { AdoptedChild, AdoptedChildren } from './process/adopted-child.js';
import { ProcessState, isDormant } from './process/states.js';
import { bootId, readState, type SavedProcess, type SavedState } from './state-file.js';
import { stopStrays } from './strays.js';
import { pathsOf, type OutputPipePaths } from './process/output-pipes.js';
import { uniqueId } from './process/unique-id.js';
import type { NotifySocket } from './health/notify-socket.js';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * Takes over the processes of the agent that left `stateFile`; null when there was none (a clean
 * start). `restartNothing`: for an agent started only to stop them (`pmx kill` of an agent that
 * had to be killed): what still runs is adopted, what is gone stays stopped.
 */
export function recover(registry: Registry, os: ProcessOs, stateFile: string, strays: { pipesDir: string; uncleanEnd: boolean; restartNothing?: boolean }, log: (line: string) => void): RecoveryReport | null {
  const { pipesDir } = strays;
  let state;
  try {
    state = readState(stateFile);
  } catch (error) {
    // what still runs of it is not known: whatever writes into this home's pipes is stopped
    const stopped = stopStrays(pipesDir, new Set(), os, log);
    os.pipes.load(null);
    const lost = `${stateFile} cannot be read (${(error as Error).message}): the processes of the agent that died are not known`;
    log(lost);
    return { deadAgentPid: null, adopted: [], restarted: [], exited: [], stopped, lost };
  }
  if (state && state.boot_id !== bootId()) {
    log(`ignoring ${stateFile}: written before the machine restarted, none of its processes runs`);
    state = null;
  }
  if (!state) {
    // no state: an agent that ended cleanly (nothing of it runs: not looked for), or one that died before it could write any (a full disk)
    const stopped = strays.uncleanEnd ? stopStrays(pipesDir, new Set(), os, log) : [];
    os.pipes.load(new Set());
    return stopped.length === 0 ? null : { deadAgentPid: null, adopted: [], restarted: [], exited: [], stopped, lost: null };
  }
  endReloadChildren(state, os);
  if (state.shutting_down) return finishShutdown(state, stateFile, pipesDir, os, log);
  const live = new Set(state.processes.filter(({ child }) => child && os.alive(child)));
  // a child that ended while no agent watched: what it started lives on, marked with its launch
  for (const saved of state.processes) if (saved.child?.launch && !live.has(saved)) os.sweep(saved.child.launch);
  // the notify socket of a child that is gone: nobody sends to it any more
  for (const saved of state.processes) if (saved.child?.notify && !live.has(saved)) rmSync(saved.child.notify, { force: true });
  // an adopted launch's probes were the dead agent's: ended (one may hang), this agent probes anew;
  // now, before this agent's own probes (whose children would carry the same marker) begin
  for (const saved of live) if (saved.child?.launch) os.sweep(saved.child.launch, true);
  os.flushSweeps();
  const inUse = new Set([...live].flatMap(({ child }) => (child?.pipes ? pathsOf(child.pipes) : [])));
  // before anything starts again: what the dead agent ran but never recorded would hold its port
  const stopped = stopStrays(pipesDir, inUse, os, log);
  os.pipes.load(inUse);
  const report: RecoveryReport = { deadAgentPid: state.agent_pid, adopted: [], restarted: [], exited: [], started: [], resting: [], stopped, lost: null };
  const watch = new AdoptedChildren();
  const socketApps = new Map<string, { proc: SupervisedProcess }[]>();
  for (const saved of [...state.processes].sort((a, b) => a.id - b.id)) {
    const proc = registry.add(saved.spec, saved.instance, saved.id);
    proc.restoreError(saved.error);
    // the UUID its children were given (an older agent's file: the one it made from namespace, name and id)
    proc.uniqueId = typeof saved.unique_id === 'string' ? saved.unique_id : uniqueId(saved.spec.namespace, saved.spec.name, saved.id);
    const lifecycle = restoredLifecycle(saved.lifecycle);
    const child = live.has(saved) ? adopt(proc, saved, lifecycle, os, watch, log) : null;
    // registered by a start the dead agent had not carried out yet: that start is carried out now
    const owed = saved.owed === 'start' && !child && isDormant(lifecycle.status);
    let outcome: Outcome;
    if (strays.restartNothing) {
      outcome = stopOnly(proc, lifecycle, child);
    } else if (saved.spec.listen.length > 0) {
      outcome = recoverSocketApp(proc, lifecycle, child, owed);
      if (registry.get(proc.id) === proc) socketApps.set(proc.spec.name, [...(socketApps.get(proc.spec.name) ?? []), { proc }]);
    } else if (owed) {
      proc.restore(lifecycle);
      proc.dispatch({ type: 'start' });
      outcome = 'started';
    } else {
      outcome = recoverApp(proc, saved, lifecycle, child);
    }
    report[outcome ?? 'resting']!.push({ id: proc.id, name: proc.spec.name, pid: outcome === 'adopted' ? proc.pid : 0 });
  }
  for (const instances of socketApps.values()) void reopenSockets(registry, instances, log);
  log(describeRecovery(report, stateFile));
  return report;
}

/** Supervises a live child of the dead agent, its output read again from its pipes when it has them. */
function adopt(proc: SupervisedProcess, saved: SavedProcess, lifecycle: Lifecycle, os: ProcessOs, watch: AdoptedChildren, log: (line: string) => void): { withOutput: boolean } {
  const { pid, startTicks, pipes, notify: notifyPath } = saved.child!;
  const output = pipes ? reopen(os, pipes) : null;
  const child = new AdoptedChild({ pid, startTicks }, os, watch, output ? [output.out, output.err] : []);
  const metrics = output && pipes?.metrics ? readerOf(os, pipes.metrics) : null;
  const notify = notifyPath && (saved.spec.notify || saved.spec.watchdog) ? notifyAt(os, notifyPath, `${saved.spec.name} (id ${saved.id})`, log) : null;
  // one still starting (waiting for its READY=1 or 'ready') goes on waiting, within what is left of listen_timeout
  const starting = lifecycle.status === ProcessState.LAUNCHING && saved.spec.wait_ready;
  proc.resume({ child: child.asChildProcess(), listened: false, onListening: null, metrics, output, marker: saved.child!.launch ?? null }, withCurrent(lifecycle, starting ? ProcessState.LAUNCHING : ProcessState.ONLINE), notify, saved.child!.stopping === true);
  return { withOutput: output !== null };
}

/** The agent's end of an adopted child's metrics FIFO; null when it is gone. */
function readerOf(os: ProcessOs, path: string): Readable | null {
  try {
    return os.pipes.reader(path);
  } catch {
    return null;
  }
}

/** The notify socket bound again where an adopted child sends (its NOTIFY_SOCKET); null, and logged, when it cannot be. */
function notifyAt(os: ProcessOs, path: string, who: string, log: (line: string) => void): NotifySocket | null {
  const onError = (error: Error): void => log(`${who}: notify socket: ${error.message}`);
  try {
    return os.openNotify(onError, path);
  } catch (error) {
    onError(error as Error);
    return null;
  }
}

/**
 * The lifecycle the dead agent left, on a fresh one: the fields this agent knows are taken over
 * (an agent of another version may have written others, or fewer); its requests died with it.
 * A reload under way is over (its other children were killed): the process serves, or was serving.
 */
function restoredLifecycle(saved: Partial<Lifecycle>): Lifecycle {
  const fresh = initialLifecycle();
  // recentRestarts: restart_limit's window goes on counting the restarts decided before the agent died
  // last: whether a command stopped it (cron_restart and /readyz leave such a process alone)
  const { status, restarts, unstableRestarts, startedAt, backoffDelay, recentRestarts, erroredBy, afterStop, exitCode, restartAt, last } = { ...fresh, ...saved };
  return { ...fresh, status: status === ProcessState.REPLACING ? ProcessState.ONLINE : status, restarts, unstableRestarts, startedAt, backoffDelay, recentRestarts, erroredBy, afterStop, exitCode, restartAt, last };
}

/** The lifecycle with its current child running, as the dead agent left it serving (or starting). */
function withCurrent(lifecycle: Lifecycle, status: typeof ProcessState.ONLINE | typeof ProcessState.LAUNCHING = ProcessState.ONLINE): Lifecycle {
  return { ...lifecycle, status, children: { current: true, replacement: 'none', retiring: 'none' } };
}

/** The request that carries on a stop under way when the agent died (an 'errored' ending becomes a plain stop). */
function pendingStop(lifecycle: Lifecycle): Intent {
  return lifecycle.afterStop === 'errored' ? 'stop' : lifecycle.afterStop;
}

/** The agent's ends of an adopted child's output pipes; null when they are gone (removed by hand). */
function reopen(os: ProcessOs, paths: OutputPipePaths): { out: Readable; err: Readable; paths: OutputPipePaths } | null {
  let out: Socket | null = null;
  try {
    out = os.pipes.reader(paths.out);
    return { out, err: os.pipes.reader(paths.err), paths };
  } catch {
    out?.destroy();
    return null;
  }
}

type Outcome = 'adopted' | 'restarted' | 'exited' | 'started' | null;

/** A process without sockets of the agent's: adopted when it can be, else restarted once, or its exit handled. */
function recoverApp(proc: SupervisedProcess, saved: SavedProcess, lifecycle: Lifecycle, child: { withOutput: boolean } | null): Outcome {
  if (child) {
    // STOPPING: what was asked is carried out now, on the adopted child
    if (lifecycle.status === ProcessState.STOPPING) proc.dispatch({ type: pendingStop(lifecycle) });
    // a cluster worker lost its output (and dies with its primary anyway): one restart
    else if (!child.withOutput) proc.dispatch({ type: 'restart' });
    return child.withOutput ? 'adopted' : 'restarted';
  }
  if (isDormant(lifecycle.status)) {
    proc.restore(lifecycle);
    return null;
  }
  if (lifecycle.status === ProcessState.STOPPING) {
    // STOPPING, its child gone: it ends as the stop under way would have
    proc.restore({ ...lifecycle, status: lifecycle.afterStop === 'errored' ? ProcessState.ERRORED : ProcessState.STOPPED });
    // a restart under way counts as the restart it was asked as (a start of a process at rest counts none)
    if (lifecycle.afterStop === 'restart') proc.countRestart();
    if (lifecycle.afterStop === 'restart' || lifecycle.afterStop === 'delete') proc.dispatch({ type: lifecycle.afterStop });
  } else if (lifecycle.status === ProcessState.WAITING_RESTART) {
    proc.restore(lifecycle);
    proc.resumeRestartWait();
  } else if (saved.child && !saved.child.pipes) {
    // a cluster worker, ended by its primary's death rather than by itself: one restart
    proc.restore({ ...lifecycle, status: ProcessState.STOPPED });
    proc.countRestart();
    proc.dispatch({ type: 'restart' });
    return 'restarted';
  } else {
    // LAUNCHING | ONLINE: it exited while no agent watched; its restart policy decides
    proc.restore(withCurrent(lifecycle));
    proc.dispatch({ type: 'exit', code: null, signal: null });
  }
  return 'exited';
}

/** For an agent that will stop everything at once: an adopted child is left to that stop, one that is gone stays stopped. */
function stopOnly(proc: SupervisedProcess, lifecycle: Lifecycle, child: { withOutput: boolean } | null): Outcome {
  if (child) return 'adopted';
  proc.restore({ ...lifecycle, status: isDormant(lifecycle.status) ? lifecycle.status : ProcessState.STOPPED });
  return isDormant(lifecycle.status) ? null : 'exited';
}

/**
 * A socket-activated instance: the dead agent's sockets are gone and a live instance holds the
 * port, so it is stopped; reopenSockets starts it again once every instance of its app has stopped.
 */
function recoverSocketApp(proc: SupervisedProcess, lifecycle: Lifecycle, child: { withOutput: boolean } | null, owed: boolean): Outcome {
  if (owed) {
    proc.restore(lifecycle);
    proc.holdForSockets(true);
    return 'started';
  }
  const stopping = lifecycle.status === ProcessState.STOPPING;
  if (stopping && lifecycle.afterStop === 'delete') {
    if (!child) proc.restore({ ...lifecycle, status: ProcessState.STOPPED });
    proc.dispatch({ type: 'delete' });
    return child ? 'restarted' : 'exited';
  }
  const runAgain = stopping ? lifecycle.afterStop === 'restart' : !isDormant(lifecycle.status);
  if (child) proc.dispatch({ type: 'stop' });
  else proc.restore({ ...lifecycle, status: isDormant(lifecycle.status) ? lifecycle.status : ProcessState.STOPPED });
  proc.holdForSockets(runAgain);
  return child ? 'restarted' : runAgain ? 'exited' : null;
}

/** Opens an app's sockets again once its instances have stopped (its sockets are opened once, for all), then starts those that ran. */
async function reopenSockets(registry: Registry, instances: { proc: SupervisedProcess }[], log: (line: string) => void): Promise<void> {
  await Promise.all(instances.map(({ proc }) => proc.waitFor(isDormant)));
  // an instance deleted meanwhile needs no socket; an app with none left, none at all
  const kept = instances.filter(({ proc }) => registry.get(proc.id) === proc);
  if (kept.length === 0) return;
  const { spec } = kept[0]!.proc;
  let fds: number[];
  try {
    fds = await registry.listeners.acquire(spec.name, spec.listen);
  } catch (error) {
    for (const { proc } of kept) {
      proc.fail(`cannot open its sockets again after the agent died: ${(error as Error).message}`);
      proc.socketsReady();
    }
    return;
  }
  log(`${spec.name}: sockets ${spec.listen.join(', ')} open again`);
  for (const { proc } of kept) {
    proc.useSockets(fds);
    // the commands that came meanwhile are carried out now, with the sockets; else the planned restart
    // (a stop must not be undone by it, a restart must not run without the sockets)
    if (proc.socketsReady()) {
      // one the dead agent never launched (its start was owed) restarts nothing
      if (proc.lifecycle.startedAt > 0) proc.countRestart();
      proc.dispatch({ type: 'restart' });
    }
  }
}

/** The agent log's line about a recovery. */
function describeRecovery(report: RecoveryReport, stateFile: string): string {
  const list = (procs: RecoveredProcess[]): string => procs.map((proc) => `${proc.name} (id ${proc.id}${proc.pid ? `, pid ${proc.pid}` : ''})`).join(', ') || 'none';
  return (
    `the agent${report.deadAgentPid ? ` (pid ${report.deadAgentPid})` : ''} died; taken over from ${stateFile}: ` +
    `adopted ${list(report.adopted)}; restarted once ${list(report.restarted)}; found exited ${list(report.exited)}` +
    (report.started?.length ? `; started, as the start under way asked ${list(report.started)}` : '') +
    (report.stopped.length > 0 ? `; stopped, never recorded ${list(report.stopped)}` : '')
  );
}

/** A reload under way when the agent died: its replacement or retiring child is not kept (nor what its launch started). */
function endReloadChildren(state: SavedState, os: ProcessOs): void {
  for (const other of state.processes.flatMap((saved) => saved.others ?? [])) {
    if (os.alive(other)) os.kill(os.tree(other), 'SIGKILL');
    if (other.launch) os.sweep(other.launch);
  }
}

/**
 * The dead agent was stopping every process to end (`pmx kill`, `pmx update`, a service stop) when
 * it died: its stops were the shutdown's, not the user's. What it left running is stopped and
 * nothing is taken over, as if it had ended cleanly: `pmx resurrect`, the update or the boot agent
 * then start what was saved (kept as stopped by a command, the apps stayed down for good, and a
 * resurrect took them for running).
 */
function finishShutdown(state: SavedState, stateFile: string, pipesDir: string, os: ProcessOs, log: (line: string) => void): RecoveryReport {
  for (const saved of state.processes) {
    if (saved.child?.launch) os.sweep(saved.child.launch);
    if (saved.child?.notify) rmSync(saved.child.notify, { force: true });
  }
  os.flushSweeps();
  log(`the agent (pid ${state.agent_pid}) died while stopping every process: this one finishes that stop and takes nothing over`);
  const stopped = stopStrays(pipesDir, new Set(), os, log, 'that the agent which died was stopping');
  os.pipes.load(new Set());
  rmSync(stateFile, { force: true });
  return { deadAgentPid: state.agent_pid, adopted: [], restarted: [], exited: [], started: [], resting: [], stopped, lost: null, shutdown: true };
}

