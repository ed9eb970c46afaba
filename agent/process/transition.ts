// The lifecycle of one supervised process as a pure function: (state, event, policy, now) ->
// (state, effects). Nothing here touches the OS; supervised.ts applies the effects.
import { ProcessState, type ProcessStatus, isDormant } from './states.js';

/** The part of an app's spec that decides how its process is restarted and stopped. */
export interface RestartPolicy {
  autorestart: boolean;
  max_restarts: number;
  min_uptime: number;
  restart_delay: number;
  exp_backoff_restart_delay: number;
  stop_exit_codes: number[];
  kill_timeout: number;
  wait_ready: boolean;
  listen_timeout: number;
}

/** Exponential back-off: each delay is 1.5x the last, capped, and reset once the app is stable. */
export const BACKOFF_FACTOR = 1.5;
export const BACKOFF_MAX_MS = 15_000;
/** PM2's rule: an app up this long is stable and its back-off delay starts over. */
export const BACKOFF_RESET_MS = 30_000;

/** What to do once a child that is being stopped has exited. */
export type AfterStop = 'stop' | 'restart' | 'delete';

export interface Lifecycle {
  status: ProcessStatus;
  /** PM2's restart_time: every relaunch, asked for or automatic. */
  restarts: number;
  /** PM2's unstable_restarts: consecutive exits within min_uptime. */
  unstableRestarts: number;
  /** When the current (or last) child was spawned, ms since epoch. */
  startedAt: number;
  /** The last back-off delay used, 0 when none. */
  backoffDelay: number;
  afterStop: AfterStop;
  exitCode: number | null;
}

export type LifecycleEvent =
  | { type: 'start' }
  | { type: 'restart' }
  | { type: 'stop' }
  | { type: 'delete' }
  | { type: 'ready' }
  | { type: 'reloaded' }
  | { type: 'exit'; code: number | null; signal: string | null }
  | { type: 'spawn-failed' }
  | { type: 'restart-timer' }
  | { type: 'ready-timer' }
  | { type: 'kill-timer' };

export type Timer = 'restart' | 'ready' | 'kill';

export type Effect =
  | { kind: 'spawn' }
  | { kind: 'stop-signal' }
  | { kind: 'kill-tree' }
  | { kind: 'schedule'; timer: Timer; delay: number }
  | { kind: 'cancel'; timer: Timer }
  | { kind: 'remove' };

export interface Transition {
  state: Lifecycle;
  effects: Effect[];
}

/** The lifecycle of a process that has never been started. */
export function initialLifecycle(): Lifecycle {
  return {
    status: ProcessState.STOPPED,
    restarts: 0,
    unstableRestarts: 0,
    startedAt: 0,
    backoffDelay: 0,
    afterStop: 'stop',
    exitCode: null,
  };
}

/** Applies one event; an event that does not apply in the current state changes nothing. */
export function transition(s: Lifecycle, event: LifecycleEvent, policy: RestartPolicy, now: number): Transition {
  switch (event.type) {
    case 'start':
      // STOPPED | ERRORED | ONE_LAUNCH | WAITING_RESTART -> LAUNCHING (a fresh start forgets instability)
      if (isDormant(s.status) || s.status === ProcessState.WAITING_RESTART) {
        return launch({ ...s, unstableRestarts: 0, backoffDelay: 0 }, policy, now, s.status === ProcessState.WAITING_RESTART);
      }
      return same(s);

    case 'restart':
      // LAUNCHING | ONLINE -> STOPPING, then LAUNCHING once the child is gone
      if (s.status === ProcessState.LAUNCHING || s.status === ProcessState.ONLINE) {
        return beginStop({ ...s, unstableRestarts: 0, backoffDelay: 0 }, 'restart', policy);
      }
      // STOPPING: whatever was asked before, the process comes back
      if (s.status === ProcessState.STOPPING) return same({ ...s, afterStop: s.afterStop === 'delete' ? 'delete' : 'restart' });
      // STOPPED | ERRORED | ONE_LAUNCH | WAITING_RESTART -> LAUNCHING
      return launch({ ...s, restarts: s.restarts + 1, unstableRestarts: 0, backoffDelay: 0 }, policy, now, s.status === ProcessState.WAITING_RESTART);

    case 'stop':
      // LAUNCHING | ONLINE -> STOPPING
      if (s.status === ProcessState.LAUNCHING || s.status === ProcessState.ONLINE) return beginStop(s, 'stop', policy);
      // STOPPING: a pending restart becomes a plain stop
      if (s.status === ProcessState.STOPPING) return same({ ...s, afterStop: s.afterStop === 'delete' ? 'delete' : 'stop' });
      // WAITING_RESTART -> STOPPED
      if (s.status === ProcessState.WAITING_RESTART) {
        return { state: { ...s, status: ProcessState.STOPPED }, effects: [{ kind: 'cancel', timer: 'restart' }] };
      }
      return same(s);

    case 'delete':
      if (s.status === ProcessState.LAUNCHING || s.status === ProcessState.ONLINE) return beginStop(s, 'delete', policy);
      if (s.status === ProcessState.STOPPING) return same({ ...s, afterStop: 'delete' });
      // dormant or waiting: nothing runs, the entry goes
      return { state: s, effects: [{ kind: 'cancel', timer: 'restart' }, { kind: 'remove' }] };

    case 'ready':
    case 'ready-timer':
      // LAUNCHING -> ONLINE (the app said ready, or listen_timeout passed: PM2 treats both alike)
      if (s.status !== ProcessState.LAUNCHING) return same(s);
      return { state: { ...s, status: ProcessState.ONLINE }, effects: [{ kind: 'cancel', timer: 'ready' }] };

    case 'reloaded':
      // ONLINE -> ONLINE: a replacement child took over without a gap (zero-downtime reload)
      if (s.status !== ProcessState.ONLINE) return same(s);
      return same({ ...s, restarts: s.restarts + 1, unstableRestarts: 0, startedAt: now, exitCode: null });

    case 'kill-timer':
      // STOPPING: kill_timeout passed and the child is still there
      return s.status === ProcessState.STOPPING ? { state: s, effects: [{ kind: 'kill-tree' }] } : same(s);

    case 'restart-timer':
      // WAITING_RESTART -> LAUNCHING
      if (s.status !== ProcessState.WAITING_RESTART) return same(s);
      return launch({ ...s, restarts: s.restarts + 1 }, policy, now, false);

    case 'spawn-failed':
      // LAUNCHING -> ERRORED: the interpreter or script cannot be executed; retrying will not help
      if (s.status !== ProcessState.LAUNCHING) return same(s);
      return { state: { ...s, status: ProcessState.ERRORED }, effects: [{ kind: 'cancel', timer: 'ready' }] };

    case 'exit':
      return exited(s, event.code, policy, now);
  }
}

