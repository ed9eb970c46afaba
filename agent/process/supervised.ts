// One supervised process: holds its lifecycle, feeds events to the pure transition function and
// applies the effects it returns to real children through the OS seam. A process has one current
// child, and during a zero-downtime reload also a replacement and a retiring child; every event a
// child causes is named after the role it holds when the event happens.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { AppSpec } from '../protocol/app-spec.js';
import { childEnvironment } from './child-env.js';
import { randomUUID } from './random-id.js';
import { LogSink, type LogTargets } from '../logs/sink.js';
import type { LogFiles } from '../logs/log-files.js';
import { ProcessState, isUnattended, type ProcessStatus } from './states.js';
import { initialLifecycle, transition, type Effect, type Intent, type Lifecycle, type LifecycleEvent, type Outcome, type Role, type Timer } from './transition.js';
import type { Launched, ProcessIdentityRow as ProcessIdentity, ProcessOs } from './os.js';
import { launchProblem } from './launch-problem.js';
import type { OutputPipePaths } from './output-pipes.js';
import { removePidFile, writePidFile } from './pid-file.js';
import { handleFor, hasExited, killTree, sendStop, type ChildHandle } from './child-handle.js';
import { drain, drainBound, watchReadiness } from '../modes/reload.js';
import { readMetrics, type NodeMetrics } from '../metrics/node-metrics.js';
import type { AppNotice, HealthState, SupervisionEvent } from '../protocol/types.js';
import type { NotifySocket } from '../health/notify-socket.js';
import type { NotifyMessage } from '../health/notify-message.js';
import { stopLiveness, watchLiveness } from './liveness.js';
import { ReloadCandidate } from './reload-candidate.js';
import { AdoptedChild, AdoptedChildren } from './adopted-child.js';
import { LAUNCH_VARIABLE, probeMarker } from '../os/marked.js';

/** Restarts the agent decided on its own that a process remembers (describe shows them). */
const EVENTS_KEPT = 10;

const TIMER_EVENTS: Record<Timer, LifecycleEvent> = {
  restart: { type: 'restart-timer' },
  ready: { type: 'ready-timer' },
  kill: { type: 'kill-timer' },
  replace: { type: 'replace-timer' },
  retire: { type: 'retire-timer' },
  proof: { type: 'proof-timer' },
};

/** The last exit of a process's child, shown by describe and written to the agent log. */
export interface LastExit {
  code: number | null;
  signal: string | null;
  /** ms since epoch. */
  at: number;
}

/**
 * Emits 'status' (status, previous) on every change, 'child' when a child starts or changes role,
 * 'exit' (LastExit) when the current child exits, 'replaced' when a reload's replacement serves and
 * 'retired' when the child it replaced has ended, 'message' with what a child sends (over IPC, or
 * its metrics pipe), 'removed' once deleted, and 'changed' when what the state file records changes
 * with neither (a respec, a reset of the counters: an app at rest given a file's new options).
 */
export class SupervisedProcess extends EventEmitter {
  /** Written by dispatch (the state machine), and before supervision begins by resume and restore. */
  private state: Lifecycle = initialLifecycle();
  /** Written by respec only. */
  private appSpec: AppSpec;
  /** An event has been fed through the state machine: the lifecycle is its own from then on. */
  private supervising = false;
  /** Written by fail and cleared by a start; before supervision begins, by restoreError. */
  private lastError: string | null = null;
  private lastEnd: LastExit | null = null;
  /** A state file has named this process (StateFile sets it): an agent started after this one died would know it. */
  recorded = false;
  /** Why the state file cannot be written now (StateFile sets it on every process, and clears it), or null. */
  stateError: string | null = null;
  /**
   * Registered by a start that has not asked it yet (the start registers every instance of an app,
   * then asks each): the state file says so, and an agent that takes over after this one died
   * starts it. Cleared by the first event this process is fed.
   */
  startOwed = false;
  /** A cluster worker of this process has listened: its replacements serve a port too, whatever the child they replace does. */
  private servedPort = false;
  /** PM2's created_at: set at registration, and again by each restart or reload asked for (PM2's resetState). */
  createdAt: number;
  /**
   * PM2's unique_id: a random UUID made at registration, as PM2's is, kept across restarts and by the
   * next agent after this one died; a process deleted and started again, or on another host, has another.
   */
  uniqueId: string = randomUUID();
  readonly logs: LogSink;
  /** Written by the monitor's samples only (measure). */
  private usage: Readonly<{ memory: number; cpu: number }> = { memory: 0, cpu: 0 };
  /** The child `usage` was measured of: a new child (a restart) has none until it is measured. */
  private usagePid = 0;
  private metricsSample: NodeMetrics | null = null;
  /** Written by useSockets only. */
  private sockets: readonly number[] = [];
  /**
   * Crash recovery: this socket-activated process is started again once its sockets are open again
   * (recovery.ts). Until then it shows as launching, not as stopped by someone; a request clears it.
   */
  awaitingSockets = false;
  /** Crash recovery: requests that came before the sockets were open again, carried out then (a start now would run without them). */
  private heldForSockets: (() => void)[] | null = null;
  private readonly timers = new Map<Timer, NodeJS.Timeout>();
  private readonly children: Record<Role, ChildHandle | null> = { current: null, replacement: null, retiring: null };
  /** Watches the processes that took a child's role through MAINPID= (not our children: their exit is seen in /proc). */
  private readonly adoptedWatch = new AdoptedChildren();
  /** Requests waiting for their answer, by ticket. */
  private readonly waiters = new Map<number, (outcome: Outcome) => void>();
  /** The new child the last reload waited for (a replacement; in fork mode, the child its restart launched). */
  private readonly candidate = new ReloadCandidate();
  /** The latest restarts the agent decided on its own (hung, failed health check), oldest first. */
  readonly events: SupervisionEvent[] = [];

