// How requests on one process compose, whoever sends them (the socket, watch, cron, the
// dashboard, a fleet command): each gets a ticket in the order it arrives; requests with the same
// goal join and are answered together; a request with another goal overrides the ones being
// carried out, which are answered at once that they were superseded. A delete under way cannot be
// overridden and nothing brings a deleted process back: a request that comes after is answered
// so. Pending requests are answered once the process is where they wanted it. Pure.
import { type ProcessStatus, isDormant, isServing, isSettled } from './states.js';
import type { Effect, Goal, Intent, Lifecycle, Outcome, Pending, Transition } from './lifecycle.js';

/** Where each request wants the process. */
export const GOALS: Readonly<Record<Intent, Goal>> = {
  start: 'running',
  restart: 'running',
  reload: 'running',
  stop: 'stopped',
  delete: 'removed',
};

const INTENTS = new Set<string>(Object.keys(GOALS));

export function isIntent(type: string): type is Intent {
  return INTENTS.has(type);
}

/** A request admitted: its ticket taken, the requests it overrides answered; `answered` when there is nothing more to do for it. */
export interface Admission {
  state: Lifecycle;
  effects: Effect[];
  answered: boolean;
}

/** Takes a ticket for `intent` and joins it to, or lets it override, the requests being carried out. */
export function admit(s: Lifecycle, intent: Intent): Admission {
  const ticket = s.asked + 1;
  const goal = GOALS[intent];
  const pending = s.pending;
  if (s.removed || (pending?.goal === 'removed' && goal !== 'removed')) {
    // a delete of a process already gone is done; anything else comes too late
    const outcome: Outcome = goal === 'removed' ? { kind: 'done' } : { kind: 'superseded', by: 'delete' };
    return { state: { ...s, asked: ticket }, effects: [answer([ticket], outcome)], answered: true };
  }
  // a start finds the process serving: done, whatever a reload under way comes to
  if (intent === 'start' && isServing(s.status)) {
    return { state: { ...s, asked: ticket, last: intent }, effects: [answer([ticket], { kind: 'done' })], answered: true };
  }
  const effects: Effect[] = [];
  const joined = pending?.goal === goal ? pending : null;
  if (pending && !joined) effects.push(answer(pending.tickets, { kind: 'superseded', by: intent }));
  const state = { ...s, asked: ticket, last: intent, pending: { goal, tickets: [...(joined?.tickets ?? []), ticket] } };
  return { state, effects, answered: false };
}

/**
 * Answers the pending requests when the transition brought the process where they wanted it; the
 * fork-mode reloads whose new child is on trial wait for its verdict (proof.ts).
 */
export function settle(t: Transition): Transition {
  const { pending, status, proving } = t.state;
  if (!pending || !reached(pending.goal, status, t.effects)) return t;
  const done = pending.tickets.filter((ticket) => !proving.includes(ticket));
  if (done.length === 0) return t;
  return { state: { ...t.state, pending: withoutTickets(pending, done) }, effects: [...t.effects, answer(done, { kind: 'done' })] };
}

/** The pending requests without `tickets` (null when none is left). */
export function withoutTickets(pending: Pending | null, tickets: number[]): Pending | null {
  const rest = pending?.tickets.filter((ticket) => !tickets.includes(ticket)) ?? [];
  return pending && rest.length > 0 ? { ...pending, tickets: rest } : null;
}

/**
 * A request to run is settled once the launch or replacement is over: online, or given up
 * (errored, waiting for a restart, stopped by its own exit code). A stop once no child is left.
 */
function reached(goal: Goal, status: ProcessStatus, effects: Effect[]): boolean {
  switch (goal) {
    case 'running':
      return isSettled(status);
    case 'stopped':
      return isDormant(status);
    case 'removed':
      return effects.some((effect) => effect.kind === 'remove');
  }
}

export function answer(tickets: number[], outcome: Outcome): Effect {
  return { kind: 'answer', tickets, outcome };
}
