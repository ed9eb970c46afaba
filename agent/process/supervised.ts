// One supervised process: holds its lifecycle, feeds events to the pure transition function and
// applies the effects it returns to a real child through the OS seam.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { AppSpec } from '../protocol/app-spec.js';
import { LogSink, type LogTargets } from '../logs/sink.js';
import type { LogFiles } from '../logs/log-files.js';
import { ProcessState, type ProcessStatus } from './states.js';
import { initialLifecycle, transition, type Effect, type Lifecycle, type LifecycleEvent, type Timer } from './transition.js';
import type { Launched, ProcessIdentityRow as ProcessIdentity, ProcessOs } from './os.js';
import { removePidFile, writePidFile } from './pid-file.js';
import { replacementReady, retire } from '../modes/reload.js';
import { readMetrics, type NodeMetrics } from '../metrics/node-metrics.js';


/** The last exit of a process's child, shown by describe and written to the agent log. */
export interface LastExit {
  code: number | null;
  signal: string | null;
  /** ms since epoch. */
  at: number;
}

/** Emits 'status' (status, previous) on every change, 'exit' (LastExit) when a child exits, and 'removed' once deleted. */
export class SupervisedProcess extends EventEmitter {
  lifecycle: Lifecycle = initialLifecycle();
  child: ChildProcess | null = null;
  /** The last error met while running this process, shown by describe. */
  error: string | null = null;
  /** How the last child ended, or null while none has. */
  lastExit: LastExit | null = null;
  readonly createdAt: number;
  readonly logs: LogSink;
  monit = { memory: 0, cpu: 0 };
  /** The latest runtime sample of the current child when it is a Node app with metrics; else null. */
  nodeMetrics: NodeMetrics | null = null;
  private readonly timers = new Map<Timer, NodeJS.Timeout>();
  private identity: ProcessIdentity | null = null;
  /** Descendants seen when the stop began: killed too if they outlive the main process. */
  private stopSnapshot: ProcessIdentity[] = [];
  /** Descendants the monitor saw at its last sample: a crash's leftovers that left the process group. */
  sampledTree: ProcessIdentity[] = [];
  /** Listening sockets the agent opened for this app (socket activation), passed as fd 3.. */
  listenFds: number[] = [];
  /** The current child as launched (its `listened` tells whether a cluster worker listens). */
  private launched: Launched | null = null;

  constructor(
    readonly id: number,
    public spec: AppSpec,
    readonly instance: number,
    readonly logTargets: LogTargets,
    /** Where the pid of the running child is written, as PM2 does (pids/<name>-<id>.pid). */
    readonly pidFile: string,
    logFiles: LogFiles,
    private readonly os: ProcessOs,
    private readonly reportError: (message: string) => void,
  ) {
    super();
    this.createdAt = os.now();
    this.logs = new LogSink(logTargets, logFiles);
  }

  get status(): ProcessStatus {
    return this.lifecycle.status;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Feeds one event through the state machine and carries out its effects. */
  dispatch(event: LifecycleEvent): void {
    const previous = this.lifecycle.status;
    const { state, effects } = transition(this.lifecycle, event, this.spec, this.os.now());
    this.lifecycle = state;
    for (const effect of effects) this.apply(effect);
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

  /** Delivers a signal to the main process; false when there is none. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return false;
    return this.child.kill(signal);
  }

  private apply(effect: Effect): void {
    switch (effect.kind) {
      case 'spawn':
        return this.spawn();
      case 'stop-signal':
        return this.sendStop();
      case 'kill-tree':
        return this.killTree();
      case 'schedule':
        return this.schedule(effect.timer, effect.delay);
      case 'cancel':
        return this.cancel(effect.timer);
      case 'remove':
        this.logs.close();
        this.emit('removed');
        return;
    }
  }

  private spawn(): void {
    this.error = null;
    this.stopSnapshot = [];
    this.sampledTree = [];
    const launched = this.launch();
    if (!launched) {
      queueMicrotask(() => this.dispatch({ type: 'spawn-failed' }));
      return;
    }
    this.attachOutput(launched.child);
    this.adopt(launched);
    const { child } = launched;
    child.once('spawn', () => {
      if (this.child === child && !this.spec.wait_ready) this.dispatch({ type: 'ready' });
    });
    child.once('error', (error) => {
      if (this.child !== child || child.pid !== undefined) return;
      this.fail(`cannot start ${this.spec.script}: ${error.message}`);
      this.child = null;
      this.dispatch({ type: 'spawn-failed' });
    });
  }

  /** Starts a child for this process's spec; null (and the error recorded) when it cannot. */
  private launch(): Launched | null {
    try {
      return this.os.launch(this.spec, { env: this.childEnv(), listenFds: this.listenFds });
    } catch (error) {
      this.fail(`cannot start ${this.spec.script}: ${(error as Error).message}`);
      return null;
    }
  }

  /** Makes `launched` the current child: its exit, messages and output are ours from now on. */
  private adopt(launched: Launched): void {
    const { child } = launched;
    this.launched = launched;
    this.child = child;
    this.nodeMetrics = null;
    if (launched.metrics) {
      const pipe = launched.metrics;
      readMetrics(pipe, (sample) => {
        if (this.child === child) this.nodeMetrics = sample;
      });
      // a descendant that inherited the pipe must not keep it open once the app is gone
      child.once('exit', () => pipe.destroy());
    }
    // the pid is known as soon as the fork succeeded; 'spawn' then confirms the exec
    this.identity = child.pid === undefined ? null : this.os.identify(child.pid);
    if (child.pid !== undefined) writePidFile(this.pidFile, child.pid);
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      this.nodeMetrics = null;
      removePidFile(this.pidFile);
      this.lastExit = { code, signal, at: this.os.now() };
      this.emit('exit', this.lastExit);
      this.dispatch({ type: 'exit', code, signal });
    });
    child.on('message', (message: unknown) => {
      if (message === 'ready' && this.child === child) this.dispatch({ type: 'ready' });
    });
  }

