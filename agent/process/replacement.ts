// The edges of a zero-downtime reload. A round: the current child serves while a replacement
// boots (REPLACING); once ready, the replacement is adopted as the current child and the old one
// retires (drained, then the one stop path); the round ends, and its requests are answered, when
// the old child has exited. A replacement that dies or is not ready in time is killed and the old
// child serves on. A reload asked during a round gets a round of its own after it. Pure.
import { ProcessState } from './states.js';
import { afterChildExit, hurryRetiring, readyTimeout, same, stopAll, type Effect, type Lifecycle, type Outcome, type RestartPolicy, type Transition } from './lifecycle.js';
import { judgeExit } from './crash-policy.js';
import { answer } from './requests.js';

/** ONLINE -> REPLACING: a replacement is started beside the current child. */
export function beginRound(s: Lifecycle, policy: RestartPolicy): Transition {
  return {
    state: { ...s, status: ProcessState.REPLACING, children: { ...s.children, replacement: 'booting' } },
    effects: [{ kind: 'spawn-replacement' }, { kind: 'schedule', timer: 'replace', delay: readyTimeout(policy) }],
  };
}

/** REPLACING: a reload asked now waits for a round of its own (this round's replacement was started before it). */
export function queueRound(s: Lifecycle): Transition {
  return same({ ...s, queued: s.queued || s.asked });
}

/** REPLACING, the replacement ready: it is adopted as the current child and the old one starts draining. */
export function replacementReady(s: Lifecycle, now: number): Transition {
  if (s.status !== ProcessState.REPLACING || s.children.replacement !== 'booting') return same(s);
  return {
    state: { ...s, restarts: s.restarts + 1, unstableRestarts: 0, startedAt: now, children: { current: true, replacement: 'none', retiring: 'draining' } },
    effects: [{ kind: 'cancel', timer: 'replace' }, { kind: 'adopt' }, { kind: 'drain' }],
  };
}

/**
 * REPLACING: the replacement was not ready in time (or failed its health check); it is killed, and
 * the round fails once it has exited. A cluster worker that listens already took connections from
 * the shared port: it finishes them first, as a retiring worker does.
 */
export function replacementTimedOut(s: Lifecycle): Transition {
  if (s.status !== ProcessState.REPLACING || s.children.replacement !== 'booting') return same(s);
  return { state: { ...s, children: { ...s.children, replacement: 'stopping' } }, effects: [{ kind: 'kill-tree', child: 'replacement', drainFirst: true }] };
}

/** The replacement exited: while REPLACING the round failed and the old child serves on; while STOPPING one child less. */
export function replacementExited(s: Lifecycle, policy: RestartPolicy, now: number): Transition {
  const c = s.children;
  if (c.replacement === 'none') return same(s);
  const next = { ...s, children: { ...c, replacement: 'none' as const } };
  const effects: Effect[] = [{ kind: 'kill-tree', child: 'replacement' }];
  if (s.status === ProcessState.REPLACING) {
    // REPLACING -> ONLINE: it died booting, or was killed for not being ready in time
    const booting = c.replacement === 'booting';
    if (booting) effects.unshift({ kind: 'cancel', timer: 'replace' });
    return endRound(next, effects, { kind: 'failed', reason: booting ? 'exited' : 'timeout' }, policy);
  }
  return afterChildExit(next, 'replacement', effects, policy, now);
}

/** The retiring child has drained its connections (or could not): the stop path takes it from here. */
export function retiringDrained(s: Lifecycle, policy: RestartPolicy): Transition {
  if (s.children.retiring !== 'draining') return same(s);
  return { state: { ...s, children: { ...s.children, retiring: 'stopping' } }, effects: hurryRetiring(policy) };
}

/** kill_timeout passed since the retiring child was asked to stop. */
export function retireTimedOut(s: Lifecycle): Transition {
  return s.children.retiring === 'stopping' ? { state: s, effects: [{ kind: 'kill-tree', child: 'retiring' }] } : same(s);
}

/** The retiring child exited: while REPLACING the round is over; while STOPPING one child less. */
export function retiringExited(s: Lifecycle, policy: RestartPolicy, now: number): Transition {
  if (s.children.retiring === 'none') return same(s);
  const next = { ...s, children: { ...s.children, retiring: 'none' as const } };
  const effects: Effect[] = [{ kind: 'cancel', timer: 'retire' }, { kind: 'kill-tree', child: 'retiring' }];
  // REPLACING -> ONLINE
  if (s.status === ProcessState.REPLACING) return endRound(next, effects, { kind: 'done' }, policy);
  return afterChildExit(next, 'retiring', effects, policy, now);
}

/**
 * REPLACING, the current child exited on its own. Before the swap, a booting replacement takes
 * over as its relaunch (REPLACING -> LAUNCHING), unless the app is not to be restarted or a
 * reload waits (its replacement must start after it was asked). Otherwise nothing serves:
 * REPLACING -> STOPPING, every other child goes through the stop path, then the crash verdict
 * applies (a relaunch, stopped, errored).
 */
export function currentExitedWhileReplacing(s: Lifecycle, code: number | null, policy: RestartPolicy, now: number): Transition {
  const c = s.children;
  const { verdict, unstableRestarts, backoffDelay } = judgeExit(s, code, policy, now);
  const base: Lifecycle = { ...s, exitCode: code, unstableRestarts, backoffDelay, children: { ...c, current: false } };
  const effects: Effect[] = [{ kind: 'kill-tree', child: 'current' }];
  if (c.replacement === 'booting' && verdict.kind === 'restart' && !s.queued) {
    return {
      state: { ...base, status: ProcessState.LAUNCHING, restarts: s.restarts + 1, startedAt: now, afterStop: 'stop', children: { current: true, replacement: 'none', retiring: 'none' } },
      effects: [...effects, { kind: 'cancel', timer: 'replace' }, { kind: 'promote' }, { kind: 'schedule', timer: 'ready', delay: readyTimeout(policy) }],
    };
  }
  let next = base;
  if (c.replacement === 'stopping' && s.pending) {
    // the round had already failed: its requests learn so now
    const [round, waiting] = splitRound(s.pending.tickets, s.queued);
    effects.push(answer(round, { kind: 'failed', reason: 'timeout' }));
    next = { ...base, pending: waiting.length > 0 ? { ...s.pending, tickets: waiting } : null };
  }
  const stopping = stopAll(next, verdict.kind === 'restart' ? 'restart' : verdict.kind, policy);
  return { state: stopping.state, effects: [...effects, ...stopping.effects] };
}

/** REPLACING -> ONLINE, or REPLACING -> REPLACING for a reload that waits: answers the round's requests. */
function endRound(s: Lifecycle, effects: Effect[], outcome: Outcome, policy: RestartPolicy): Transition {
  const [round, waiting] = splitRound(s.pending?.tickets ?? [], s.queued);
  if (round.length > 0) effects.push(answer(round, outcome));
  if (!s.pending || waiting.length === 0) return { state: { ...s, status: ProcessState.ONLINE, pending: null, queued: 0 }, effects };
  const next = beginRound({ ...s, pending: { ...s.pending, tickets: waiting }, queued: 0 }, policy);
  return { state: next.state, effects: [...effects, ...next.effects] };
}

/** The tickets this round serves, and those that wait for the next one (from `queued` on). */
function splitRound(tickets: number[], queued: number): [number[], number[]] {
  if (!queued) return [tickets, []];
  return [tickets.filter((ticket) => ticket < queued), tickets.filter((ticket) => ticket >= queued)];
}