function exited(s: Lifecycle, code: number | null, policy: RestartPolicy, now: number): Transition {
  const cleanup: Effect[] = [
    { kind: 'cancel', timer: 'kill' },
    { kind: 'cancel', timer: 'ready' },
    { kind: 'kill-tree' },
  ];
  const base = { ...s, exitCode: code };
  if (s.status === ProcessState.STOPPING) {
    // STOPPING -> STOPPED | LAUNCHING | (removed)
    if (s.afterStop === 'restart') {
      const next = launch({ ...base, restarts: s.restarts + 1 }, policy, now, false);
      return { state: next.state, effects: [...cleanup, ...next.effects] };
    }
    const effects: Effect[] = s.afterStop === 'delete' ? [...cleanup, { kind: 'remove' }] : cleanup;
    return { state: { ...base, status: ProcessState.STOPPED }, effects };
  }
  if (s.status !== ProcessState.LAUNCHING && s.status !== ProcessState.ONLINE) return same(s);

  // LAUNCHING | ONLINE -> STOPPED: the app asked not to be restarted
  if (!policy.autorestart || (code !== null && policy.stop_exit_codes.includes(code))) {
    return { state: { ...base, status: ProcessState.STOPPED }, effects: cleanup };
  }
  const uptime = now - s.startedAt;
  const unstableRestarts = uptime < policy.min_uptime ? s.unstableRestarts + 1 : 0;
  // LAUNCHING | ONLINE -> ERRORED: too many unstable restarts in a row
  if (unstableRestarts >= policy.max_restarts) {
    return { state: { ...base, unstableRestarts, status: ProcessState.ERRORED }, effects: cleanup };
  }
  const backoffDelay = nextBackoff(s.backoffDelay, uptime, policy);
  const delay = policy.exp_backoff_restart_delay > 0 ? backoffDelay : policy.restart_delay;
  const next = { ...base, unstableRestarts, backoffDelay };
  if (delay > 0) {
    // LAUNCHING | ONLINE -> WAITING_RESTART
    return {
      state: { ...next, status: ProcessState.WAITING_RESTART },
      effects: [...cleanup, { kind: 'schedule', timer: 'restart', delay }],
    };
  }
  // LAUNCHING | ONLINE -> LAUNCHING
  const relaunch = launch({ ...next, restarts: s.restarts + 1 }, policy, now, false);
  return { state: relaunch.state, effects: [...cleanup, ...relaunch.effects] };
}

function nextBackoff(previous: number, uptime: number, policy: RestartPolicy): number {
  if (policy.exp_backoff_restart_delay <= 0) return 0;
  if (previous === 0 || uptime >= BACKOFF_RESET_MS) return policy.exp_backoff_restart_delay;
  return Math.min(Math.round(previous * BACKOFF_FACTOR), BACKOFF_MAX_MS);
}

function launch(s: Lifecycle, policy: RestartPolicy, now: number, cancelRestart: boolean): Transition {
  const effects: Effect[] = cancelRestart ? [{ kind: 'cancel', timer: 'restart' }] : [];
  effects.push({ kind: 'spawn' });
  if (policy.wait_ready) effects.push({ kind: 'schedule', timer: 'ready', delay: policy.listen_timeout });
  return {
    state: { ...s, status: ProcessState.LAUNCHING, startedAt: now, exitCode: null, afterStop: 'stop' },
    effects,
  };
}

function beginStop(s: Lifecycle, afterStop: AfterStop, policy: RestartPolicy): Transition {
  return {
    state: { ...s, status: ProcessState.STOPPING, afterStop },
    effects: [
      { kind: 'cancel', timer: 'ready' },
      { kind: 'stop-signal' },
      { kind: 'schedule', timer: 'kill', delay: policy.kill_timeout },
    ],
  };
}

function same(s: Lifecycle): Transition {
  return { state: s, effects: [] };
}
