// The edges of a reload in fork mode, where no replacement can serve beside the old child (it
// holds the app's port, its files, its queue): the reload is a restart, and the child it launches
// is on trial. The reload is answered once that child is ready by the rules a replacement's are
// (modes/reload.ts watchReadiness, then its health check): 'proven'. It fails if the child exits
// first, is restarted first by its own watches, or is not ready within readyTimeout; the process
// then goes on by its restart policy. Requests that joined the reload (a start) are answered as
// they would be without it. A stop, restart or delete ends the trial (transition.ts). Pure.
import { ProcessState, isUnattended } from './states.js';
import { same, type Effect, type FailedBecause, type Lifecycle, type Transition } from './lifecycle.js';
import { answer, withoutTickets } from './requests.js';

/** A reload (ticket `ticket`) waits for the child its restart launches to prove ready. */
export function onTrial(s: Lifecycle, ticket: number): Lifecycle {
  return { ...s, proving: [...s.proving, ticket] };
}

/** LAUNCHING | ONLINE, the child on trial ready: the reloads are answered done (LAUNCHING -> ONLINE: it is ready). */
export function proven(s: Lifecycle): Transition {
  if (s.proving.length === 0 || !isUnattended(s.status)) return same(s);
  const effects: Effect[] = [{ kind: 'cancel', timer: 'proof' }];
  if (s.status === ProcessState.LAUNCHING) effects.push({ kind: 'cancel', timer: 'ready' });
  const { state, reloads } = endTrial(s);
  effects.push(answer(reloads, { kind: 'done' }));
  return { state: { ...state, status: ProcessState.ONLINE }, effects };
}

/** LAUNCHING | ONLINE, readyTimeout passed: the reloads fail; the child runs on, as its launch goes (a wait_ready one goes online at listen_timeout, as PM2's). */
export function proofTimedOut(s: Lifecycle): Transition {
  if (s.proving.length === 0 || !isUnattended(s.status)) return same(s);
  return disproved(s, 'timeout', same);
}

/**
 * The child on trial failed (it exited, or its watches restart it): `then` is what follows without
 * the trial (the restart policy's verdict), and the reloads learn that they failed after its
 * effects, so that what they read of the process (its error) is what that verdict left.
 */
export function disproved(s: Lifecycle, reason: FailedBecause, then: (s: Lifecycle) => Transition): Transition {
  if (s.proving.length === 0) return then(s);
  const { state, reloads } = endTrial(s);
  const after = then(state);
  return { state: after.state, effects: [{ kind: 'cancel', timer: 'proof' }, ...after.effects, answer(reloads, { kind: 'failed', reason })] };
}

/** The trial is over: its reloads leave the pending requests (the rest are answered as without it). */
function endTrial(s: Lifecycle): { state: Lifecycle; reloads: number[] } {
  return { state: { ...s, proving: [], pending: withoutTickets(s.pending, s.proving) }, reloads: s.proving };
}
