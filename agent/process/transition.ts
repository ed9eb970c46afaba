// The lifecycle of one supervised process as a pure function: (state, event, policy, now) ->
// (state, effects). Requests (start, stop, restart, reload, delete) are admitted in the order they
// arrive (requests.ts), then change the state; what the children do (ready, exit) and timers
// follow. Nothing here touches the OS; supervised.ts applies the effects.
import { ProcessState, isRunning, isSignallable, isUnattended } from './states.js';
import {
  afterChildExit,
  launch,
  reloadsWithoutGap,
  same,
  stopAll,
  type Effect,
  type Intent,
  type Lifecycle,
  type LifecycleEvent,
  type RestartPolicy,
  type Transition,
} from './lifecycle.js';
import { judgeExit, judgeLivenessRestart } from './crash-policy.js';
import { admit, answer, isIntent, settle } from './requests.js';
import { disproved, ended, endsAsMeant, onTrial, proofTimedOut, proven } from './proof.js';
import {
  beginRound,
  currentExitedWhileReplacing,
  queueRound,
  replacementExited,
  replacementReady,
  replacementTimedOut,
  retireTimedOut,
  retiringDrained,
  retiringExited,
} from './replacement.js';

export * from './lifecycle.js';
export { BACKOFF_FACTOR, BACKOFF_MAX_MS, BACKOFF_RESET_MS } from './crash-policy.js';

/** Applies one event. A request is always answered, at once or later; any other event that does not apply changes nothing. */
export function transition(s: Lifecycle, event: LifecycleEvent, policy: RestartPolicy, now: number): Transition {
  if (isIntent(event.type)) return request(s, event.type, policy, now);
  if (s.removed) return same(s);
  return settle(react(s, event as ChildEvent, policy, now));
}

function request(s: Lifecycle, intent: Intent, policy: RestartPolicy, now: number): Transition {
  const admitted = admit(s, intent);
  if (admitted.answered) return { state: admitted.state, effects: admitted.effects };
  const trial = endsTrial(admitted.state, intent);
  const applied = REQUESTS[intent](trial.state, policy, now);
  return settle({ state: applied.state, effects: [...admitted.effects, ...trial.effects, ...applied.effects] });
}

/**
 * A stop or delete ends a fork-mode reload's trial (the reload was answered superseded on
 * admission); so does a restart, whose relaunch answers the reload as it answers one under way
 * in cluster mode. A start or another reload leaves it: they join it.
 */
function endsTrial(s: Lifecycle, intent: Intent): Transition {
  if (s.proving.length === 0 || intent === 'start' || intent === 'reload') return same(s);
  return { state: { ...s, proving: [] }, effects: [{ kind: 'cancel', timer: 'proof' }] };
}

