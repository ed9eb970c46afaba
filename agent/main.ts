// The agent's entry: takes its home, listens on its socket, supervises until killed.
// Run as `node dist/agent/main.js --pmx-agent [--ready-fd N] [--foreground]`.
import { appendFileSync, chmodSync, closeSync, mkdirSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resolveHome, type AgentHome } from './protocol/home.js';
import { acquireHomeLock, type HomeLock } from './lock.js';
import { AGENT_MARKER, TO_STOP_FLAG, readyLine, supervisorOf, type RecoveryReport } from './protocol/launch.js';
import { Registry } from './registry.js';
import { createProcessOs } from './process/os.js';
import { listen } from './rpc/server.js';
import { logFdLimit } from './rpc/fd-limit.js';
import { recover } from './recovery.js';
import { StateFile } from './state-file.js';
import { SocketKeeper } from './socket-keeper.js';
import { restoreDump, type Restored } from './resurrect.js';
import { AgentFault } from './fault.js';
import { stopEverything } from './operations.js';
import { CronRestarts, startMonitor } from './monitor.js';
import { AppWatchers } from './watch/app-watchers.js';
import type { AgentContext } from './rpc/handlers.js';
import { PMX_VERSION } from './version.js';
import { Dashboards } from './dashboard/dashboards.js';
import { ProcessEvents } from './events.js';
import { DEFAULT_METRICS_HOST, MetricsEndpoint, type EndpointAddress } from './metrics/endpoint.js';

/** How long after it is ready the agent makes its first output pipes (off the path of a cold `pmx ls`). */
const PREFILL_AFTER_MS = 200;

export interface AgentOptions {
  home: AgentHome;
  /** Also print the agent log on stderr (systemd, containers). */
  foreground: boolean;
  /** A pipe on which to write "ready" once the socket answers (the CLI that spawned us waits on it). */
  readyFd: number | null;
  sampleIntervalMs: number;
  /** Serve Prometheus metrics here from the start (PMX_METRICS_PORT, PMX_METRICS_HOST); null: only on `pmx metrics`. */
  metricsAddress: EndpointAddress | null;
  /** The home's lock, when the caller took it already (pmx-runtime takes it before loading the agent). */
  lock?: HomeLock;
  /** Start the apps saved in the dump before answering on the socket (the boot hook). */
  resurrect?: boolean;
  /** Started only to stop what an agent that was killed left (`pmx kill`): recovery restarts nothing. */
  toStop?: boolean;
}

/** The agent running in this process, for the foreground runtime that embeds it. */
export interface RunningAgent {
  registry: Registry;
  /** True once the agent has begun stopping every process (a signal or `pmx kill`). */
  stopping(): boolean;
  /** Stops every process, gives the socket and pid file back, and ends this process with `code`. */
  stop(code: number): Promise<void>;
  /** What this agent took over from an agent that died before it; null after a clean stop. */
  recovered: RecoveryReport | null;
  /** With `resurrect`: what was started from the dump, or the fault that prevented it (DUMP_MISSING: nothing saved). */
  resurrected: Restored | AgentFault | null;
}