  constructor(
    readonly id: number,
    spec: AppSpec,
    readonly instance: number,
    /** Where and how the output of a launch of `spec` is written. */
    private readonly targetsOf: (spec: Readonly<AppSpec>) => LogTargets,
    /** Where the pid of the running child is written, as PM2 does (pids/<name>-<id>.pid). */
    readonly pidFile: string,
    logFiles: LogFiles,
    private readonly os: ProcessOs,
    /** Writes a line to the agent log. */
    private readonly log: (line: string) => void,
  ) {
    super();
    this.appSpec = spec;
    this.createdAt = os.now();
    this.logs = new LogSink(targetsOf(spec), logFiles);
  }

  /** Where and how the output is written: as the last launch's spec said. */
  get logTargets(): Readonly<LogTargets> {
    return this.logs.targets;
  }

  /** Where the process stands, as the state machine left it. */
  get lifecycle(): Readonly<Lifecycle> {
    return this.state;
  }

  get status(): ProcessStatus {
    return this.state.status;
  }

  /** The app this process runs, as last given (start, restart --update-env, scale). */
  get spec(): Readonly<AppSpec> {
    return this.appSpec;
  }

  /** Replaces the spec (its name stays: the registry, the logs and the sockets are the name's). */
  respec(next: AppSpec): void {
    if (next.name !== this.appSpec.name) throw new Error(`respec: ${this.appSpec.name} (id ${this.id}) cannot be renamed ${next.name}`);
    this.appSpec = next;
    this.emit('changed');
  }

  /**
   * Crash recovery: a process that ran under the dead agent and is started again (a cluster worker,
   * a socket-activated app) counts the restart it is; a start of a process at rest counts none.
   */
  countRestart(): void {
    this.state = { ...this.state, restarts: this.state.restarts + 1 };
  }

  /** PM2's reset: the restart counters start again from zero. */
  resetCounters(): void {
    this.state = { ...this.state, restarts: 0, unstableRestarts: 0 };
    this.emit('changed');
  }

  /** The last error met while running this process, shown by describe. */
  get error(): string | null {
    return this.lastError;
  }

  /** How the last child ended, or null while none has. */
  get lastExit(): Readonly<LastExit> | null {
    return this.lastEnd;
  }

  /** Memory and CPU of the process and its descendants, as the monitor last measured them (zeros for a child not measured yet: monitor.ts measureNow). */
  get monit(): Readonly<{ memory: number; cpu: number }> {
    return this.measured ? this.usage : { memory: 0, cpu: 0 };
  }

  /** Whether the current child has been measured: a list asked before the monitor came to it measures it then (monitor.ts measureNow). */
  get measured(): boolean {
    return this.usagePid === this.pid;
  }

  /** The latest runtime sample of the current child when it is a Node app with metrics; else null. */
  get nodeMetrics(): NodeMetrics | null {
    return this.metricsSample;
  }

  /** Listening sockets the agent opened for this app (socket activation), passed as fd 3.. */
  get listenFds(): readonly number[] {
    return this.sockets;
  }

  /** The monitor's latest measure of the process tree. */
  measure(usage: Readonly<{ memory: number; cpu: number }>): void {
    this.usage = usage;
    this.usagePid = this.pid;
  }

  /** The sockets the agent holds for this app (opened for it, shared by its instances, or opened again after a crash). */
  useSockets(fds: readonly number[]): void {
    this.sockets = fds;
  }

  /** Takes over the error the agent which died recorded (crash recovery), before any event is fed to this process. */
  restoreError(error: string | null): void {
    if (this.supervising) throw new Error(`restoreError: ${this.spec.name} (id ${this.id}) is already supervised`);
    this.lastError = error;
  }

  /**
   * Whether its current child was launched at or after `since` (os time, see Registry.now), and so
   * runs the files as they were then: a child adopted from an agent that died is not known to.
   */
  launchedSince(since: number): boolean {
    const launchedAt = this.children.current?.launchedAt;
    return launchedAt !== undefined && launchedAt !== null && launchedAt >= since;
  }