const REQUESTS: Record<Intent, (s: Lifecycle, policy: RestartPolicy, now: number) => Transition> = {
  start(s, policy, now) {
    // STOPPED | ERRORED | WAITING_RESTART -> LAUNCHING (a fresh start forgets instability)
    if (!isRunning(s.status)) {
      return launch({ ...s, unstableRestarts: 0, backoffDelay: 0, recentRestarts: [] }, policy, now, s.status === ProcessState.WAITING_RESTART);
    }
    // STOPPING: the later start wins over the stop under way; the process comes back
    if (s.status === ProcessState.STOPPING) return same({ ...s, afterStop: 'restart' });
    // LAUNCHING: the launch under way is the start asked for (ONLINE | REPLACING are answered on admission)
    return same(s);
  },

  restart(s, policy, now) {
    // LAUNCHING | ONLINE | REPLACING -> STOPPING, then LAUNCHING once every child is gone
    if (isSignallable(s.status)) return stopAll({ ...s, unstableRestarts: 0, backoffDelay: 0, recentRestarts: [] }, 'restart', policy);
    // STOPPING: whatever was asked before, the process comes back
    if (s.status === ProcessState.STOPPING) return same({ ...s, afterStop: 'restart' });
    // WAITING_RESTART -> LAUNCHING: the restart it was waiting for, now
    if (s.status === ProcessState.WAITING_RESTART) {
      return launch({ ...s, restarts: s.restarts + 1, unstableRestarts: 0, backoffDelay: 0, recentRestarts: [] }, policy, now, true);
    }
    // STOPPED | ERRORED -> LAUNCHING: bringing back a process at rest is a start, as PM2's (no restart counted)
    return REQUESTS.start(s, policy, now);
  },

  reload(s, policy, now) {
    // fork mode: a restart, whose new child must prove ready before the reload is answered (proof.ts)
    if (!reloadsWithoutGap(policy)) return REQUESTS.restart(onTrial(s, s.asked), policy, now);
    // ONLINE -> REPLACING: a replacement boots while the current child serves
    if (s.status === ProcessState.ONLINE) return beginRound(s, policy);
    // REPLACING: a round of its own once this one ends
    if (s.status === ProcessState.REPLACING) return queueRound(s);
    // anything else has no child serving to keep: a restart, as PM2 does
    return REQUESTS.restart(s, policy, now);
  },

  stop(s, policy) {
    // LAUNCHING | ONLINE | REPLACING -> STOPPING: the current child, and a replacement or retiring one with it
    if (isSignallable(s.status)) return stopAll(s, 'stop', policy);
    // STOPPING: a pending restart becomes a plain stop
    if (s.status === ProcessState.STOPPING) return same({ ...s, afterStop: 'stop' });
    // WAITING_RESTART -> STOPPED
    if (s.status === ProcessState.WAITING_RESTART) {
      return { state: { ...s, status: ProcessState.STOPPED }, effects: [{ kind: 'cancel', timer: 'restart' }] };
    }
    // ERRORED -> STOPPED: stopped by hand, as PM2 shows it (nothing runs and nothing is scheduled)
    if (s.status === ProcessState.ERRORED) return same({ ...s, status: ProcessState.STOPPED });
    // STOPPED: already there
    return same(s);
  },

  delete(s, policy) {
    // LAUNCHING | ONLINE | REPLACING -> STOPPING, removed once every child is gone
    if (isSignallable(s.status)) return stopAll(s, 'delete', policy);
    if (s.status === ProcessState.STOPPING) return same({ ...s, afterStop: 'delete' });
    // STOPPED | ERRORED | WAITING_RESTART -> (removed): nothing runs, the entry goes
    const status = s.status === ProcessState.WAITING_RESTART ? ProcessState.STOPPED : s.status;
    return { state: { ...s, status, removed: true }, effects: [{ kind: 'cancel', timer: 'restart' }, { kind: 'remove' }] };
  },
};

/** An event from a child or a timer. */
type ChildEvent = Exclude<LifecycleEvent, { type: Intent }>;

/** What the children and the timers do. */
function react(s: Lifecycle, event: ChildEvent, policy: RestartPolicy, now: number): Transition {
  switch (event.type) {
    case 'ready':
    case 'ready-timer':
      // LAUNCHING -> ONLINE (the app said ready, or listen_timeout passed: PM2 treats both alike)
      if (s.status !== ProcessState.LAUNCHING) return same(s);
      return { state: { ...s, status: ProcessState.ONLINE }, effects: [{ kind: 'cancel', timer: 'ready' }] };

    case 'kill-timer': {
      // STOPPING: kill_timeout passed and the current child or the replacement is still there
      if (s.status !== ProcessState.STOPPING) return same(s);
      const effects: Effect[] = [];
      if (s.children.current) effects.push({ kind: 'kill-tree', child: 'current' });
      if (s.children.replacement !== 'none') effects.push({ kind: 'kill-tree', child: 'replacement' });
      return { state: s, effects };
    }

    case 'restart-timer':
      // WAITING_RESTART -> LAUNCHING
      if (s.status !== ProcessState.WAITING_RESTART) return same(s);
      return launch({ ...s, restarts: s.restarts + 1 }, policy, now, false);

    case 'spawn-failed':
      // LAUNCHING -> ERRORED: the interpreter or script cannot be executed; retrying will not help
      if (s.status === ProcessState.LAUNCHING) {
        return disproved(s, 'exited', (t) => ({ state: { ...t, status: ProcessState.ERRORED, children: { ...t.children, current: false } }, effects: [{ kind: 'cancel', timer: 'ready' }] }));
      }
      // STOPPING: the child that was being stopped never ran
      return s.status === ProcessState.STOPPING ? currentExited(s, null, policy, now) : same(s);

    case 'exit':
      return currentExited(s, event.code, policy, now);

    case 'liveness-failed': {
      // LAUNCHING | ONLINE -> STOPPING, then LAUNCHING; or ERRORED once restart_limit is reached; or STOPPED (autorestart off)
      if (!isUnattended(s.status) || !s.children.current) return same(s);
      // the child a fork-mode reload launched is restarted by its own watches before it proved ready: the reload failed
      if (s.proving.length > 0) return disproved(s, 'liveness', (t) => react(t, event, policy, now));
      const { limited, recentRestarts } = judgeLivenessRestart(s, policy, now);
      // autorestart off: it is stopped and stays so, as after a crash (systemd's Restart=no with a watchdog)
      if (!policy.autorestart) return stopAll({ ...s, recentRestarts }, 'stop', policy);
      if (limited) return stopAll({ ...s, recentRestarts, erroredBy: 'restart_limit' }, 'errored', policy);
      return stopAll({ ...s, unstableRestarts: 0, backoffDelay: 0, recentRestarts }, 'restart', policy);
    }

    case 'replacement-ready':
      return replacementReady(s, now);
    case 'replace-timer':
      return replacementTimedOut(s);
    case 'replacement-exit':
      return replacementExited(s, policy, now);
    case 'drained':
      return retiringDrained(s, policy);
    case 'retire-timer':
      return retireTimedOut(s);
    case 'retired-exit':
      return retiringExited(s, policy, now);
    case 'proven':
      return proven(s);
    case 'proof-timer':
      return proofTimedOut(s);
  }
}

