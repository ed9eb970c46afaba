// Every interleaving, up to a depth, of requests (start, stop, restart, reload, delete), what
// children do (ready, exit, a replacement ready or dead, drained) and timers firing, from an online
// process, through the pure transition function: the invariants a user relies on hold after every
// step, and once the children settle every request has had exactly one answer.
import { describe, expect, it } from 'vitest';
import { initialLifecycle, transition, type Effect, type Intent, type Lifecycle, type LifecycleEvent, type Outcome, type RestartPolicy, type Role, type Timer } from '../../../agent/process/transition.js';
import { isDormant } from '../../../agent/process/states.js';

const base: RestartPolicy = {
  autorestart: true,
  max_restarts: 3,
  min_uptime: 1000,
  restart_delay: 0,
  exp_backoff_restart_delay: 0,
  stop_exit_codes: [],
  kill_timeout: 1600,
  wait_ready: false,
  listen_timeout: 3000,
  listen: [],
  exec_mode: 'cluster_mode',
};

interface Sim {
  state: Lifecycle;
  timers: ReadonlySet<Timer>;
  answered: ReadonlyMap<number, Outcome>;
  /** What each ticket asked for. */
  intents: ReadonlyMap<number, Intent>;
  /** Children that were sent SIGKILL: they exit whatever they do. */
  killed: ReadonlySet<Role>;
  removed: boolean;
}

const INTENTS: LifecycleEvent[] = ['start', 'stop', 'restart', 'reload', 'delete'].map((type) => ({ type }) as LifecycleEvent);

/** The events that can happen next: any request, what an existing child can do, a scheduled timer. */
function possible(sim: Sim): LifecycleEvent[] {
  const c = sim.state.children;
  const events = [...INTENTS];
  if (c.current) events.push({ type: 'ready' }, { type: 'exit', code: 1, signal: null }, { type: 'proven' }, { type: 'liveness-failed' });
  if (c.replacement !== 'none') events.push({ type: 'replacement-ready' }, { type: 'replacement-exit' });
  if (c.retiring !== 'none') events.push({ type: 'drained' }, { type: 'retired-exit' });
  for (const timer of sim.timers) events.push({ type: `${timer}-timer` } as LifecycleEvent);
  return events;
}

const ROLE_EFFECTS = new Set(['stop-signal', 'kill-tree']);

