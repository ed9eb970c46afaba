import { describe, expect, it } from 'vitest';
import { initialLifecycle, transition, type Lifecycle, type LifecycleEvent, type RestartPolicy, BACKOFF_RESET_MS, BACKOFF_MAX_MS } from '../../../agent/process/transition.js';

const policy: RestartPolicy = {
  autorestart: true,
  max_restarts: 3,
  min_uptime: 1000,
  restart_delay: 0,
  exp_backoff_restart_delay: 0,
  stop_exit_codes: [],
  kill_timeout: 1600,
  wait_ready: false,
  listen_timeout: 3000,
};

function run(events: [LifecycleEvent, number][], p: RestartPolicy = policy, from: Lifecycle = initialLifecycle()) {
  let state = from;
  const effects = [];
  for (const [event, now] of events) {
    const next = transition(state, event, p, now);
    state = next.state;
    effects.push(next.effects);
  }
  return { state, effects };
}

const crash = { type: 'exit', code: 1, signal: null } as const;

describe('transition', () => {
  it('launches on start and goes online when ready', () => {
    const { state, effects } = run([[{ type: 'start' }, 0], [{ type: 'ready' }, 5]]);
    expect(state.status).toBe('online');
    expect(effects[0]).toEqual([{ kind: 'spawn' }]);
  });

  it('restarts a crashed app at once and counts the restart', () => {
    const { state, effects } = run([[{ type: 'start' }, 0], [{ type: 'ready' }, 1], [crash, 5000]]);
    expect(state.status).toBe('launching');
    expect(state.restarts).toBe(1);
    expect(state.unstableRestarts).toBe(0);
    expect(effects[2]).toContainEqual({ kind: 'spawn' });
  });

  it('ends in errored after max_restarts unstable restarts in a row', () => {
    const events: [LifecycleEvent, number][] = [[{ type: 'start' }, 0]];
    for (let i = 1; i <= 3; i++) events.push([crash, i * 10]);
    const { state } = run(events);
    expect(state.status).toBe('errored');
    expect(state.unstableRestarts).toBe(3);
    expect(state.restarts).toBe(2);
  });

  it('forgets unstable restarts once the app ran longer than min_uptime', () => {
    const { state } = run([[{ type: 'start' }, 0], [crash, 10], [crash, 20], [crash, 5000], [crash, 5010]]);
    expect(state.status).toBe('launching');
    expect(state.unstableRestarts).toBe(1);
  });

  it('stays stopped after an exit when autorestart is off or the code is a stop_exit_code', () => {
    expect(run([[{ type: 'start' }, 0], [crash, 5000]], { ...policy, autorestart: false }).state.status).toBe('stopped');
    expect(run([[{ type: 'start' }, 0], [{ type: 'exit', code: 3, signal: null }, 5000]], { ...policy, stop_exit_codes: [3] }).state.status).toBe('stopped');
    expect(run([[{ type: 'start' }, 0], [{ type: 'exit', code: 4, signal: null }, 5000]], { ...policy, stop_exit_codes: [3] }).state.status).toBe('launching');
  });

  it('waits restart_delay before relaunching', () => {
    const { state, effects } = run([[{ type: 'start' }, 0], [crash, 5000]], { ...policy, restart_delay: 250 });
    expect(state.status).toBe('waiting restart');
    expect(effects[1]).toContainEqual({ kind: 'schedule', timer: 'restart', delay: 250 });
    const after = transition(state, { type: 'restart-timer' }, policy, 5250);
    expect(after.state.status).toBe('launching');
    expect(after.effects).toContainEqual({ kind: 'spawn' });
  });

  it('grows the exponential back-off by 1.5 up to its cap and resets it once the app is stable', () => {
    const p = { ...policy, exp_backoff_restart_delay: 100, max_restarts: 100 };
    let state = run([[{ type: 'start' }, 0]], p).state;
    const delays: number[] = [];
    let now = 0;
    for (let i = 0; i < 16; i++) {
      now += 10;
      const next = transition(state, crash, p, now);
      const schedule = next.effects.find((e) => e.kind === 'schedule');
      delays.push(schedule && schedule.kind === 'schedule' ? schedule.delay : -1);
      state = transition(next.state, { type: 'restart-timer' }, p, now).state;
    }
    expect(delays.slice(0, 4)).toEqual([100, 150, 225, 338]);
    expect(Math.max(...delays)).toBe(BACKOFF_MAX_MS);
    const stable = transition(state, crash, p, now + BACKOFF_RESET_MS);
    expect(stable.effects).toContainEqual({ kind: 'schedule', timer: 'restart', delay: 100 });
  });

  it('stops with SIGINT then schedules the kill after kill_timeout', () => {
    const { state, effects } = run([[{ type: 'start' }, 0], [{ type: 'ready' }, 1], [{ type: 'stop' }, 10]]);
    expect(state.status).toBe('stopping');
    expect(effects[2]).toEqual([{ kind: 'cancel', timer: 'ready' }, { kind: 'stop-signal' }, { kind: 'schedule', timer: 'kill', delay: 1600 }]);
    expect(transition(state, { type: 'kill-timer' }, policy, 1610).effects).toEqual([{ kind: 'kill-tree' }]);
    const stopped = transition(state, { type: 'exit', code: null, signal: 'SIGINT' }, policy, 20);
    expect(stopped.state.status).toBe('stopped');
    expect(stopped.effects).not.toContainEqual({ kind: 'spawn' });
  });

  it('relaunches after the old child exits on restart, and a stop during it wins', () => {
    const stopping = run([[{ type: 'start' }, 0], [{ type: 'ready' }, 1], [{ type: 'restart' }, 10]]).state;
    const relaunched = transition(stopping, { type: 'exit', code: 0, signal: null }, policy, 20);
    expect(relaunched.state.status).toBe('launching');
    expect(relaunched.state.restarts).toBe(1);
    const overridden = transition(stopping, { type: 'stop' }, policy, 15).state;
    expect(transition(overridden, { type: 'exit', code: 0, signal: null }, policy, 20).state.status).toBe('stopped');
  });

  it('removes a deleted process only once its child has exited', () => {
    const stopping = run([[{ type: 'start' }, 0], [{ type: 'ready' }, 1], [{ type: 'delete' }, 10]]);
    expect(stopping.effects[2]).not.toContainEqual({ kind: 'remove' });
    expect(transition(stopping.state, { type: 'exit', code: 0, signal: null }, policy, 20).effects).toContainEqual({ kind: 'remove' });
    expect(transition(initialLifecycle(), { type: 'delete' }, policy, 0).effects).toContainEqual({ kind: 'remove' });
  });

  it('waits for ready with wait_ready, and goes online at listen_timeout without it', () => {
    const p = { ...policy, wait_ready: true };
    const launching = run([[{ type: 'start' }, 0]], p);
    expect(launching.effects[0]).toContainEqual({ kind: 'schedule', timer: 'ready', delay: 3000 });
    expect(transition(launching.state, { type: 'ready-timer' }, p, 3000).state.status).toBe('online');
  });

  it('counts a zero-downtime reload as a restart and stays online', () => {
    const online = run([[{ type: 'start' }, 0], [{ type: 'ready' }, 1]]).state;
    const reloaded = transition(online, { type: 'reloaded' }, policy, 500);
    expect(reloaded.state).toMatchObject({ status: 'online', restarts: 1, startedAt: 500 });
    expect(reloaded.effects).toEqual([]);
    expect(transition(initialLifecycle(), { type: 'reloaded' }, policy, 500).state.restarts).toBe(0);
  });

  it('marks a process that cannot be executed errored without retrying', () => {
    const { state, effects } = run([[{ type: 'start' }, 0], [{ type: 'spawn-failed' }, 1]]);
    expect(state.status).toBe('errored');
    expect(effects[1]).not.toContainEqual({ kind: 'spawn' });
  });

  it('ignores events that do not apply', () => {
    const stopped = initialLifecycle();
    for (const event of [{ type: 'stop' }, { type: 'ready' }, crash, { type: 'kill-timer' }, { type: 'restart-timer' }] as LifecycleEvent[]) {
      expect(transition(stopped, event, policy, 0)).toEqual({ state: stopped, effects: [] });
    }
  });
});
