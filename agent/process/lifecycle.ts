// What the pure transition function works on: the lifecycle of one supervised process, the events
// it is fed, the effects it returns, and the edges several events share (launch, stop every
// child, finish a stop). Nothing here touches the OS.
import { ProcessState, type ProcessStatus } from './states.js';
import type { ExecMode, HealthCheck, RestartLimit } from '../protocol/app-spec.js';

/** The part of an app's spec that decides how its process is restarted, reloaded and stopped. */
export interface RestartPolicy {
  autorestart: boolean;
  max_restarts: number;
  min_uptime: number;
  restart_delay: number;
  exp_backoff_restart_delay: number;
  stop_exit_codes: number[];
  /** systemd's start-rate limit on automatic restarts; null or absent: none. */
  restart_limit?: RestartLimit | null;
  kill_timeout: number;
  wait_ready: boolean;
  listen_timeout: number;
  /** Socket-activated addresses: such an app's replacement is ready by uptime, not by a message. */
  listen: readonly string[];
  /** A replacement's probe must pass before it takes over (process/replacement.ts). */
  health_check?: HealthCheck | null;
  /** Cluster workers (and socket-activated apps) reload beside the old child; fork-mode ones by a restart (process/proof.ts). */
  exec_mode: ExecMode;
}

/** What a caller asks of a process. Every request gets a ticket and, in time, one answer. */
export type Intent = 'start' | 'stop' | 'restart' | 'reload' | 'delete';

/** Where a request wants the process: requests with the same goal join, a later goal overrides. */
export type Goal = 'running' | 'stopped' | 'removed';

/** The requests being carried out, by ticket, all with one goal. */
export interface Pending {
  goal: Goal;
  tickets: number[];
}

/** The answer to a request: carried out, a reload whose replacement failed, or overridden by a later request. */
export type Outcome =
  | { kind: 'done' }
  | { kind: 'failed'; reason: FailedBecause }
  | { kind: 'superseded'; by: Intent };

/**
 * Why a reload failed: its new child was not ready in time, exited first, or was restarted first
 * by its own watches (unhealthy, hung, a missed watchdog: fork mode, where it is the current child).
 */
export type FailedBecause = 'timeout' | 'exited' | 'liveness';

/** The children a process can have at once. `current` is the one `ls` shows. */
export type Role = 'current' | 'replacement' | 'retiring';

/** Which children exist. Only REPLACING and STOPPING ever have more than the current one. */
export interface Children {
  current: boolean;
  /** A child started to replace the current one: booting until ready, or being stopped. */
  replacement: 'none' | 'booting' | 'stopping';
  /** A child a replacement took over from: draining its connections, then being stopped. */
  retiring: 'none' | 'draining' | 'stopping';
}

/** What to do once every child of a stopping process has exited. */
export type AfterStop = 'stop' | 'restart' | 'delete' | 'errored';

export interface Lifecycle {
  status: ProcessStatus;
  /** PM2's restart_time: every relaunch or replacement, asked for or automatic. */
  restarts: number;
  /** PM2's unstable_restarts: consecutive exits within min_uptime. */
  unstableRestarts: number;
  /** When the current (or last) child was spawned, ms since epoch. */
  startedAt: number;
  /** The last back-off delay used, 0 when none. */
  backoffDelay: number;
  /** When the automatic restarts within restart_limit's interval were decided, oldest first (absent in older state files). */
  recentRestarts?: number[];
  /** While WAITING_RESTART: when the relaunch is due, ms since epoch (0 otherwise; absent in older state files). */
  restartAt?: number;
  /** Why the process went ERRORED on its own: unstable restarts (max_restarts) or the start-rate limit (absent: the former). */
  erroredBy?: 'max_restarts' | 'restart_limit';
  afterStop: AfterStop;
  exitCode: number | null;
  children: Children;
  /** Requests received so far: the last ticket given. */
  asked: number;
  /** The latest request received, if any. */
  last: Intent | null;
  pending: Pending | null;
  /** While REPLACING: the first ticket of a reload asked after this replacement began (it gets a round of its own), else 0. */
  queued: number;
  /**
   * Fork mode: the reloads (their tickets, among the pending ones) that wait for the child their
   * restart launches to be ready by the reload's rules (proof.ts), not merely online; [] otherwise.
   */
  proving: number[];
  /** Deleted: gone from the list, and nothing brings it back. */
  removed: boolean;
}