/** Applies one event at `now`, checking what must hold of the step; throws with the history on a violation. */
function step(sim: Sim, event: LifecycleEvent, policy: RestartPolicy, now: number, history: string[]): Sim {
  const before = sim.state;
  const { state, effects } = transition(before, event, policy, now);
  const timers = new Set(sim.timers);
  if (event.type.endsWith('-timer')) timers.delete(event.type.slice(0, -'-timer'.length) as Timer);
  const answered = new Map(sim.answered);
  const intents = new Map(sim.intents);
  if (state.asked > before.asked) intents.set(state.asked, event.type as Intent);
  let killed = new Set(sim.killed);
  let removed = sim.removed;
  const fail = (what: string): never => {
    throw new Error(`${what}\nafter: ${[...history, event.type].join(' > ')}\nstate: ${JSON.stringify(state)}\neffects: ${JSON.stringify(effects)}`);
  };
  for (const effect of effects) {
    if (effect.kind === 'schedule') timers.add(effect.timer);
    if (effect.kind === 'cancel') timers.delete(effect.timer);
    if (sim.removed && effect.kind !== 'answer') fail(`${effect.kind} for a process already removed`);
    if (effect.kind === 'remove') removed = true;
    if (effect.kind === 'kill-tree') killed.add(effect.child);
    if (effect.kind === 'spawn') killed.delete('current');
    if (effect.kind === 'spawn-replacement') killed.delete('replacement');
    if (effect.kind === 'adopt') killed = new Set([...(killed.has('current') ? ['retiring' as const] : []), ...(killed.has('replacement') ? ['current' as const] : [])]);
    if (effect.kind === 'promote') killed = new Set([...(killed.has('replacement') ? ['current' as const] : [])]);
    if (ROLE_EFFECTS.has(effect.kind) && !exists(before, (effect as Extract<Effect, { child: Role }>).child)) fail(`${effect.kind} for a ${(effect as Extract<Effect, { child: Role }>).child} child that does not exist`);
    if ((effect.kind === 'adopt' || effect.kind === 'promote') && before.children.replacement === 'none') fail(`${effect.kind} without a replacement`);
    if (effect.kind === 'drain' && state.children.retiring !== 'draining') fail('drain without a retiring child');
    if (effect.kind === 'answer') {
      for (const ticket of effect.tickets) {
        if (ticket < 1 || ticket > state.asked) fail(`answer to ticket ${ticket}, never given`);
        if (answered.has(ticket)) fail(`ticket ${ticket} answered twice`);
        answered.set(ticket, effect.outcome);
        if (effect.outcome.kind === 'failed' && intents.get(ticket) !== 'reload') fail(`ticket ${ticket} (${intents.get(ticket)}) answered that a reload failed`);
        if (effect.outcome.kind === 'superseded' && effect.outcome.by !== 'delete' && ![...intents].some(([later, intent]) => later > ticket && intent === (effect.outcome as { by: Intent }).by)) {
          fail(`ticket ${ticket} answered superseded by a ${effect.outcome.by} that never came after it`);
        }
        if (effect.outcome.kind === 'done' && !carriedOut(intents.get(ticket)!, state, effects, removed || effects.some((e) => e.kind === 'remove'))) {
          fail(`ticket ${ticket} (${intents.get(ticket)}) answered done in ${state.status}`);
        }
      }
    }
  }
  const c = state.children;
  const children = c.current || c.replacement !== 'none' || c.retiring !== 'none';
  const s = state.status;
  if ((isDormant(s) || s === 'waiting restart') && children) fail(`${s} while a child exists`);
  if (isDormant(s) && timers.size > 0) fail(`${s} with timers left: ${[...timers].join(', ')}`);
  if ((s === 'launching' || s === 'online') && !(c.current && c.replacement === 'none' && c.retiring === 'none')) fail(`${s} with children ${JSON.stringify(c)}`);
  if (s === 'replacing' && !(c.current && (c.replacement === 'none') !== (c.retiring === 'none'))) fail(`replacing with children ${JSON.stringify(c)}`);
  if (s === 'stopping' && !children) fail('stopping with no child');
  const doomed = (role: Role, timer: Timer): boolean => timers.has(timer) || killed.has(role);
  if (s === 'stopping' && c.current && !doomed('current', 'kill')) fail('a current child being stopped with no kill timer');
  if (c.replacement === 'stopping' && !doomed('replacement', 'kill')) fail('a replacement being stopped with no kill timer');
  if (c.replacement === 'booting' && !timers.has('replace')) fail('a booting replacement with no time limit');
  if (c.retiring === 'stopping' && !doomed('retiring', 'retire')) fail('a retiring child being stopped with no kill timer');
  if (!state.pending && state.queued !== 0) fail('a queued reload that nobody waits for');
  if (removed && (children || timers.size > 0 || state.pending || !isDormant(s))) fail('a removed process with a child, a timer or a request left, or not dormant');
  if (state.pending && s !== 'replacing' && state.queued !== 0) fail('a queued reload outside a replacement');
  if (state.proving.length > 0) {
    if (!['stopping', 'launching', 'online'].includes(s)) fail(`a reload on trial while ${s}`);
    if (s === 'stopping' && state.afterStop !== 'restart') fail(`a reload on trial while stopping to ${state.afterStop}`);
    if (!state.proving.every((ticket) => state.pending?.goal === 'running' && state.pending.tickets.includes(ticket))) fail('a reload on trial that is not pending');
    if (state.proving.some((ticket) => intents.get(ticket) !== 'reload')) fail('a request other than a reload on trial');
    if (s !== 'stopping' && !timers.has('proof')) fail('a child on trial with no time limit');
  }
  if (timers.has('proof') && state.proving.length === 0) fail('a proof timer with no reload on trial');
  history.push(event.type);
  return { state, timers, answered, intents, killed, removed };
}