  /** The current child: the one that serves, and whose pid `ls` shows. */
  get child(): ChildProcess | null {
    return this.children.current?.launched.child ?? null;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** What the current child said on its notify socket, when the app has one. */
  get notice(): AppNotice | null {
    return this.children.current?.notice ?? null;
  }

  /** The health check of the current child, when the app has one. */
  get health(): HealthState | null {
    return this.children.current?.liveness?.health?.state ?? null;
  }

  /** Descendants the monitor saw at its last sample of the current child. */
  get sampledTree(): ProcessIdentity[] {
    return this.children.current?.sampled ?? [];
  }

  set sampledTree(members: ProcessIdentity[]) {
    if (this.children.current) this.children.current.sampled = members;
  }

  /** Crash recovery: requests wait until socketsReady(), in the order they came. */
  holdForSockets(runAgain: boolean): void {
    this.heldForSockets = [];
    this.awaitingSockets = runAgain;
  }

  /**
   * Crash recovery: the sockets are open again (or could not be): the requests held meanwhile are
   * carried out, in order; true when the process is to be started again as planned (none came).
   */
  socketsReady(): boolean {
    const held = this.heldForSockets ?? [];
    const planned = this.awaitingSockets && held.length === 0;
    this.heldForSockets = null;
    this.awaitingSockets = false;
    for (const go of held) go();
    return planned;
  }

  /** Asks for `intent` and resolves with its answer once it is settled (see process/requests.ts). */
  request(intent: Intent): Promise<Outcome> {
    // what is asked now decides, not the restart recovery had planned (a start or restart held shows
    // as launching still: it comes once the sockets are open)
    if (intent === 'stop' || intent === 'delete') this.awaitingSockets = false;
    const held = this.heldForSockets;
    if (held) return new Promise((resolve) => held.push(() => resolve(this.request(intent))));
    const ticket = this.state.asked + 1;
    const answered = new Promise<Outcome>((resolve) => this.waiters.set(ticket, resolve));
    if (intent === 'restart' || intent === 'reload') this.createdAt = this.os.now();
    this.dispatch({ type: intent });
    this.log(`${this.spec.name} (id ${this.id}): ${intent} requested`);
    return answered;
  }

  /**
   * The process is at rest (stopped or errored) by an exit of its own, not by a command: a job that
   * finished with autorestart off, or a crash loop given up on. cron_restart runs it again at its
   * next time, as PM2's does; one whose last request was a stop stays stopped. Read from the
   * lifecycle, so it survives an agent's death (the state file) and a save (the dump says stopped_by).
   */
  get endedByItself(): boolean {
    return (this.state.status === ProcessState.STOPPED || this.state.status === ProcessState.ERRORED) && this.state.last !== 'stop';
  }

  /** Feeds one event through the state machine and carries out its effects. */
  dispatch(event: LifecycleEvent): void {
    this.startOwed = false;
    const previous = this.state.status;
    const { state, effects } = transition(this.state, event, this.spec, this.os.now());
    this.supervising = true;
    this.state = state;
    for (const effect of effects) this.apply(effect);
    // start-up is complete: from now on a `watchdog` app must ping (systemd arms WatchdogSec here too)
    if (state.status === ProcessState.ONLINE && previous !== ProcessState.ONLINE) this.children.current?.liveness?.watchdog?.sampled();
    if (state.status !== previous) this.emit('status', state.status, previous);
  }

  /** Resolves once `accept` holds for the status (checked now and on every change). */
  waitFor(accept: (status: ProcessStatus) => boolean): Promise<ProcessStatus> {
    if (accept(this.status)) return Promise.resolve(this.status);
    return new Promise((resolve) => {
      const onStatus = (status: ProcessStatus): void => {
        if (!accept(status)) return;
        this.off('status', onStatus);
        this.off('removed', onRemoved);
        resolve(status);
      };
      const onRemoved = (): void => {
        this.off('status', onStatus);
        resolve(this.status);
      };
      this.on('status', onStatus);
      this.once('removed', onRemoved);
    });
  }

  /** Delivers a signal to the current child; false when there is none. */
  signal(signal: NodeJS.Signals): boolean {
    const current = this.children.current;
    if (!current || hasExited(current)) return false;
    return current.launched.child.kill(signal);
  }

  private apply(effect: Effect): void {
    switch (effect.kind) {
      case 'spawn':
        return this.spawn();
      case 'spawn-replacement':
        return this.spawnReplacement();
      case 'adopt':
        return this.adopt();
      case 'promote':
        return this.promote();
      case 'drain':
        return this.drainRetiring();
      case 'stop-signal': {
        const handle = this.children[effect.child];
        return handle ? sendStop(handle, this.spec, this.os) : undefined;
      }
      case 'kill-tree': {
        const handle = this.children[effect.child];
        if (!handle) return;
        if (!effect.drainFirst) return killTree(handle, this.os);
        void drain(handle.launched, this.spec).then(() => killTree(handle, this.os));
        return;
      }
      case 'schedule':
        return this.schedule(effect.timer, effect.delay);
      case 'cancel':
        return this.cancel(effect.timer);
      case 'answer':
        return this.answer(effect.tickets, effect.outcome);
      case 'remove':
        this.logs.close();
        this.emit('removed');
        return;
    }
  }

  private spawn(): void {
    this.lastError = null;
    const started = this.launch();
    if (!started) {
      queueMicrotask(() => this.dispatch({ type: 'spawn-failed' }));
      return;
    }
    const { child, admitted } = started.launched;
    this.track('current', started.launched, started.notify, this.os.now());
    const ready = (): void => {
      if (this.roleOf(child) === 'current' && !this.spec.wait_ready) this.dispatch({ type: 'ready' });
    };
    // online once the app may run: its gate opened (a refused one exits instead, see refused)
    child.once('spawn', () => (admitted ? void admitted.then((opened) => opened && ready()) : ready()));
    if (this.state.proving.length > 0) this.putOnTrial(started.launched, started.notify);
  }

  /**
   * Fork mode: the reloads that launched this child wait until it is ready by a replacement's rules
   * (watchReadiness: its 'ready' or READY=1 with wait_ready, else listening or up min_uptime) and,
   * with a health check, its probe passed (healthChecked).
   */
  private putOnTrial(launched: Launched, notify: NotifySocket | null): void {
    this.candidate.begin();
    const handle = this.children.current!;
    watchReadiness(launched, this.spec, false, notify, () => {
      if (this.roleOfHandle(handle) === 'current' && this.candidate.ready(this.spec)) this.dispatch({ type: 'proven' });
    });
  }

  private spawnReplacement(): void {
    this.candidate.begin();
    // a worker restarted after a crash that has not listened yet (or never will) is replaced by one
    // that must listen, not by one that merely stayed up: the app serves a port
    const servesPort = (this.children.current?.launched.listened ?? false) || this.servedPort;
    const started = this.launch();
    if (!started) {
      queueMicrotask(() => this.dispatch({ type: 'replacement-exit' }));
      return;
    }
    const { launched, notify } = started;
    this.track('replacement', launched, notify, this.os.now());
    // its role is looked up by its handle: after MAINPID= (in the very datagram that says READY=1)
    // the handle holds the process named, not the child that was launched
    const handle = this.children.replacement!;
    watchReadiness(launched, this.spec, servesPort, notify, () => {
      const role = this.roleOfHandle(handle);
      // with a health check, the old child retires only once the replacement's probe passed
      if (role === 'replacement') {
        if (this.candidate.ready(this.spec)) this.dispatch({ type: 'replacement-ready' });
      } else if (role === 'current') this.dispatch({ type: 'ready' });
    });
  }

  /** Starts a child for this process's spec, with its notify socket when it has one; null (and the error recorded) when it cannot. */
  private launch(): { launched: Launched; notify: NotifySocket | null } | null {
    let notify: NotifySocket | null = null;
    // a restart with --time, or a file whose log settings changed, writes as it now says
    this.logs.retarget(this.targetsOf(this.spec));
    this.logs.createFiles();
    try {
      notify = this.openNotify();
      const env = notify ? { ...this.childEnv(), ...notifyEnv(notify.path, this.spec) } : this.childEnv();
      return { launched: this.os.launch(this.spec, { env, listenFds: this.sockets, unrecorded: () => !this.recorded, marker: randomUUID() }), notify };
    } catch (error) {
      notify?.close();
      this.fail(`cannot start ${this.spec.script}: ${launchProblem(error as Error, this.spec.cwd)}`);
      return null;
    }
  }

  /** A new notify socket for the next child (`notify`, `watchdog`), or null when the app has none. */
  private openNotify(): NotifySocket | null {
    if (!this.spec.notify && !this.spec.watchdog) return null;
    return this.os.openNotify((error) => this.log(`${this.spec.name} (id ${this.id}): notify socket: ${error.message}`));
  }

  /**
   * Supervises a child that an agent which died had started (crash recovery), with the lifecycle
   * that agent left; its output and metrics are read again from its named pipes, and its notify
   * socket (`notify`, bound again where the child sends) is heard again: its watchdog, armed from
   * now, and its hang watch go on.
   */
  resume(launched: Launched, lifecycle: Lifecycle, notify: NotifySocket | null = null, stopping = false): void {
    this.restore(lifecycle);
    this.track('current', launched, notify, null);
    const handle = this.children.current!;
    if (lifecycle.status === ProcessState.LAUNCHING) {
      // not ready yet: its READY=1 (on the notify socket bound again) or listen_timeout ends the wait; the watchdog starts then
      this.schedule('ready', Math.max(0, lifecycle.startedAt + this.spec.listen_timeout - this.os.now()));
      return;
    }
    // it had said STOPPING=1 to the agent that died: it stays stopping, and is held to a new deadline
    if (stopping && handle.notice) {
      handle.notice.state = 'stopping';
      handle.liveness?.watchdog?.stop();
      this.armStopDeadline(handle);
      return;
    }
    // it had told its readiness to the agent that started it
    if (handle.notice) handle.notice.state = 'ready';
    handle.liveness?.watchdog?.sampled();
  }

  /** Takes over the lifecycle an agent which died left (crash recovery), before any event is fed to this process. */
  restore(lifecycle: Lifecycle): void {
    if (this.supervising) throw new Error(`restore: ${this.spec.name} (id ${this.id}) is already supervised`);
    this.state = lifecycle;
  }

  /** Crash recovery: a restart the dead agent held back (restart_delay, backoff) comes when it was due, not at once. */
  resumeRestartWait(): void {
    const due = this.state.restartAt ?? 0;
    this.schedule('restart', Math.max(0, due - this.os.now()));
  }

  /** The children as the state file records them: the current one with its output pipes (null: its output dies with the agent), and a reload's others. */
  get running(): { current: { identity: ProcessIdentity; pipes: OutputPipePaths | null; launch: string | null; notify: string | null; stopping: boolean } | null; others: (ProcessIdentity & { launch: string | null })[] } {
    const live = (handle: ChildHandle | null): handle is ChildHandle & { identity: ProcessIdentity } => handle?.identity != null && !hasExited(handle);
    const { current, replacement, retiring } = this.children;
    return {
      current: live(current) ? { identity: current.identity, pipes: current.launched.output?.paths ?? null, launch: current.launched.marker ?? null, notify: current.notify?.path ?? null, stopping: current.notice?.state === 'stopping' } : null,
      others: [replacement, retiring].filter(live).map((handle) => ({ ...handle.identity, launch: handle.launched.marker ?? null })),
    };
  }

  /** Gives `launched` a role: from now on its output is logged and its exit and messages are events. */
  private track(role: Role, launched: Launched, notify: NotifySocket | null, launchedAt: number | null): void {
    const { child, output } = launched;
    const handle = handleFor(launched, this.os, notify, launchedAt);
    this.children[role] = handle;
    launched.onListening?.(() => (this.servedPort = true));
    const out = output?.out ?? child.stdout;
    const err = output?.err ?? child.stderr;
    if (out) this.logs.attach(out, 'out');
    if (err) this.logs.attach(err, 'err');
    if (role === 'current') this.becameCurrent(handle);
    else this.emit('child');
    // an exec probe is told which child it checks: during a reload the old one may answer at the app's address;
    // it carries the launch's marker, so that it ends with the launch even once no agent waits for it
    // (made for an exec probe only: a copy of the app's environment per child that no other watch reads)
    const probe = this.spec.health_check?.target;
    if (probe && 'exec' in probe) {
      handle.probeEnv = { ...this.childEnv(), PMX_PID: String(child.pid ?? ''), ...(launched.marker ? { [LAUNCH_VARIABLE]: probeMarker(launched.marker) } : {}) };
    }
    // the child is looked up when a watch reports: MAINPID= may have handed the role to another process
    // an exec probe that left a process behind (setsid, a daemon) would leave one more at each interval
    const afterExec = launched.marker ? () => this.os.sweep(launched.marker!, true) : undefined;
    handle.liveness = watchLiveness(this.spec, { cwd: this.spec.cwd, env: handle.probeEnv, afterExec }, () => this.os.now(), {
      hung: (blockedMs) => this.hung(handle.launched.child, blockedMs),
      watchdog: (silentMs) => this.watchdogMissed(handle.launched.child, `no WATCHDOG=1 for ${silentMs} ms (watchdog ${this.spec.watchdog} ms)`),
      health: (state) => this.healthChecked(handle.launched.child, state),
    });
    if (launched.metrics) {
      const pipe = launched.metrics;
      readMetrics(
        pipe,
        (sample) => {
          handle.liveness?.hang?.sampled();
          if (this.roleOf(child) === 'current') this.metricsSample = sample;
        },
        // what the app sent with process.send, having no IPC channel: for the bus, as IPC messages are
        (message) => this.emit('message', message),
      );
      // a descendant that inherited a worker's socketpair must not keep it open once the app is gone;
      // a FIFO is read to its end (when the last holder is gone), then used again
      if (!launched.output) child.once('exit', () => pipe.destroy());
    }
    notify?.on('message', (message: NotifyMessage) => this.notified(handle.launched.child, handle, message));
    // a MAINPID= the child sent just before it exited (a daemon that forks, then ends) may wait
    // in its socket still: it is read first, in this turn, so that the exit is of the main process it named
    if (notify) child.once('exit', (code, signal) => setImmediate(() => this.exited(handle, child, code, signal)));
    else child.once('exit', (code, signal) => this.exited(handle, child, code, signal));
    child.once('error', (error) => {
      const at = this.roleOf(child);
      if (!at || child.pid !== undefined) return;
      this.fail(`cannot start ${this.spec.script}: ${launchProblem(error, this.spec.cwd)}`);
      handle.notify?.close();
      this.children[at] = null;
      if (at === 'current') this.dispatch({ type: 'spawn-failed' });
      else if (at === 'replacement') this.dispatch({ type: 'replacement-exit' });
    });
    child.on('message', (message: unknown) => {
      if (message === 'ready' && this.roleOf(child) === 'current') this.dispatch({ type: 'ready' });
      // for the bus: what an app sends with process.send (PM2 carries it to launchBus listeners)
      this.emit('message', message);
    });
  }

  /** A child ended: the event of the role it held. The process it handed its role to (MAINPID=) ends it instead. */
  private exited(handle: ChildHandle, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (handle.launched.child !== child) return;
    stopLiveness(handle.liveness);
    clearTimeout(handle.stopDeadline);
    handle.notify?.close();
    const at = this.roleOf(child);
    if (!at) return;
    if (handle.launched.refused !== undefined) return this.refused(handle, at, handle.launched.refused);
    if (at === 'current') {
      this.metricsSample = null;
      removePidFile(this.pidFile);
      this.lastEnd = { code, signal, at: this.os.now() };
      this.emit('exit', this.lastEnd);
    }
    if (at === 'replacement' || (at === 'current' && this.state.proving.length > 0)) this.candidate.exited(code, signal);
    if (at === 'retiring') this.emit('retired', child.pid ?? 0, code);
    this.dispatch(at === 'current' ? { type: 'exit', code, signal } : at === 'replacement' ? { type: 'replacement-exit' } : { type: 'retired-exit' });
    // the effects above still needed the handle (to kill what is left of its tree)
    if (this.children[at] === handle) this.children[at] = null;
  }

  /** A child kept from running the app (its gate closed, os.ts): the start failed, with why; nothing ran, so nothing is retried. */
  private refused(handle: ChildHandle, at: Role, why: string): void {
    this.fail(`not started: ${why}; an agent started after this one died would not know it. Free space there and start it again`);
    if (at === 'current') {
      removePidFile(this.pidFile);
      this.dispatch({ type: 'spawn-failed' });
    } else this.dispatch(at === 'replacement' ? { type: 'replacement-exit' } : { type: 'retired-exit' });
    if (this.children[at] === handle) this.children[at] = null;
  }

  /**
   * MAINPID=: the app names another of its processes as the main one (a daemon that forked). As
   * systemd takes it only from the unit's cgroup, pmx takes it only from the app's own processes:
   * its tree (descendants, process group) or, for a daemon that left both (setsid), a process that
   * carries this launch's marker. From then on that process is the one whose exit counts, and whose
   * pid `ls` shows. It is not our child: it is watched as an adopted process is (its exit seen in
   * /proc). The process pmx started, if it stays, ends with the launch.
   */
  private mainPid(handle: ChildHandle, pid: number): void {
    const root = handle.identity;
    // a child whose exit was handled is gone from its role; one that exited a moment ago (its
    // exit waits for this very message, see track) may still name its main process
    if (!root || pid === root.pid || this.roleOf(handle.launched.child) === null) return;
    // the table read afresh if this turn's is older than the named process (a daemon that forked just now)
    const member = this.os.tree(root, pid).find((each) => each.pid === pid) ?? (handle.launched.marker ? this.os.marked(pid, handle.launched.marker) : null);
    if (!member) {
      this.log(`${this.spec.name} (id ${this.id}): MAINPID=${pid} ignored: not a process of this app (pid ${root.pid}, its descendants, its process group, what carries its launch marker)`);
      return;
    }
    // a zombie serves nothing: taking it would make its 'exit' a restart at once, again and again
    if (!this.os.alive(member)) {
      this.log(`${this.spec.name} (id ${this.id}): MAINPID=${pid} ignored: that process has exited`);
      return;
    }
    handle.launcher ??= root;
    const adopted = new AdoptedChild(member, this.os, this.adoptedWatch, []);
    const child = adopted.asChildProcess();
    handle.launched = { ...handle.launched, child, metrics: null };
    handle.identity = member;
    // the probe checks the process that serves now, as its $PMX_PID says
    handle.probeEnv.PMX_PID = String(pid);
    child.once('exit', (code, signal) => this.exited(handle, child, code, signal));
    this.log(`${this.spec.name} (id ${this.id}): MAINPID=${pid}: its main process is now pid ${pid} (was ${root.pid})`);
    if (this.children.current === handle) this.becameCurrent(handle);
    // it may have exited before it was watched
    adopted.look();
  }

  /** Resolves true once the current child (a cluster worker) listens, false if it exits or `timeoutMs` passes first. */
  listening(timeoutMs: number): Promise<boolean> {
    const launched = this.children.current?.launched;
    if (!launched?.onListening) return Promise.resolve(false);
    if (launched.listened) return Promise.resolve(true);
    const { child, onListening } = launched;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const settle = (listens: boolean): void => {
        clearTimeout(timer);
        resolve(listens);
      };
      child.once('exit', () => settle(false));
      onListening(() => settle(true));
    });
  }

  private roleOfHandle(handle: ChildHandle): Role | null {
    return this.roleWhere((held) => held === handle);
  }

  private roleOf(child: ChildProcess): Role | null {
    return this.roleWhere((held) => held.launched.child === child);
  }

  private roleWhere(matches: (handle: ChildHandle) => boolean): Role | null {
    for (const role of ['current', 'replacement', 'retiring'] as const) {
      const handle = this.children[role];
      if (handle && matches(handle)) return role;
    }
    return null;
  }

  private becameCurrent(handle: ChildHandle): void {
    this.metricsSample = null;
    const pid = handle.launched.child.pid;
    const unwritten = pid === undefined ? null : writePidFile(this.pidFile, pid);
    if (unwritten !== null) this.log(`${this.spec.name} (id ${this.id}): pid file not written: ${unwritten}`);
    this.emit('child');
  }

  /** The replacement serves from now on; the child it replaces retires. */
  private adopt(): void {
    const replacement = this.children.replacement;
    if (!replacement) return;
    this.children.retiring = this.children.current;
    this.children.current = replacement;
    this.children.replacement = null;
    this.lastError = null;
    this.becameCurrent(replacement);
    this.emit('replaced');
  }

  /** The replacement takes the place of a current child that has exited. */
  private promote(): void {
    const replacement = this.children.replacement;
    if (!replacement) return;
    this.children.current = replacement;
    this.children.replacement = null;
    this.becameCurrent(replacement);
  }

  private drainRetiring(): void {
    const handle = this.children.retiring;
    if (!handle) return;
    void drain(handle.launched, this.spec).then((finished) => {
      if (!finished) this.log(`${this.spec.name} (id ${this.id}): the replaced worker (pid ${handle.launched.child.pid}) still held connections after drain_timeout (${drainBound(this.spec)} ms): they are cut as it stops`);
      if (this.children.retiring === handle) this.dispatch({ type: 'drained' });
    });
  }

  /** The current child's event loop has been blocked for `blockedMs`: the one stop path restarts it (a blocked loop cannot act on SIGINT; kill_timeout then SIGKILL). */
  private hung(child: ChildProcess, blockedMs: number): void {
    if (this.roleOf(child) !== 'current' || !this.restartable()) return;
    this.restartOnItsOwn({ event: 'hung', at: this.os.now(), blocked_ms: blockedMs }, `hung: its event loop has been blocked for ${blockedMs} ms (hang_timeout ${this.spec.hang_timeout} ms)`);
  }

  /** A child spoke on its notify socket (systemd's protocol): READY=1 is its 'ready' message, WATCHDOG=1 feeds its watchdog, STOPPING=1 ends it. */
  private notified(child: ChildProcess, handle: ChildHandle, message: NotifyMessage): void {
    const role = this.roleOf(child);
    const notice = handle.notice;
    if (!role || !notice) return;
    if (message.status !== undefined) notice.status = message.status;
    // STOPPING=1 is final for a process, as systemd's deactivating: neither RELOADING=1 nor READY=1 undoes it
    if (message.reloading && notice.state !== 'stopping') notice.state = 'reloading';
    if (message.ready && notice.state !== 'stopping') notice.state = 'ready';
    if (message.stopping && notice.state !== 'stopping') {
      // an app on its way out is not restarted for the pings it no longer sends; as systemd arms
      // its stop timeout at STOPPING=1, one that has not exited drain_timeout later is restarted
      notice.state = 'stopping';
      handle.liveness?.watchdog?.stop();
      this.armStopDeadline(handle);
      // the state file says so: the next agent, should this one die, keeps it stopping
      this.emit('child');
    }
    // a ping, or READY=1 (from then on it must ping), arms the watchdog again
    if ((message.watchdog === 'ping' || message.ready) && notice.state !== 'stopping') handle.liveness?.watchdog?.sampled();
    if (message.watchdog === 'trigger') this.watchdogMissed(child, 'it sent WATCHDOG=trigger');
    if (message.mainpid !== undefined) this.mainPid(handle, message.mainpid);
    // the replacement's READY=1 is watched by watchReadiness, the current child's here
    if (message.ready && role === 'current') this.dispatch({ type: 'ready' });
  }

  /** As systemd arms its stop timeout at STOPPING=1: a child that has not exited drain_timeout later is restarted. */
  private armStopDeadline(handle: ChildHandle): void {
    const bound = drainBound(this.spec);
    const { child } = handle.launched;
    handle.stopDeadline = setTimeout(() => this.stoppingOverdue(child, `it said STOPPING=1 ${bound} ms ago and has not exited (drain_timeout)`), bound);
  }

  /** The current child said STOPPING=1 and did not exit in time: restarted as a hung one is. */
  private stoppingOverdue(child: ChildProcess, reason: string): void {
    if (this.roleOf(child) !== 'current' || !this.restartable()) return;
    this.restartOnItsOwn({ event: 'stopping', at: this.os.now(), reason }, `stopping: ${reason}`);
  }

  /** The current child missed its watchdog: restarted as a hung one is. */
  private watchdogMissed(child: ChildProcess, reason: string): void {
    if (this.roleOf(child) !== 'current' || !this.restartable()) return;
    this.restartOnItsOwn({ event: 'watchdog', at: this.os.now(), reason }, `watchdog: ${reason}`);
  }

  /** A probe of a child's health check ended: an unhealthy current child is restarted; a healthy replacement may now take over. */
  private healthChecked(child: ChildProcess, state: HealthState): void {
    const role = this.roleOf(child);
    if (role === 'replacement') {
      if (this.candidate.checked(state)) this.dispatch({ type: 'replacement-ready' });
      return;
    }
    // fork mode: the child a reload launched proves ready once its probe passed too
    if (role === 'current' && this.state.proving.length > 0 && this.candidate.checked(state)) this.dispatch({ type: 'proven' });
    if (role !== 'current' || state.status !== 'unhealthy' || !this.restartable()) return;
    const reason = state.last_error ?? 'the probe failed';
    this.restartOnItsOwn({ event: 'health', at: this.os.now(), reason }, `unhealthy: ${state.failures} health checks failed in a row (last: ${reason})`);
  }

  /** Restarts the current child on the agent's own decision, through the one stop path; past restart_limit it ends errored instead. */
  private restartOnItsOwn(event: SupervisionEvent, problem: string): void {
    this.dispatch({ type: 'liveness-failed' });
    const limit = this.spec.restart_limit;
    const limited = this.state.afterStop === 'errored' && limit;
    // recorded with what came of it: describe said "restart" for one restart_limit refused
    this.record({ ...event, outcome: limited ? 'errored' : this.spec.autorestart ? 'restarted' : 'stopped' });
    if (limited) this.fail(`${problem}: not restarted, it was restarted ${limit.burst} times within ${limit.interval} ms (restart_limit: { burst: ${limit.burst}, interval: ${limit.interval} }); errored until it is started`);
    else this.fail(this.spec.autorestart ? `${problem}: restarting` : `${problem}: stopped, not restarted (autorestart: false)`);
  }

  /** The agent restarts a process on its own only while it runs unattended: not while it is being stopped or reloaded (the replacement renews it). */
  private restartable(): boolean {
    return isUnattended(this.status);
  }

  private record(event: SupervisionEvent): void {
    this.events.push(event);
    if (this.events.length > EVENTS_KEPT) this.events.shift();
  }

  private answer(tickets: number[], outcome: Outcome): void {
    // why a reload failed (its watches record why they restarted its child themselves)
    const failure = outcome.kind === 'failed' ? this.candidate.failure(outcome.reason, this.spec) : null;
    if (failure) this.fail(failure);
    for (const ticket of tickets) {
      this.waiters.get(ticket)?.(outcome);
      this.waiters.delete(ticket);
    }
  }

  private childEnv(): Record<string, string> {
    const { spec, id, instance, logTargets, pidFile, createdAt, uniqueId } = this;
    return childEnvironment({ spec, id, instance, logTargets, pidFile, createdAt, uniqueId, restarts: this.state.restarts, unstableRestarts: this.state.unstableRestarts, now: this.os.now() });
  }

  private schedule(timer: Timer, delay: number): void {
    this.cancel(timer);
    this.timers.set(timer, setTimeout(() => {
      this.timers.delete(timer);
      this.dispatch(TIMER_EVENTS[timer]);
    }, delay));
  }

  private cancel(timer: Timer): void {
    const handle = this.timers.get(timer);
    if (handle) clearTimeout(handle);
    this.timers.delete(timer);
  }

  /** Records a problem met while running this process (shown by describe) and logs it. */
  fail(message: string): void {
    this.lastError = message;
    this.log(`${this.spec.name} (id ${this.id}): ${message}`);
  }
}

/** What an app with a notify socket finds in its environment, as systemd sets it (WATCHDOG_PID is set by the launching shell). */
function notifyEnv(path: string, spec: AppSpec): Record<string, string> {
  return { NOTIFY_SOCKET: path, ...(spec.watchdog ? { WATCHDOG_USEC: String(Math.round(spec.watchdog * 1000)) } : {}) };
}
