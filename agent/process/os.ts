// The seam between supervised processes and the operating system: launching a child (a plain
// process, or a cluster worker of a Node app), identifying and signalling process trees.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { Readable, Writable } from 'node:stream';
import type { AppSpec } from '../protocol/app-spec.js';
import { processTree, readStat, sharedTable } from '../os/process-tree.js';
import { METRICS_FD_VARIABLE, METRICS_PRELOAD } from '../metrics/node-metrics.js';
import { LAUNCH_VARIABLE, findMarked, markerOf, probeMarker } from '../os/marked.js';
import { OutputPipes, type OpenedPipes, type OutputPipePaths } from './output-pipes.js';
import { openNotifySocket, type NotifySocket } from '../health/notify-socket.js';
import { guardRunnable } from '../protocol/home-guard.js';

/** A process named so that pid reuse cannot fool us: its pid and its start time since boot. */
export interface ProcessIdentityRow {
  pid: number;
  startTicks: number;
}

export interface LaunchOptions {
  env: Record<string, string>;
  /** Listening sockets handed to the child as fd 3.. (socket activation), in order. */
  listenFds: readonly number[];
  /** Asked when the state file could not name the apps about to run: true when this one must not run (no state file ever named its process). */
  unrecorded?: () => boolean;
  /** This launch's marker: the child's environment carries it as PMX_LAUNCH (marked.ts). */
  marker?: string;
}

/** A started child; `listened` turns true at a cluster worker's first listening server. */
export interface Launched {
  child: ChildProcess;
  listened: boolean;
  onListening: ((listener: () => void) => void) | null;
  /** The pipe a Node app's metrics preload writes its samples to; null without one. */
  metrics: Readable | null;
  /** Its stdout and stderr when they go through named pipes (fork mode), else null (the child's own). */
  output: { out: Readable; err: Readable; paths: OutputPipePaths } | null;
  /** Why its gate was closed before it ran any code of the app (it then exits 1), else undefined. */
  refused?: string;
  /** Resolves true once its gate opened, false once it was closed (refused); null: started ungated. */
  admitted?: Promise<boolean> | null;
  /** The launch's marker, inherited by every process it starts (marked.ts); null: none (adopted from an older agent). */
  marker?: string | null;
}

export interface ProcessOs {
  launch(spec: AppSpec, options: LaunchOptions): Launched;
  /** The identity of a live pid (pid + start time), so later signals never hit a reused pid. */
  identify(pid: number): ProcessIdentityRow;
  /** `root` (if still the same process) and its live descendants and process-group members. */
  /** `root`'s processes; with `including`, read after that process started (a table read earlier in this turn may not have it). */
  tree(root: ProcessIdentityRow, including?: number): ProcessIdentityRow[];
  /** The process `pid` when it runs (not a zombie) and carries the launch marker `marker`; else null. */
  marked(pid: number, marker: string): ProcessIdentityRow | null;
  /** Signals each process whose identity still matches. */
  kill(members: ProcessIdentityRow[], signal: NodeJS.Signals): void;
  /** SIGKILLs, shortly and together with the others asked meanwhile, every process left of the launch `marker` names (its probes too); with `probesOnly`, its probes alone. */
  sweep(marker: string, probesOnly?: boolean): void;
  /** Carries out the sweeps asked for and not yet done, now (before an answer, before the agent exits). */
  flushSweeps(): void;
  /** True while this very process runs (not a zombie, and its pid not reused). */
  alive(identity: ProcessIdentityRow): boolean;
  /**
   * Opens a notify socket of a name no other agent's child has; with `path`, at the path an adopted
   * child still sends to (its NOTIFY_SOCKET). Throws with the reason when it cannot.
   */
  openNotify(onError: (error: Error) => void, path?: string): NotifySocket;
  /** The FIFOs the apps' output goes through (an adopted app's are opened again from here). */
  readonly pipes: OutputPipes;
  /** Called once per turn before the apps started in it may run (the state file names them first); the write's error, or null. */
  beforeAppsRun: (() => Error | null) | null;
  now(): number;
}

/** How long the sweeps asked for gather before one read of /proc serves them all. */
const SWEEP_BATCH_MS = 20;

/** The module every cluster worker of a Node app preloads (drains it before a reload stops it). */
const CLUSTER_PRELOAD = new URL('../modes/cluster-preload.js', import.meta.url).href;