export type LifecycleEvent =
  | { type: Intent }
  | { type: 'ready' }
  | { type: 'exit'; code: number | null; signal: string | null }
  | { type: 'spawn-failed' }
  /** The agent restarts the current child on its own: hung, a missed watchdog, a failed health check. */
  | { type: 'liveness-failed' }
  | { type: 'replacement-ready' }
  | { type: 'replacement-exit' }
  /** Fork mode: the child a reload launched is ready by the reload's rules (modes/reload.ts watchReadiness, and its probe passed). */
  | { type: 'proven' }
  | { type: 'drained' }
  | { type: 'retired-exit' }
  | { type: 'restart-timer' }
  | { type: 'ready-timer' }
  | { type: 'kill-timer' }
  | { type: 'replace-timer' }
  | { type: 'retire-timer' }
  | { type: 'proof-timer' };

/** restart: back-off before a relaunch; ready: listen_timeout of a launch; kill: kill_timeout of the current child and
 * its replacement once stopped; replace: how long a replacement may boot; retire: kill_timeout of the retiring child;
 * proof: how long the child a fork-mode reload launched may take to be ready. */
export type Timer = 'restart' | 'ready' | 'kill' | 'replace' | 'retire' | 'proof';

export type Effect =
  | { kind: 'spawn' }
  | { kind: 'spawn-replacement' }
  /** The replacement becomes the current child; the current one becomes the retiring one. */
  | { kind: 'adopt' }
  /** The replacement becomes the current child in place of one that has exited. */
  | { kind: 'promote' }
  /** The retiring child is asked to finish its connections; 'drained' follows. */
  | { kind: 'drain' }
  | { kind: 'stop-signal'; child: Role }
  /** `drainFirst`: a listening cluster worker finishes the connections it took before it is killed. */
  | { kind: 'kill-tree'; child: Role; drainFirst?: boolean }
  | { kind: 'schedule'; timer: Timer; delay: number }
  | { kind: 'cancel'; timer: Timer }
  /** Answers the requests with these tickets. */
  | { kind: 'answer'; tickets: number[]; outcome: Outcome }
  | { kind: 'remove' };

export interface Transition {
  state: Lifecycle;
  effects: Effect[];
}

const NO_CHILDREN: Children = { current: false, replacement: 'none', retiring: 'none' };

/** The lifecycle of a process that has never been started. */
export function initialLifecycle(): Lifecycle {
  return {
    status: ProcessState.STOPPED,
    restarts: 0,
    unstableRestarts: 0,
    startedAt: 0,
    backoffDelay: 0,
    recentRestarts: [],
    restartAt: 0,
    afterStop: 'stop',
    exitCode: null,
    children: NO_CHILDREN,
    asked: 0,
    last: null,
    pending: null,
    queued: 0,
    proving: [],
    removed: false,
  };
}

export function same(s: Lifecycle): Transition {
  return { state: s, effects: [] };
}

export function hasChildren(c: Children): boolean {
  return c.current || c.replacement !== 'none' || c.retiring !== 'none';
}

/** Whether the app reloads beside its old child (a cluster worker, a socket-activated app), or, in fork mode, by a restart whose new child must prove ready. */
export function reloadsWithoutGap(policy: RestartPolicy): boolean {
  return policy.exec_mode === 'cluster_mode' || policy.listen.length > 0;
}

/** How long a reload's new child (a replacement, or a fork-mode relaunch) may take to be ready before the reload gives up on it. */
export function readyTimeout(policy: RestartPolicy): number {
  // with a health check, the new child must pass a probe (and be ready as below) within
  // start_period plus `failures` probes, each `interval` after the last, the last given its timeout
  const health = policy.health_check;
  if (health) return health.start_period + health.interval * health.failures + health.timeout;
  // without an IPC channel to say ready, a socket-activated app is ready once it stayed up
  // min_uptime: until then the old child keeps accepting from the shared socket; a fork-mode child
  // without wait_ready is once it listens or stayed up min_uptime (modes/reload.ts watchReadiness)
  const byUptime = !policy.wait_ready && (policy.listen.length > 0 || !reloadsWithoutGap(policy));
  return byUptime ? Math.max(policy.listen_timeout, policy.min_uptime + 1000) : policy.listen_timeout;
}

