// The agent's table of supervised processes: ids, lookup by selector, creation and removal.
// The only mutable state of the agent lives here.
import { join } from 'node:path';
import { type AppSpec, logFileName } from './protocol/app-spec.js';
import type { Selector } from './protocol/types.js';
import { describeSelector, matchSelector } from './protocol/selector.js';
import { AgentFault } from './fault.js';
import { MAX_PM_ID } from './protocol/limits.js';
import type { AgentHome } from './protocol/home.js';
import { type LastExit, SupervisedProcess } from './process/supervised.js';
import { ProcessState } from './process/states.js';
import { launchCommand, usesNodeCluster, type ProcessOs } from './process/os.js';
import type { LogTargets } from './logs/sink.js';
import { LogFiles } from './logs/log-files.js';
import { Listeners } from './modes/listeners.js';
import { DEFAULT_LOG_MODE, DEFAULT_ROTATION } from './logs/log-file.js';
import { DEFAULT_TIME_FORMAT } from './logs/timestamp.js';

export class Registry {
  private readonly procs = new Map<number, SupervisedProcess>();
  /** The next id to give: ids are not reused while any process is registered, as in PM2 (which starts over at 0 once the list is empty). */
  private next = 0;
  /** Every open log file, shared by the processes that write to it. */
  readonly logFiles: LogFiles;
  /** Listening sockets of socket-activated apps. */
  readonly listeners = new Listeners();
  /** The listening sockets being opened for an app a start is registering (prepare), by name. */
  private readonly opening = new Map<string, Promise<number[]>>();
  /** Told of each process as it is registered, before it starts (the foreground runtime follows its output). */
  readonly added = new Set<(proc: SupervisedProcess) => void>();
  /**
   * When the latest `stop all` and `delete all` came (numbered in order, 0: never): a start or resurrect
   * under way registers nothing it has not yet reached after a delete of everything, and starts
   * nothing more after a stop of everything, as if it had come first.
   */
  private readonly everything = { seq: 0, stop: 0, delete: 0 };

  constructor(
    readonly home: AgentHome,
    private readonly os: ProcessOs,
    private readonly reportError: (message: string) => void,
  ) {
    this.logFiles = new LogFiles((message, path) => {
      const users = this.all().filter(({ logTargets: t }) => t.out === path || t.err === path || t.combined === path);
      if (users.length === 0) reportError(message);
      for (const proc of users) proc.fail(message);
    }, reportError);
  }

  /** The time on the clock processes are launched by (SupervisedProcess.launchedSince). */
  now(): number {
    return this.os.now();
  }

  /** Every process, by id. */
  all(): SupervisedProcess[] {
    return [...this.procs.values()].sort((a, b) => a.id - b.id);
  }

  get(id: number): SupervisedProcess | undefined {
    return this.procs.get(id);
  }

  /** Processes with this name, in id order. */
  named(name: string): SupervisedProcess[] {
    return this.all().filter((proc) => proc.spec.name === name);
  }

  /**
   * The processes a selector names; a selector that names nothing is a NOT_FOUND fault, except
   * `all` and `names` (the apps a file declares: as in PM2, the ones not registered are passed over).
   */
  select(selector: Selector): SupervisedProcess[] {
    const found = this.match(selector);
    if (found.length === 0 && selector.kind !== 'all' && selector.kind !== 'names') {
      throw new AgentFault(`no process matches ${describeSelector(selector)}`, { code: 'NOT_FOUND', data: { selector } });
    }
    return found;
  }

  /**
   * Has the output FIFOs of `launches` launches of each spec made in the background (a fork-mode
   * app takes 2, a Node one 3, a cluster worker none), so that a start of many apps does not wait
   * for them in the middle of its spawns.
   */
  reservePipes(launches: { spec: AppSpec; count: number }[]): void {
    this.os.pipes.reserve(launches.reduce((sum, { spec, count }) => sum + count * pipesPerLaunch(spec), 0));
  }

  /** Resolves once the FIFOs of `launches` Node launches are free (or no more are being made). */
  pipesReady(launches: number): Promise<void> {
    return this.os.pipes.ready(launches * 3);
  }

  /** Records a stop or delete of every process (see `everything`). */
  askedOfAll(intent: 'stop' | 'delete'): void {
    this.everything[intent] = ++this.everything.seq;
  }

  /** A mark to pass to `askedOfAllSince`. */
  askedOfAllMark(): number {
    return this.everything.seq;
  }

  /** Whether a delete (it wins) or a stop of every process came after `mark`. */
  askedOfAllSince(mark: number): 'stop' | 'delete' | null {
    return this.everything.delete > mark ? 'delete' : this.everything.stop > mark ? 'stop' : null;
  }

  /** Registers and prepares (its listening sockets opened) a process for one instance of `spec`. */
  async prepare(spec: AppSpec, instance: number, id?: number): Promise<SupervisedProcess> {
    let listenFds: number[] = [];
    if (spec.listen.length > 0) {
      const opening = this.listeners.acquire(spec.name, spec.listen);
      this.opening.set(spec.name, opening);
      try {
        listenFds = await opening;
      } finally {
        if (this.opening.get(spec.name) === opening) this.opening.delete(spec.name);
      }
    }
    const proc = this.add(spec, instance, id);
    proc.useSockets(listenFds);
    return proc;
  }

