// The edges of a reload in fork mode, where no replacement can serve beside the old child (it
// holds the app's port, its files, its queue): the reload is a restart, and the child it launches
// is on trial. The reload is answered once that child is ready by the rules a replacement's are
// (modes/reload.ts watchReadiness, then its health check): 'proven'. It fails if the child exits
// first, is restarted first by its own watches, or is not ready within readyTimeout; the process
// then goes on by its restart policy. A child that ends as its app means it to (a job: autorestart
// off or a stop exit code, and a clean exit) has run what the reload asked: the reload is done.
// Requests that joined the reload (a start) are answered as they would be without it. A stop, restart or delete ends the trial (transition.ts). Pure.
import { ProcessState, isUnattended } from './states.js';
import { same, type Effect, type FailedBecause, type Lifecycle, type Outcome, type RestartPolicy, type Transition } from './lifecycle.js';
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
  return s.proving.length === 0 ? then(s) : closeTrial(s, then, { kind: 'failed', reason });
}

/**
 * Whether the child on trial, exiting with `code`, ended as its app means to: one its restart
 * policy stops without a fault (a stop exit code; exit 0 with autorestart off), a job or a
 * cron_restart task whose run is over. PM2's reload says done there, as pmx's restart does.
 */
export function endsAsMeant(code: number | null, policy: RestartPolicy): boolean {
  return code !== null && (policy.stop_exit_codes.includes(code) || (!policy.autorestart && code === 0));
}

/** The child on trial ended as its app means to (endsAsMeant): `then` is what follows its exit, and the reloads are answered done after it. */
export function ended(s: Lifecycle, then: (s: Lifecycle) => Transition): Transition {
  return closeTrial(s, then, { kind: 'done' });
}

/** The trial ends with the child's exit: `then` follows it, and the reloads are answered `outcome` after its effects. */
function closeTrial(s: Lifecycle, then: (s: Lifecycle) => Transition, outcome: Outcome): Transition {
  const { state, reloads } = endTrial(s);
  const after = then(state);
  return { state: after.state, effects: [{ kind: 'cancel', timer: 'proof' }, ...after.effects, answer(reloads, outcome)] };
}

/** The trial is over: its reloads leave the pending requests (the rest are answered as without it). */
function endTrial(s: Lifecycle): { state: Lifecycle; reloads: number[] } {
  return { state: { ...s, proving: [], pending: withoutTickets(s.pending, s.proving) }, reloads: s.proving };
}