/** -> LAUNCHING: a new current child; one a fork-mode reload waits for has readyTimeout to prove ready. */
export function launch(s: Lifecycle, policy: RestartPolicy, now: number, cancelRestart: boolean): Transition {
  const effects: Effect[] = cancelRestart ? [{ kind: 'cancel', timer: 'restart' }] : [];
  effects.push({ kind: 'spawn' });
  if (policy.wait_ready) effects.push({ kind: 'schedule', timer: 'ready', delay: policy.listen_timeout });
  if (s.proving.length > 0) effects.push({ kind: 'schedule', timer: 'proof', delay: readyTimeout(policy) });
  return {
    // the last exit code stays until the next exit, as PM2's exit_code does
    state: { ...s, status: ProcessState.LAUNCHING, startedAt: now, afterStop: 'stop', restartAt: 0, erroredBy: undefined, children: { ...s.children, current: true } },
    effects,
  };
}

/**
 * -> STOPPING: the one stop path, for every child the process has. The current child and a
 * booting replacement get the stop signal and one kill timer; a retiring child that is still
 * draining is hurried (stop signal now, its own kill timer); a child already being stopped keeps
 * its course. Its caller guarantees that a child exists.
 */
export function stopAll(s: Lifecycle, afterStop: AfterStop, policy: RestartPolicy): Transition {
  const c = s.children;
  const effects: Effect[] = [{ kind: 'cancel', timer: 'ready' }];
  if (s.status === ProcessState.REPLACING) effects.push({ kind: 'cancel', timer: 'replace' });
  // the child on trial is stopped: a relaunch for the reloads that wait gets a trial of its own
  if (s.proving.length > 0) effects.push({ kind: 'cancel', timer: 'proof' });
  if (c.current) effects.push({ kind: 'stop-signal', child: 'current' });
  if (c.replacement === 'booting') effects.push({ kind: 'stop-signal', child: 'replacement' });
  if (c.current || c.replacement === 'booting') effects.push({ kind: 'schedule', timer: 'kill', delay: policy.kill_timeout });
  if (c.retiring === 'draining') effects.push(...hurryRetiring(policy));
  const children: Children = {
    current: c.current,
    replacement: c.replacement === 'none' ? 'none' : 'stopping',
    retiring: c.retiring === 'none' ? 'none' : 'stopping',
  };
  return { state: { ...s, status: ProcessState.STOPPING, afterStop, queued: 0, children }, effects };
}

/** The retiring child's stop: its stop signal, and SIGKILL after kill_timeout. */
export function hurryRetiring(policy: RestartPolicy): Effect[] {
  return [
    { kind: 'stop-signal', child: 'retiring' },
    { kind: 'schedule', timer: 'retire', delay: policy.kill_timeout },
  ];
}

/** STOPPING, once the child in `role` has exited: stays until the last one has, then STOPPED | ERRORED | LAUNCHING | (removed). */
export function afterChildExit(s: Lifecycle, role: Role, effects: Effect[], policy: RestartPolicy, now: number): Transition {
  const c = s.children;
  if (s.status !== ProcessState.STOPPING) return { state: s, effects };
  // the kill timer covers the current child and the replacement: it goes with the last of them
  if (role !== 'retiring' && !c.current && c.replacement === 'none') effects.push({ kind: 'cancel', timer: 'kill' });
  if (hasChildren(c)) return { state: s, effects };
  switch (s.afterStop) {
    case 'restart': {
      const next = launch({ ...s, restarts: s.restarts + 1 }, policy, now, false);
      return { state: next.state, effects: [...effects, ...next.effects] };
    }
    case 'delete':
      return { state: { ...s, status: ProcessState.STOPPED, removed: true }, effects: [...effects, { kind: 'remove' }] };
    case 'errored':
      return { state: { ...s, status: ProcessState.ERRORED }, effects };
    case 'stop':
      return { state: { ...s, status: ProcessState.STOPPED }, effects };
  }
}