/** The real operating system, with the FIFOs under `pipesDir` and the notify sockets under `notifyDir`. */
export function createProcessOs(pipesDir: string, notifyDir: string): ProcessOs {
  const gates: { gate: Writable; refuse: (failed: Error | null) => boolean }[] = [];
  // notify sockets are numbered from 1, a number given back when its socket closes: the path stays
  // as short as the most sockets open at once (a number that grew with every restart made a long
  // PMX_HOME's path pass 107 bytes at the app's 10th, 100th, ... restart, which then failed)
  const freeSlots: number[] = [];
  let notifySockets = 0;
  const sweeping = new Set<string>();
  let sweepTimer: NodeJS.Timeout | null = null;
  const os: ProcessOs = {
    launch(spec, given) {
      // a script another user could change would run their code as this agent's user (root, often)
      guardRunnable(spec.script, 'its script', `run it under a pmx of the user who owns it, or make the script yours (chown) once you have read it`);
      const marker = given.marker ?? null;
      const options = marker === null ? given : { ...given, env: { ...given.env, [LAUNCH_VARIABLE]: marker } };
      if (usesNodeCluster(spec)) {
        // a cluster worker has no gate: a process no state file named yet is written down first, or not started
        const failed = options.unrecorded?.() ? (os.beforeAppsRun?.() ?? null) : null;
        if (failed) throw failed;
        return Object.assign(forkWorker(spec, options), { marker });
      }
      const command = launchCommand(spec);
      const pipes = os.pipes.open(command.metrics);
      try {
        return Object.assign(spawnProcess(spec, command, options, pipes, openGate), { marker });
      } catch (error) {
        os.pipes.giveBack(pipes);
        throw error;
      } finally {
        OutputPipes.closeWriteEnds(pipes);
      }
    },
    identify(pid) {
      return { pid, startTicks: readStat(pid)?.startTicks ?? -1 };
    },
    tree(root, including) {
      const { table, index } = sharedTable(Math.max(root.startTicks, including === undefined ? -1 : (readStat(including)?.startTicks ?? -1)));
      const rootIsOurs = table.get(root.pid)?.startTicks === root.startTicks;
      return processTree(root.pid, table, rootIsOurs, index).map((pid) => ({ pid, startTicks: table.get(pid)!.startTicks }));
    },
    marked(pid, marker) {
      const row = readStat(pid);
      return row !== null && row.state !== 'Z' && markerOf(pid) === marker ? { pid, startTicks: row.startTicks } : null;
    },
    kill(members, signal) {
      for (const { pid, startTicks } of members) {
        if (readStat(pid)?.startTicks !== startTicks) continue;
        try {
          process.kill(pid, signal);
        } catch {
          // gone in between
        }
      }
    },
    sweep(marker, probesOnly = false) {
      // one read of /proc for every launch that ended meanwhile (a delete of 1,000 apps ends 1,000)
      sweepTimer ??= setTimeout(() => os.flushSweeps(), SWEEP_BATCH_MS);
      if (!probesOnly) sweeping.add(marker);
      sweeping.add(probeMarker(marker));
    },
    flushSweeps() {
      if (sweepTimer) clearTimeout(sweepTimer);
      sweepTimer = null;
      if (sweeping.size === 0) return;
      const markers = new Set(sweeping);
      sweeping.clear();
      os.kill(findMarked(markers), 'SIGKILL');
    },
    alive({ pid, startTicks }) {
      const row = readStat(pid);
      return row !== null && row.startTicks === startTicks && row.state !== 'Z';
    },
    openNotify(onError, path) {
      if (path !== undefined) return openNotifySocket(path, onError);
      // short (a socket path holds 107 bytes), and never one a child of a dead agent may still send to
      freeSlots.sort((a, b) => b - a);
      const slot = freeSlots.pop() ?? ++notifySockets;
      try {
        return openNotifySocket(join(notifyDir, `${process.pid}.${slot}`), onError, () => freeSlots.push(slot));
      } catch (error) {
        freeSlots.push(slot);
        throw error;
      }
    },
    pipes: new OutputPipes(pipesDir),
    beforeAppsRun: null,
    now: () => Date.now(),
  };
  /**
   * Every app started in this turn is let run at once, after the turn (see spawnProcess), once the
   * state file names them; when it cannot be written (a full disk), an app whose process no state
   * file ever named is kept from running (`refuse`): an agent started after this one died would
   * not know it, and it would run unseen, holding its port, surviving `pmx kill`.
   */
  function openGate(gate: Writable, refuse: (failed: Error | null) => boolean): void {
    gate.on('error', () => {}); // the app died before reading it: nothing to open
    if (gates.push({ gate, refuse }) > 1) return;
    setImmediate(() => {
      const failed = os.beforeAppsRun?.() ?? null;
      // each app is admitted (or refused) now, and online from here; its gate opens at the next
      // turn, once what that sets off is done, a start's answer first: opened at once, ten Node
      // apps booting on the CPUs made the answer wait for them (30-100 ms on two cores)
      const decided = gates.splice(0).map((waiting) => ({ gate: waiting.gate, refused: waiting.refuse(failed) }));
      setImmediate(() => {
        for (const { gate, refused } of decided) gate.end(refused ? undefined : '\n');
      });
    });
  }
  return os;
}