/** The current child exited. */
function currentExited(s: Lifecycle, code: number | null, policy: RestartPolicy, now: number): Transition {
  if (!s.children.current) return same(s);
  if (s.status === ProcessState.REPLACING) return currentExitedWhileReplacing(s, code, policy, now);
  const base: Lifecycle = { ...s, exitCode: code, children: { ...s.children, current: false } };
  if (s.status === ProcessState.STOPPING) {
    // STOPPING -> STOPPED | LAUNCHING | ERRORED | (removed), once no other child is left
    return afterChildExit(base, 'current', [{ kind: 'cancel', timer: 'ready' }, { kind: 'kill-tree', child: 'current' }], policy, now);
  }
  if (!isUnattended(s.status)) return same(s);
  // LAUNCHING | ONLINE: the child a fork-mode reload launched died before it proved ready: the reload
  // failed, unless it ran as a job to its end (autorestart off and exit 0, a stop exit code): done
  if (s.proving.length > 0) {
    if (endsAsMeant(code, policy)) return ended(s, (t) => currentExited(t, code, policy, now));
    return disproved(s, 'exited', (t) => currentExited(t, code, policy, now));
  }

  const cleanup: Effect[] = [
    { kind: 'cancel', timer: 'kill' },
    { kind: 'cancel', timer: 'ready' },
    { kind: 'kill-tree', child: 'current' },
  ];
  const { verdict, unstableRestarts, backoffDelay, recentRestarts } = judgeExit(s, code, policy, now);
  switch (verdict.kind) {
    case 'stop':
      // LAUNCHING | ONLINE -> STOPPED: the app asked not to be restarted
      return { state: { ...base, unstableRestarts, recentRestarts, status: ProcessState.STOPPED }, effects: cleanup };
    case 'errored':
      // LAUNCHING | ONLINE -> ERRORED: too many unstable restarts in a row, or too many within restart_limit's interval
      return { state: { ...base, unstableRestarts, recentRestarts, erroredBy: verdict.by, status: ProcessState.ERRORED }, effects: cleanup };
    case 'restart': {
      const next = { ...base, unstableRestarts, backoffDelay, recentRestarts };
      if (verdict.delay > 0) {
        // LAUNCHING | ONLINE -> WAITING_RESTART
        return {
          state: { ...next, status: ProcessState.WAITING_RESTART, restartAt: now + verdict.delay },
          effects: [...cleanup, { kind: 'schedule', timer: 'restart', delay: verdict.delay }],
        };
      }
      // LAUNCHING | ONLINE -> LAUNCHING
      const relaunch = launch({ ...next, restarts: s.restarts + 1 }, policy, now, false);
      // a request to run is over once its launch is (as when a restart waits for its delay): the
      // child died before it was ready, and the process goes on by its restart policy. Else a
      // start --wait-ready of an app whose every run outlives min_uptime, then crashes, never returned
      const pending = relaunch.state.pending;
      if (s.status === ProcessState.LAUNCHING && pending?.goal === 'running') {
        return { state: { ...relaunch.state, pending: null }, effects: [...cleanup, ...relaunch.effects, answer(pending.tickets, { kind: 'done' })] };
      }
      return { state: relaunch.state, effects: [...cleanup, ...relaunch.effects] };
    }
  }
}