/** Whether the process is where a request for `intent` wanted it: the answer "done" must be true. */
function carriedOut(intent: Intent, s: Lifecycle, effects: Effect[], removed: boolean): boolean {
  if (intent === 'delete') return removed;
  // stopped, not errored: a stop by hand of an errored process leaves it stopped, as PM2 shows it
  if (intent === 'stop') return s.status === 'stopped';
  if (removed) return false;
  // a child serves while a reload replaces it; a reload's round is over even when the next
  // round, for a later reload, starts at once
  if (s.status === 'replacing') return intent === 'start' || effects.some((effect) => effect.kind === 'spawn-replacement');
  // a launch is over when its child died before it was ready and the restart policy launched the next
  if (s.status === 'launching') return effects.some((effect) => effect.kind === 'kill-tree') && effects.some((effect) => effect.kind === 'spawn');
  return s.status !== 'stopping';
}

function exists(s: Lifecycle, role: Role): boolean {
  const c = s.children;
  return role === 'current' ? c.current : role === 'replacement' ? c.replacement !== 'none' : c.retiring !== 'none';
}

/** Lets the children finish what they do (ready, drained, exited) and timers fire, until nothing is left to happen. */
function quiesce(sim: Sim, policy: RestartPolicy, now: number, history: string[]): Sim {
  for (let i = 0; i < 40; i++) {
    const c = sim.state.children;
    const s = sim.state.status;
    const next: LifecycleEvent | null =
      c.replacement === 'booting' && s === 'replacing' ? { type: 'replacement-ready' }
      : c.replacement !== 'none' ? { type: 'replacement-exit' }
      : c.retiring === 'draining' ? { type: 'drained' }
      : c.retiring === 'stopping' ? { type: 'retired-exit' }
      : s === 'stopping' && c.current ? { type: 'exit', code: 0, signal: null }
      : sim.state.proving.length > 0 && (s === 'launching' || s === 'online') ? { type: 'proven' }
      : s === 'launching' ? { type: 'ready' }
      : s === 'waiting restart' ? { type: 'restart-timer' }
      : null;
    if (!next) return sim;
    sim = step(sim, next, policy, now, history);
  }
  throw new Error(`never settles: ${history.join(' > ')} (${JSON.stringify(sim.state)})`);
  return sim;
}

/** Walks every sequence of `depth` events from `from`; returns how many were checked. */
function explore(from: Sim, depth: number, policy: RestartPolicy, history: string[] = []): number {
  let count = 0;
  const settled = quiesce(from, policy, 10_000 + history.length, [...history]);
  for (let ticket = 1; ticket <= settled.state.asked; ticket++) {
    if (!settled.answered.has(ticket)) throw new Error(`ticket ${ticket} never answered: ${history.join(' > ')} (${JSON.stringify(settled.state)})`);
  }
  if (settled.state.pending) throw new Error(`requests left pending: ${history.join(' > ')}`);
  if (depth === 0) return 1;
  for (const event of possible(from)) {
    const trail = [...history];
    // time moves on with each event: a crash after the first steps is an unstable one
    count += explore(step(from, event, policy, 100 * (trail.length + 1), trail), depth - 1, policy, trail);
  }
  return count;
}

function onlineSim(policy: RestartPolicy): Sim {
  let sim: Sim = { state: initialLifecycle(), timers: new Set(), answered: new Map(), intents: new Map(), killed: new Set(), removed: false };
  sim = step(sim, { type: 'start' }, policy, 0, []);
  return step(sim, { type: 'ready' }, policy, 0, []);
}

describe('every interleaving on one process', () => {
  const policies: [string, RestartPolicy][] = [
    ['autorestart', base],
    ['restart_delay', { ...base, restart_delay: 100 }],
    ['autorestart off', { ...base, autorestart: false }],
    ['max_restarts 1', { ...base, max_restarts: 1 }],
    ['wait_ready', { ...base, wait_ready: true }],
    ['fork mode', { ...base, exec_mode: 'fork_mode' }],
    ['fork mode, wait_ready', { ...base, exec_mode: 'fork_mode', wait_ready: true }],
    ['fork mode, restart_delay', { ...base, exec_mode: 'fork_mode', restart_delay: 100 }],
    ['fork mode, autorestart off', { ...base, exec_mode: 'fork_mode', autorestart: false }],
  ];
  for (const [name, policy] of policies) {
    it(`keeps the invariants and answers every request exactly once (${name}, 5 events deep)`, () => {
      const checked = explore(onlineSim(policy), 5, policy);
      expect(checked).toBeGreaterThan(10_000);
    });
  }
});