  /**
   * The opening of `name`'s listening sockets by a start that has not registered it yet, or null:
   * a second start of the app waits for it, then finds the app registered (it took the app for a
   * new one, and opened its port again: EADDRINUSE on pmx's own socket).
   */
  openingOf(name: string): Promise<unknown> | null {
    return this.opening.get(name) ?? null;
  }

  /** Past the highest id a dump may hold, ids are taken from the lowest free one, so that every list saved can be read back. */
  private lowestFreeId(): number {
    let id = 0;
    while (this.procs.has(id)) id++;
    return id;
  }

  /** Registers a new process for one instance of `spec`; `id` is kept when free (resurrect). */
  add(spec: AppSpec, instance: number, id?: number): SupervisedProcess {
    const pmId = id !== undefined && !this.procs.has(id) ? id : this.next <= MAX_PM_ID ? this.next : this.lowestFreeId();
    this.next = Math.max(this.next, pmId + 1);
    const pidFile = numberedPidFile(spec.pid_file ?? join(this.home.pids, `${logFileName(spec.name)}.pid`), pmId);
    const proc = new SupervisedProcess(pmId, spec, instance, (next) => this.logTargets(next, pmId), pidFile, this.logFiles, this.os, this.reportError);
    this.procs.set(pmId, proc);
    this.logExits(proc);
    for (const listener of this.added) listener(proc);
    proc.once('removed', () => {
      this.procs.delete(pmId);
      if (this.procs.size === 0) this.next = 0;
      if (this.named(spec.name).length === 0) this.listeners.release(spec.name);
    });
    return proc;
  }

  /** Writes each exit of the process's children, and why it went errored, to the agent log (as PM2's log does). */
  private logExits(proc: SupervisedProcess): void {
    const label = (): string => `${proc.spec.name} (id ${proc.id})`;
    proc.on('exit', ({ code, signal }: LastExit) => this.reportError(`${label()} exited with ${signal ? `signal ${signal}` : `code ${code}`}`));
    proc.on('status', (status: string) => {
      if (status !== ProcessState.ERRORED) return;
      const { max_restarts, min_uptime, restart_limit } = proc.spec;
      const rateLimited = proc.lifecycle.erroredBy === 'restart_limit' && restart_limit;
      const reason =
        proc.error ??
        (rateLimited
          ? `restarted ${restart_limit.burst} times within ${restart_limit.interval} ms (restart_limit: { burst: ${restart_limit.burst}, interval: ${restart_limit.interval} }); not restarted again until it is started`
          : `${max_restarts} unstable restarts in a row (each exit within min_uptime, ${min_uptime} ms; max_restarts is ${max_restarts}); not restarted again`);
      this.reportError(`${label()} errored: ${reason}`);
    });
  }

  /**
   * Where a process's logs go: the spec's paths, or PM2's defaults under PMX_HOME/logs. As in
   * PM2, unless logs are merged every path ending in `.log` (the app's own too) gets `-<id>`.
   */
  logTargets(spec: AppSpec, id: number): LogTargets {
    const withId = (path: string): string => (spec.merge_logs ? path : path.replace(/-[0-9]+\.log$|\.log$/, `-${id}.log`));
    const base = logFileName(spec.name);
    return {
      out: withId(spec.out_file ?? join(this.home.logs, `${base}-out.log`)),
      err: withId(spec.error_file ?? join(this.home.logs, `${base}-error.log`)),
      combined: spec.log_file ? withId(spec.log_file) : null,
      dateFormat: spec.log_date_format ?? (spec.time ? DEFAULT_TIME_FORMAT : null),
      json: spec.log_type === 'json',
      appName: spec.name,
      processId: id,
      rotation: { ...DEFAULT_ROTATION, ...spec.log_rotate },
      mode: spec.log_mode ?? DEFAULT_LOG_MODE,
    };
  }

  private match(selector: Selector): SupervisedProcess[] {
    return matchSelector(this.all(), selector, (proc) => ({ id: proc.id, name: proc.spec.name, namespace: proc.spec.namespace, script: proc.spec.script }));
  }
}

/** PM2's name for a process's pid file: `-<id>` before `.pid` (`/run/api.pid` -> `/run/api-0.pid`), in place of a `-<digits>` there (`worker-2.pid` -> `worker-0.pid`). */
function numberedPidFile(file: string, pmId: number): string {
  return /(-\d+)?\.pid$/.test(file) ? file.replace(/(-\d+)?\.pid$/, `-${pmId}.pid`) : `${file}-${pmId}.pid`;
}

/** The output FIFOs one launch of `spec` opens. */
function pipesPerLaunch(spec: AppSpec): number {
  if (usesNodeCluster(spec)) return 0;
  return launchCommand(spec).metrics ? 3 : 2;
}