/** Starts the agent; resolves once it listens. It runs until `kill` or SIGTERM/SIGINT, then exits the process. */
export async function runAgent(options: AgentOptions): Promise<RunningAgent> {
  const { home } = options;
  // the lock is taken first: acquireHomeLock checks the home (home-guard.ts) before it makes anything there
  const lock = options.lock ?? (await acquireHomeLock(home));
  prepareHome(home);
  const log = (line: string): void => {
    const stamped = `${new Date().toISOString()} ${line}\n`;
    try {
      appendFileSync(home.logFile, stamped, { mode: 0o600 });
    } catch {
      // the log is best effort; never let it stop supervision
    }
    if (options.foreground) process.stderr.write(stamped);
  };
  // only the agent writes these, and the lock is ours: any left were an agent's killed mid-write
  removeStaleTemps(home, log);
  const os = createProcessOs(home.pipes, home.notify);
  const registry = new Registry(home, os, log);
  const crons = new CronRestarts();
  const stopMonitor = startMonitor(registry, options.sampleIntervalMs, log);
  const metrics = new MetricsEndpoint(registry, log);
  const recovered = recover(registry, os, home.stateFile, { pipesDir: home.pipes, uncleanEnd: lock.previousPid !== null, restartNothing: options.toStop === true }, log);
  // after recovery: the apps it took over are watched from what they are now
  const watchers = new AppWatchers(registry, log);
  const state = new StateFile(home.stateFile, registry, log);
  // no app runs its code before the state file names it: an agent killed now leaves none untracked
  os.beforeAppsRun = () => state.flush();
  let keeper: SocketKeeper | null = null;
  let exiting: Promise<number> | null = null;

  /** The code the agent ends with once `kill` is answered: EXIT_RESTART when asked to be started again. */
  let killedWith = 0;
  const shutdown = (exitCode = 0): Promise<number> => {
    if (exiting === null) killedWith = exitCode;
    exiting ??= (async () => {
      log('stopping every process');
      // an agent killed from here on leaves its apps to be stopped, not kept stopped as by a command
      state.markShuttingDown();
      watchers.closeAll();
      const stopped = await stopEverything(registry);
      crons.stopAll();
      stopMonitor();
      await metrics.close();
      return stopped.length;
    })();
    return exiting;
  };
  const exit = (code: number): void => {
    // what the stopped apps' launches left is ended before the agent is gone: no agent would after a clean end
    os.flushSweeps();
    keeper?.close();
    removeSocket(home.socket);
    // every process was stopped: the next agent starts clean, with nothing to take over
    state.remove();
    lock.release();
    log(code === 0 ? 'agent stopped' : `agent stopped, exit code ${code}`);
    process.exit(code);
  };
  const ctx: AgentContext = { registry, home, log, shutdown, foreground: options.foreground, supervisor: options.foreground ? supervisorOf(process.env, process.ppid) : null, changed: () => crons.sync(registry, log), dashboards: new Dashboards(log), metrics, events: new ProcessEvents(registry), beforeAnswer: () => (os.flushSweeps(), void state.flush()), stopping: () => exiting !== null };
  const resurrected = options.resurrect ? await restoreDump(registry, home.dump, log).catch(faultOnly) : null;
  ctx.changed();

  removeSocket(home.socket); // we hold the lock: any socket left here is stale
  const listenHere = () => listen(home.socket, ctx, () => exit(killedWith));
  keeper = new SocketKeeper(await listenHere(), home.socket, listenHere, log);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log(`received ${signal}`);
      void shutdown().then(() => exit(0));
    });
  }
  process.on('SIGHUP', () => registry.logFiles.reopenAll());
  process.on('uncaughtException', (error) => log(`uncaught exception: ${error.stack ?? error.message}`));
  log(`agent ${PMX_VERSION} started, pid ${process.pid}, home ${home.root}`);
  if (options.metricsAddress) {
    try {
      const { host, port } = await metrics.listen(options.metricsAddress);
      log(`serving Prometheus metrics on ${host}:${port}`);
    } catch (error) {
      log(`${(error as Error).message}: the agent runs without its metrics endpoint`);
    }
  }
  if (options.readyFd !== null) {
    try {
      writeSync(options.readyFd, readyLine(recovered));
      closeSync(options.readyFd);
    } catch {
      // the CLI that waited has gone: nothing to tell
    }
  }
  logFdLimit(log);
  // the output pipes of the next apps, made once the command that started the agent has its answer
  setTimeout(() => os.pipes.prefill(), PREFILL_AFTER_MS).unref();
  return { registry, stopping: () => exiting !== null, stop: (code) => shutdown().then(() => exit(code)), recovered, resurrected };
}

/** A fault as a value (the caller reports it and the agent keeps supervising); anything else is thrown. */
function faultOnly(error: unknown): AgentFault {
  if (error instanceof AgentFault) return error;
  throw error;
}

function prepareHome(home: AgentHome): void {
  mkdirSync(home.root, { recursive: true, mode: 0o700 });
  chmodSync(home.root, 0o700);
  mkdirSync(home.logs, { recursive: true, mode: 0o700 });
  mkdirSync(home.pids, { recursive: true, mode: 0o700 });
  mkdirSync(home.pipes, { recursive: true, mode: 0o700 });
  mkdirSync(home.notify, { recursive: true, mode: 0o700 });
  chmodSync(home.notify, 0o700);
}

/**
 * Removes the temporary files a killed agent left in the home (`dump.pmx.<pid>.tmp`, the backup's,
 * `agent.pid.<pid>.tmp`): a dump's copy holds every app's environment, and nothing would ever
 * read or remove it.
 */
function removeStaleTemps(home: AgentHome, log: (line: string) => void): void {
  const names = new Set([basename(home.dump), `${basename(home.dump)}.bak`, basename(home.pidFile)]);
  let entries: string[];
  try {
    entries = readdirSync(home.root);
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^(.+)\.(\d+)\.tmp$/.exec(entry);
    if (!match || !names.has(match[1]!) || Number(match[2]) === process.pid) continue;
    try {
      unlinkSync(join(home.root, entry));
      log(`removed ${entry}, left by an agent that was killed while writing it`);
    } catch {
      // gone already
    }
  }
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there
  }
}

function parseArgs(argv: string[]): AgentOptions {
  const readyIndex = argv.indexOf('--ready-fd');
  return {
    home: resolveHome(),
    foreground: argv.includes('--foreground'),
    readyFd: readyIndex >= 0 ? Number(argv[readyIndex + 1]) : null,
    toStop: argv.includes(TO_STOP_FLAG),
    sampleIntervalMs: Number(process.env.PMX_SAMPLE_INTERVAL_MS) || 1000,
    metricsAddress: metricsAddressFrom(process.env),
  };
}

/** PMX_METRICS_PORT (and PMX_METRICS_HOST, default 127.0.0.1) ask for the endpoint from the start. */
export function metricsAddressFrom(env: NodeJS.ProcessEnv): EndpointAddress | null {
  const port = Number(env.PMX_METRICS_PORT);
  if (!env.PMX_METRICS_PORT || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  return { host: env.PMX_METRICS_HOST || DEFAULT_METRICS_HOST, port };
}

if (process.argv.includes(AGENT_MARKER)) {
  runAgent(parseArgs(process.argv.slice(2))).catch((error: Error & { code?: string }) => {
    process.stderr.write(`pmx agent: ${error.message}\n`);
    process.exit(error.code === 'ALREADY_RUNNING' ? 3 : 1);
  });
}