/** Node apps in cluster mode share their ports through Node's cluster module, the agent as primary. */
export function usesNodeCluster(spec: AppSpec): boolean {
  return spec.exec_mode === 'cluster_mode' && isNodeInterpreter(spec.interpreter) && spec.listen.length === 0;
}

/** Whether the app runs on the agent's own Node (the `node` interpreter, or its path). */
export function isNodeInterpreter(interpreter: string): boolean {
  return interpreter === 'node' || interpreter === process.execPath;
}

/** Where a cluster worker's metrics pipe is: after stdio and the cluster's IPC channel. */
const WORKER_METRICS_FD = 4;

/** node:cluster, loaded with the first cluster worker: an agent that runs none does not pay for it. */
let clusterModule: typeof import('node:cluster').default | null = null;
const nodeCluster = (): typeof import('node:cluster').default => (clusterModule ??= createRequire(import.meta.url)('node:cluster') as typeof import('node:cluster').default);

function forkWorker(spec: AppSpec, { env }: LaunchOptions): Launched {
  const metrics = wantsMetrics(spec);
  const cluster = nodeCluster();
  cluster.setupPrimary({
    exec: spec.script,
    args: spec.args,
    execArgv: [...spec.interpreter_args, '--import', CLUSTER_PRELOAD, ...(metrics ? ['--require', METRICS_PRELOAD] : [])],
    cwd: spec.cwd,
    silent: true,
    stdio: metrics ? ['pipe', 'pipe', 'pipe', 'ipc', 'pipe'] : ['pipe', 'pipe', 'pipe', 'ipc'],
  });
  // node:cluster adds the primary's own environment (the agent's, from whichever shell started it)
  // under the worker's: a key set undefined is left out of the child's, so a worker gets its app's
  // environment and nothing else, as a fork-mode child does (filter_env, --update-env hold)
  const agentKeys = Object.fromEntries(Object.keys(process.env).map((key) => [key, undefined]));
  const worker = cluster.fork({ ...agentKeys, ...env, ...(metrics ? { [METRICS_FD_VARIABLE]: String(WORKER_METRICS_FD) } : {}) });
  // the Worker repeats its process's 'error' (a spawn that failed: its working directory gone) as
  // its own, before the process's other listeners hear it: unheard, it was thrown, the supervisor's
  // listener never ran, and the process stayed `launching` with no child, its restart unanswered.
  // The supervisor hears it from worker.process (supervised.ts)
  worker.on('error', () => undefined);
  const pipe = metrics ? (worker.process.stdio[WORKER_METRICS_FD] as Readable | null) : null;
  const launched: Launched = { child: worker.process, listened: false, onListening: (listener) => worker.once('listening', listener), metrics: pipe, output: null };
  worker.once('listening', () => (launched.listened = true));
  return launched;
}

/**
 * Starts an app through `sh -c 'exec "$0" "$@"'`: the agent waits only for the shell's exec
 * (about 1 ms), not for node's own exec (about 8 ms, during which the agent's loop would stand
 * still), and the app keeps the shell's pid. The shell also sets LISTEN_PID, which must be the
 * app's own pid and is known only after the fork.
 *
 * The shell first waits for a line on a gate pipe, which the agent writes once the current turn
 * of its loop is over: every app started in one turn (`pmx start` of a file) is spawned before
 * any of them runs. Each spawn blocks the agent until the new shell has run, and apps already
 * booting on the CPUs made that wait grow with each one (measured: 3 ms for the first of 10 Node
 * apps, 20 ms for the last; 110 ms in all, against 15 ms gated). An agent that dies before it
 * opens the gate leaves no app behind: the shell reads the end of the pipe and exits.
 */