  /** Resolves true once the current child (a cluster worker) listens, false if it exits or `timeoutMs` passes first. */
  listening(timeoutMs: number): Promise<boolean> {
    const launched = this.launched;
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

  private attachOutput(child: ChildProcess): void {
    if (child.stdout) this.logs.attach(child.stdout, 'out');
    if (child.stderr) this.logs.attach(child.stderr, 'err');
  }

  /**
   * Zero-downtime reload: starts a replacement, waits until it is ready, makes it current, then
   * drains and stops the old child. False, with the old child untouched, when the replacement
   * does not become ready within listen_timeout.
   */
  async reload(): Promise<boolean> {
    const old = this.child;
    const oldIdentity = this.identity;
    if (this.status !== ProcessState.ONLINE || !old || !oldIdentity) {
      this.dispatch({ type: 'restart' });
      return (await this.waitFor((status) => status !== ProcessState.LAUNCHING && status !== ProcessState.STOPPING)) === ProcessState.ONLINE;
    }
    const launched = this.launch();
    if (!launched) return false;
    this.attachOutput(launched.child);
    if (!(await replacementReady(launched, this.spec, this.launched?.listened ?? false))) {
      const identity = launched.child.pid === undefined ? null : this.os.identify(launched.child.pid);
      if (identity) this.os.kill(this.os.tree(identity), 'SIGKILL');
      this.fail(`reload: the new process did not become ready within ${this.spec.listen_timeout} ms; the old one keeps serving`);
      return false;
    }
    this.adopt(launched);
    this.dispatch({ type: 'reloaded' });
    await retire(old, oldIdentity, this.spec, this.os);
    return true;
  }

  private childEnv(): Record<string, string> {
    const instance = String(this.instance);
    return {
      ...this.spec.env,
      name: this.spec.name,
      namespace: this.spec.namespace,
      pm_id: String(this.id),
      unique_id: `${this.spec.namespace}:${this.spec.name}:${this.id}`,
      // `instance_var` renames NODE_APP_INSTANCE, as in PM2: the app sees one variable, not two
      [this.spec.instance_var]: instance,
    };
  }

  private sendStop(): void {
    const child = this.child;
    const root = this.identity;
    if (!child?.pid || !root) return;
    this.stopSnapshot = this.os.tree(root).filter((member) => member.pid !== root.pid);
    if (this.spec.shutdown_with_message && child.connected) {
      child.send('shutdown', (error) => {
        if (error) this.signal('SIGINT');
      });
      return;
    }
    this.signal('SIGINT');
  }

  private killTree(): void {
    const root = this.identity;
    if (!root) return;
    // identities are checked again before each signal: a reaped pid that was reused is spared
    this.os.kill([...this.os.tree(root), ...this.stopSnapshot, ...this.sampledTree], 'SIGKILL');
  }

  private schedule(timer: Timer, delay: number): void {
    this.cancel(timer);
    const event: LifecycleEvent =
      timer === 'restart' ? { type: 'restart-timer' } : timer === 'ready' ? { type: 'ready-timer' } : { type: 'kill-timer' };
    this.timers.set(timer, setTimeout(() => {
      this.timers.delete(timer);
      this.dispatch(event);
    }, delay));
  }

  private cancel(timer: Timer): void {
    const handle = this.timers.get(timer);
    if (handle) clearTimeout(handle);
    this.timers.delete(timer);
  }

  /** Records a problem met while running this process (shown by describe) and logs it. */
  fail(message: string): void {
    this.error = message;
    this.reportError(`${this.spec.name} (id ${this.id}): ${message}`);
  }

  /** True while a child exists or is about to. */
  get active(): boolean {
    return this.status !== ProcessState.STOPPED && this.status !== ProcessState.ERRORED;
  }
}