function spawnProcess(spec: AppSpec, { command, args, ipc }: ReturnType<typeof launchCommand>, { env, listenFds, unrecorded }: LaunchOptions, pipes: OpenedPipes, openGate: (gate: Writable, refuse: (failed: Error | null) => boolean) => void): Launched {
  assertExecutable(command, env.PATH ?? process.env.PATH ?? '');
  const stdio: (string | number)[] = ['ignore', pipes.write.out, pipes.write.err, ...listenFds];
  // the metrics pipe is a FIFO too: the next agent reads an adopted app's samples (and its hang watch goes on)
  const metricsFd = pipes.write.metrics !== undefined ? stdio.push(pipes.write.metrics) - 1 : -1;
  if (ipc) stdio.push('ipc');
  const activation = listenFds.length > 0 ? { LISTEN_FDS: String(listenFds.length), LISTEN_FDNAMES: spec.listen.map(fdName).join(':') } : {};
  // sh redirects only single-digit fds: an app with that many listen fds is started ungated
  const gateFd = stdio.length <= 9 ? stdio.push('pipe') - 1 : -1;
  const gated = gateFd >= 0;
  const run = gated ? `exec ${gateFd}<&- "$0" "$@"` : 'exec "$0" "$@"';
  // LISTEN_PID and WATCHDOG_PID name the app itself, whose pid is the shell's once it execs
  const ownPid = [...(listenFds.length > 0 ? ['LISTEN_PID'] : []), ...(env.WATCHDOG_USEC ? ['WATCHDOG_PID'] : [])];
  const script = `${gated ? `read -r _ <&${gateFd} || exit 1; ` : ''}${ownPid.map((name) => `${name}=$$; export ${name}; `).join('')}${run}`;
  // a copy with the few keys of this launch set on it (spreading the app's variables into an object
  // that already has keys is slow in V8: see childEnvironment)
  const childEnv: Record<string, string> = { ...env };
  for (const [key, value] of Object.entries(activation)) childEnv[key] = value;
  if (metricsFd >= 0) childEnv[METRICS_FD_VARIABLE] = String(metricsFd);
  const child = spawn('/bin/sh', ['-c', script, command, ...args], {
    cwd: spec.cwd,
    env: childEnv,
    // its own process group: the whole tree can be found and signalled
    detached: true,
    stdio: stdio as never,
    serialization: 'json',
  });
  const launched: Launched = {
    child,
    listened: false,
    onListening: null,
    metrics: pipes.read.metrics ?? null,
    output: { out: pipes.read.out, err: pipes.read.err, paths: pipes.paths },
  };
  const gate = gated ? (child.stdio[gateFd] as Writable | null) : null;
  if (gate) {
    let admit: (opened: boolean) => void = () => undefined;
    launched.admitted = new Promise((resolve) => (admit = resolve));
    openGate(gate, (failed) => {
      const refused = failed !== null && (unrecorded?.() ?? false);
      if (refused) launched.refused = failed.message;
      admit(!refused);
      return refused;
    });
  }
  return launched;
}

/** Throws (ENOENT/EACCES, naming the command) unless `command` can be executed. */
function assertExecutable(command: string, path: string): void {
  const candidates = command.includes('/') ? [command] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return;
    } catch {
      // try the next directory
    }
  }
  throw Object.assign(new Error(`${command}: not found or not executable`), { code: 'ENOENT' });
}

function fdName(address: string): string {
  return address.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Preloaded into Node apps in fork mode: process.send is a harmless no-op without a live IPC channel. */
const SEND_SHIM = fileURLToPath(new URL('../modes/send-shim.cjs', import.meta.url));

/**
 * The command line that runs an app: its interpreter (if any), the script and its arguments.
 * Node apps get an IPC channel only when they need one (it costs each app about 2.3 MB), and a
 * metrics pipe with its preload unless `pmx: false`.
 */
export function launchCommand(spec: AppSpec): { command: string; args: string[]; ipc: boolean; metrics: boolean } {
  const interpreter = spec.interpreter;
  if (interpreter === 'none' || interpreter === '') {
    return { command: spec.script, args: spec.args, ipc: false, metrics: false };
  }
  const command = interpreter === 'node' ? process.execPath : interpreter;
  if (!isNodeInterpreter(interpreter)) return { command, args: [...spec.interpreter_args, spec.script, ...spec.args], ipc: false, metrics: false };
  const ipc = spec.wait_ready || spec.shutdown_with_message;
  const metrics = wantsMetrics(spec);
  const preload = ['--require', SEND_SHIM, ...(metrics ? ['--require', METRICS_PRELOAD] : [])];
  return { command, args: [...preload, ...spec.interpreter_args, spec.script, ...spec.args], ipc, metrics };
}

/** Node apps report runtime metrics unless their spec says `pmx: false` (PM2's key for its injected module). */
function wantsMetrics(spec: AppSpec): boolean {
  return spec.pmx !== false;
}
