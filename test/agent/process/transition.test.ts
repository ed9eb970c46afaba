import { describe, expect, it } from 'vitest';
import { backoffInForce } from '../../../agent/process/crash-policy.js';
import { initialLifecycle, transition, type Effect, type Lifecycle, type LifecycleEvent, type RestartPolicy, BACKOFF_RESET_MS, BACKOFF_MAX_MS } from '../../../agent/process/transition.js';

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
  listen: [],
  exec_mode: 'cluster_mode',
};

function run(events: [LifecycleEvent, number][], p: RestartPolicy = policy, from: Lifecycle = initialLifecycle()) {
  let state = from;
  const effects: Effect[][] = [];
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

  it('ends in errored after max_restarts unstable restarts in a row, its count set back to 0 as PM2 does when it gives up', () => {
    const events: [LifecycleEvent, number][] = [[{ type: 'start' }, 0]];
    for (let i = 1; i <= 2; i++) events.push([crash, i * 10]);
    expect(run(events).state).toMatchObject({ status: 'launching', unstableRestarts: 2 });
    events.push([crash, 30]);
    const { state } = run(events);
    expect(state).toMatchObject({ status: 'errored', erroredBy: 'max_restarts', unstableRestarts: 0, restarts: 2 });
  });

  it('counts an exit within min_uptime as unstable when the app is not restarted (autorestart off, a stop exit code), as PM2', () => {
    expect(run([[{ type: 'start' }, 0], [crash, 10]], { ...policy, autorestart: false }).state).toMatchObject({ status: 'stopped', unstableRestarts: 1 });
    expect(run([[{ type: 'start' }, 0], [{ type: 'exit', code: 3, signal: null }, 10]], { ...policy, stop_exit_codes: [3] }).state).toMatchObject({ status: 'stopped', unstableRestarts: 1 });
    expect(run([[{ type: 'start' }, 0], [crash, 5000]], { ...policy, autorestart: false }).state).toMatchObject({ status: 'stopped', unstableRestarts: 0 });
  });

  it('forgets unstable restarts once the app ran longer than min_uptime', () => {
    const { state } = run([[{ type: 'start' }, 0], [crash, 10], [crash, 20], [crash, 5000], [crash, 5010]]);
    expect(state.status).toBe('launching');
    expect(state.unstableRestarts).toBe(1);
  });

  it('brings a stopped or errored process back by restart or reload as a start: no restart counted, as PM2', () => {
    const stopped = run([[{ type: 'start' }, 0], [{ type: 'ready' }, 1], [crash, 5000], [{ type: 'stop' }, 5001], [{ type: 'exit', code: 0, signal: null }, 5002]]).state;
    expect(stopped).toMatchObject({ status: 'stopped', restarts: 1 });
    const errored = run([[{ type: 'start' }, 0], [crash, 10], [crash, 20], [crash, 30]]).state;
    expect(errored).toMatchObject({ status: 'errored', restarts: 2 });
    for (const from of [stopped, errored]) {
      for (const type of ['restart', 'reload'] as const) {
        const { state, effects } = run([[{ type }, 6000]], policy, from);
        expect(state, `${type} of ${from.status}`).toMatchObject({ status: 'launching', restarts: from.restarts, unstableRestarts: 0 });
        expect(effects[0]).toContainEqual({ kind: 'spawn' });
      }
    }
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

  it('says when a held-back restart is due, and forgets it once relaunched', () => {
    const { state } = run([[{ type: 'start' }, 0], [crash, 5000]], { ...policy, restart_delay: 250 });
    expect(state.restartAt).toBe(5250);
    expect(transition(state, { type: 'restart-timer' }, policy, 5250).state.restartAt).toBe(0);
  });

  it('ends in errored past restart_limit: more than burst automatic restarts within interval, however stable each run was', () => {
    // each run outlives min_uptime, so max_restarts never counts: only the rate does
    const p = { ...policy, max_restarts: 100, restart_limit: { burst: 3, interval: 10_000 } };
    let state = run([[{ type: 'start' }, 0], [{ type: 'ready' }, 1]], p).state;
    for (const at of [2000, 4000, 6000]) {
      state = transition(state, crash, p, at).state;
      expect(state.status).toBe('launching');
    }
    const limited = transition(state, crash, p, 8000).state;
    expect(limited).toMatchObject({ status: 'errored', erroredBy: 'restart_limit', restarts: 3 });
    // restarts older than the interval no longer count
    const spaced = transition(state, crash, p, 2000 + 10_000).state;
    expect(spaced.status).toBe('launching');
    expect(spaced.recentRestarts).toEqual([4000, 6000, 12_000]);
    // a start by hand forgets them: the app may crash burst times again
    const started = transition(limited, { type: 'start' }, p, 9000).state;
    expect(started).toMatchObject({ status: 'launching', recentRestarts: [] });
    expect(started.erroredBy).toBeUndefined();
    expect(transition(started, crash, p, 9500).state.status).toBe('launching');
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
    // rounded down, as PM2's: 337, not 338
    expect(delays.slice(0, 6)).toEqual([100, 150, 225, 337, 505, 757]);
    expect(Math.max(...delays)).toBe(BACKOFF_MAX_MS);
    const stable = transition(state, crash, p, now + BACKOFF_RESET_MS);
    expect(stable.effects).toContainEqual({ kind: 'schedule', timer: 'restart', delay: 100 });
  });

  it("shows the back-off in force as PM2's prev_restart_delay: the last delay while waiting or running, 0 once the run has been up long enough to start over", () => {
    const p = { ...policy, exp_backoff_restart_delay: 100, max_restarts: 100 };
    const waiting = run([[{ type: 'start' }, 0], [crash, 10], [{ type: 'restart-timer' }, 110], [crash, 120]], p).state;
    expect(waiting).toMatchObject({ status: 'waiting restart', backoffDelay: 150 });
    expect(backoffInForce(waiting, 200)).toBe(150);
    const running = transition(waiting, { type: 'restart-timer' }, p, 270).state;
    expect(backoffInForce(running, 270 + BACKOFF_RESET_MS - 1)).toBe(150);
    expect(backoffInForce(running, 270 + BACKOFF_RESET_MS)).toBe(0);
    // a restart by hand starts the back-off over
    expect(backoffInForce(transition(running, { type: 'restart' }, p, 300).state, 300)).toBe(0);
  });

  it('stops with SIGINT then schedules the kill after kill_timeout', () => {
    const { state, effects } = run([[{ type: 'start' }, 0], [{ type: 'ready' }, 1], [{ type: 'stop' }, 10]]);
    expect(state.status).toBe('stopping');
    expect(effects[2]).toEqual([{ kind: 'cancel', timer: 'ready' }, { kind: 'stop-signal', child: 'current' }, { kind: 'schedule', timer: 'kill', delay: 1600 }]);
    expect(transition(state, { type: 'kill-timer' }, policy, 1610).effects).toEqual([{ kind: 'kill-tree', child: 'current' }]);
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

  it('answers a start whose launch ended in a crash before ready, though the process goes on restarting (each run outliving min_uptime never errors it)', () => {
    const p = { ...policy, wait_ready: true };
    const started = run([[{ type: 'start' }, 0], [crash, 1100]], p);
    expect(started.state.status).toBe('launching');
    expect(started.state.pending).toBeNull();
    expect(started.effects[1]).toContainEqual({ kind: 'answer', tickets: [1], outcome: { kind: 'done' } });
    // a crash of an app that was online answers nothing: no request was waiting
    const online = run([[{ type: 'start' }, 0], [{ type: 'ready' }, 5], [crash, 5000]], p);
    expect(online.effects[2]!.some((effect) => effect.kind === 'answer')).toBe(false);
  });

  it('marks a process that cannot be executed errored without retrying', () => {
    const { state, effects } = run([[{ type: 'start' }, 0], [{ type: 'spawn-failed' }, 1]]);
    expect(state.status).toBe('errored');
    expect(effects[1]).not.toContainEqual({ kind: 'spawn' });
  });

  it('ignores events of children and timers that do not apply', () => {
    const stopped = initialLifecycle();
    const events: LifecycleEvent[] = [
      { type: 'ready' },
      crash,
      { type: 'kill-timer' },
      { type: 'restart-timer' },
      { type: 'replacement-ready' },
      { type: 'replacement-exit' },
      { type: 'replace-timer' },
      { type: 'drained' },
      { type: 'retire-timer' },
      { type: 'retired-exit' },
    ];
    for (const event of events) expect(transition(stopped, event, policy, 0)).toEqual({ state: stopped, effects: [] });
  });
});

const online = (): Lifecycle => run([[{ type: 'start' }, 0], [{ type: 'ready' }, 1]]).state;
const at = (state: Lifecycle, event: LifecycleEvent, now = 100, p: RestartPolicy = policy) => transition(state, event, p, now);
const answers = (effects: Effect[]) => effects.filter((effect) => effect.kind === 'answer');

/** Applies events in order; returns the last state and every effect. */
function chain(from: Lifecycle, events: LifecycleEvent[], p: RestartPolicy = policy) {
  let state = from;
  const effects: Effect[] = [];
  for (const event of events) {
    const next = transition(state, event, p, 100);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

describe('transition: zero-downtime reload', () => {
  it('starts a replacement beside the serving child, with listen_timeout to be ready', () => {
    const { state, effects } = at(online(), { type: 'reload' });
    expect(state.status).toBe('replacing');
    expect(state.children).toEqual({ current: true, replacement: 'booting', retiring: 'none' });
    expect(effects).toEqual([{ kind: 'spawn-replacement' }, { kind: 'schedule', timer: 'replace', delay: 3000 }]);
  });

  it('gives a socket-activated replacement min_uptime plus a second when that is longer than listen_timeout', () => {
    const p = { ...policy, listen: ['tcp://127.0.0.1:0'], min_uptime: 5000 };
    expect(at(online(), { type: 'reload' }, 100, p).effects).toContainEqual({ kind: 'schedule', timer: 'replace', delay: 6000 });
  });

  it('adopts a ready replacement, counts a restart, and drains the old child', () => {
    const replacing = at(online(), { type: 'reload' }).state;
    const { state, effects } = at(replacing, { type: 'replacement-ready' }, 500);
    expect(state).toMatchObject({ status: 'replacing', restarts: 1, startedAt: 500, children: { current: true, replacement: 'none', retiring: 'draining' } });
    expect(effects).toEqual([{ kind: 'cancel', timer: 'replace' }, { kind: 'adopt' }, { kind: 'drain' }]);
  });

  it('stops the drained old child through the stop path, kills it after kill_timeout, and answers the reload once it is gone', () => {
    const retiring = chain(online(), [{ type: 'reload' }, { type: 'replacement-ready' }]).state;
    const drained = at(retiring, { type: 'drained' });
    expect(drained.effects).toEqual([{ kind: 'stop-signal', child: 'retiring' }, { kind: 'schedule', timer: 'retire', delay: 1600 }]);
    expect(at(drained.state, { type: 'retire-timer' }).effects).toEqual([{ kind: 'kill-tree', child: 'retiring' }]);
    const done = at(drained.state, { type: 'retired-exit' });
    expect(done.state.status).toBe('online');
    expect(done.state.children).toEqual({ current: true, replacement: 'none', retiring: 'none' });
    expect(done.effects).toEqual([
      { kind: 'cancel', timer: 'retire' },
      { kind: 'kill-tree', child: 'retiring' },
      { kind: 'answer', tickets: [retiring.asked], outcome: { kind: 'done' } },
    ]);
  });

  it('fails the reload when the replacement exits before it is ready; the old child serves on', () => {
    const replacing = at(online(), { type: 'reload' }).state;
    const { state, effects } = at(replacing, { type: 'replacement-exit' });
    expect(state).toMatchObject({ status: 'online', restarts: 0, children: { current: true, replacement: 'none', retiring: 'none' } });
    expect(effects).toEqual([
      { kind: 'cancel', timer: 'replace' },
      { kind: 'kill-tree', child: 'replacement' },
      { kind: 'answer', tickets: [replacing.asked], outcome: { kind: 'failed', reason: 'exited' } },
    ]);
  });

  it('kills a replacement that is not ready in time, and fails the reload only once it has exited', () => {
    const replacing = at(online(), { type: 'reload' }).state;
    const timedOut = at(replacing, { type: 'replace-timer' });
    expect(timedOut.effects).toEqual([{ kind: 'kill-tree', child: 'replacement', drainFirst: true }]);
    expect(timedOut.state).toMatchObject({ status: 'replacing', children: { replacement: 'stopping' } });
    const ended = at(timedOut.state, { type: 'replacement-exit' });
    expect(ended.state.status).toBe('online');
    expect(answers(ended.effects)).toEqual([{ kind: 'answer', tickets: [2], outcome: { kind: 'failed', reason: 'timeout' } }]);
  });

  it('gives a reload asked during a round a round of its own, and answers each when its round ends', () => {
    const first = at(online(), { type: 'reload' }).state;
    const queued = at(first, { type: 'reload' });
    expect(queued.effects).toEqual([]);
    expect(queued.state.queued).toBe(3);
    const swapped = chain(queued.state, [{ type: 'replacement-ready' }, { type: 'drained' }]).state;
    const ended = at(swapped, { type: 'retired-exit' });
    expect(answers(ended.effects)).toEqual([{ kind: 'answer', tickets: [2], outcome: { kind: 'done' } }]);
    expect(ended.state).toMatchObject({ status: 'replacing', queued: 0, pending: { goal: 'running', tickets: [3] } });
    expect(ended.effects).toContainEqual({ kind: 'spawn-replacement' });
    const second = chain(ended.state, [{ type: 'replacement-ready' }, { type: 'drained' }, { type: 'retired-exit' }]);
    expect(second.state.status).toBe('online');
    expect(second.state.restarts).toBe(2);
    expect(answers(second.effects)).toEqual([{ kind: 'answer', tickets: [3], outcome: { kind: 'done' } }]);
  });

  it('reloads by a restart when no child serves', () => {
    const launching = run([[{ type: 'start' }, 0]]).state;
    expect(at(launching, { type: 'reload' }).state.status).toBe('stopping');
    expect(at(initialLifecycle(), { type: 'reload' }).effects).toContainEqual({ kind: 'spawn' });
  });
});

describe('transition: requests racing a reload', () => {
  it('stops both children through one stop path and one kill timer when a stop comes while the replacement boots', () => {
    const replacing = at(online(), { type: 'reload' }).state;
    const { state, effects } = at(replacing, { type: 'stop' });
    expect(state).toMatchObject({ status: 'stopping', afterStop: 'stop', children: { current: true, replacement: 'stopping', retiring: 'none' } });
    expect(effects).toEqual([
      { kind: 'answer', tickets: [2], outcome: { kind: 'superseded', by: 'stop' } },
      { kind: 'cancel', timer: 'ready' },
      { kind: 'cancel', timer: 'replace' },
      { kind: 'stop-signal', child: 'current' },
      { kind: 'stop-signal', child: 'replacement' },
      { kind: 'schedule', timer: 'kill', delay: 1600 },
    ]);
    expect(at(state, { type: 'kill-timer' }).effects).toEqual([
      { kind: 'kill-tree', child: 'current' },
      { kind: 'kill-tree', child: 'replacement' },
    ]);
  });

  it('reports stopped, and answers the stop, only once both children have exited, in either order', () => {
    const stopping = chain(online(), [{ type: 'reload' }, { type: 'stop' }]).state;
    for (const order of [
      [{ type: 'exit', code: 0, signal: null }, { type: 'replacement-exit' }],
      [{ type: 'replacement-exit' }, { type: 'exit', code: 0, signal: null }],
    ] as LifecycleEvent[][]) {
      const half = at(stopping, order[0]!);
      expect(half.state.status).toBe('stopping');
      expect(answers(half.effects)).toEqual([]);
      const all = at(half.state, order[1]!);
      expect(all.state.status).toBe('stopped');
      expect(all.state.children).toEqual({ current: false, replacement: 'none', retiring: 'none' });
      expect(answers(all.effects)).toEqual([{ kind: 'answer', tickets: [3], outcome: { kind: 'done' } }]);
      expect(all.effects).toContainEqual({ kind: 'cancel', timer: 'kill' });
      expect(all.effects).not.toContainEqual({ kind: 'spawn' });
    }
  });

  it('hurries a draining old child with the stop signal when a stop comes after the swap, and waits for it too', () => {
    const swapped = chain(online(), [{ type: 'reload' }, { type: 'replacement-ready' }]).state;
    const { state, effects } = at(swapped, { type: 'stop' });
    expect(effects).toEqual([
      { kind: 'answer', tickets: [2], outcome: { kind: 'superseded', by: 'stop' } },
      { kind: 'cancel', timer: 'ready' },
      { kind: 'cancel', timer: 'replace' },
      { kind: 'stop-signal', child: 'current' },
      { kind: 'schedule', timer: 'kill', delay: 1600 },
      { kind: 'stop-signal', child: 'retiring' },
      { kind: 'schedule', timer: 'retire', delay: 1600 },
    ]);
    const currentGone = at(state, { type: 'exit', code: 0, signal: null });
    expect(currentGone.state.status).toBe('stopping');
    expect(at(currentGone.state, { type: 'drained' }).effects).toEqual([]);
    expect(at(currentGone.state, { type: 'retired-exit' }).state.status).toBe('stopped');
  });

  it('restarts after both children are gone when a restart comes during a reload; the reload is answered by the relaunch', () => {
    const { state, effects } = chain(online(), [{ type: 'reload' }, { type: 'restart' }]);
    expect(state).toMatchObject({ status: 'stopping', afterStop: 'restart', pending: { goal: 'running', tickets: [2, 3] } });
    expect(answers(effects)).toEqual([]);
    const half = at(state, { type: 'exit', code: 0, signal: null });
    expect(half.effects).not.toContainEqual({ kind: 'spawn' });
    const relaunched = at(half.state, { type: 'replacement-exit' });
    expect(relaunched.state.status).toBe('launching');
    expect(relaunched.effects).toContainEqual({ kind: 'spawn' });
    expect(answers(at(relaunched.state, { type: 'ready' }).effects)).toEqual([{ kind: 'answer', tickets: [2, 3], outcome: { kind: 'done' } }]);
  });

  it('removes a process deleted during a reload only once both children are gone, and tells the reload', () => {
    const { state, effects } = chain(online(), [{ type: 'reload' }, { type: 'delete' }]);
    expect(answers(effects)).toEqual([{ kind: 'answer', tickets: [2], outcome: { kind: 'superseded', by: 'delete' } }]);
    const half = at(state, { type: 'replacement-exit' });
    expect(half.effects).not.toContainEqual({ kind: 'remove' });
    const gone = at(half.state, { type: 'exit', code: 0, signal: null });
    expect(gone.effects).toContainEqual({ kind: 'remove' });
    expect(answers(gone.effects)).toEqual([{ kind: 'answer', tickets: [3], outcome: { kind: 'done' } }]);
  });

  it('lets the booting replacement take over as the relaunch when the old child crashes', () => {
    const replacing = at(online(), { type: 'reload' }, 100).state;
    const { state, effects } = at(replacing, crash, 5000);
    expect(state).toMatchObject({ status: 'launching', restarts: 1, children: { current: true, replacement: 'none', retiring: 'none' } });
    expect(effects).toEqual([
      { kind: 'kill-tree', child: 'current' },
      { kind: 'cancel', timer: 'replace' },
      { kind: 'promote' },
      { kind: 'schedule', timer: 'ready', delay: 3000 },
    ]);
    expect(effects).not.toContainEqual({ kind: 'spawn' });
    const up = at(state, { type: 'ready' });
    expect(up.state.status).toBe('online');
    expect(answers(up.effects)).toEqual([{ kind: 'answer', tickets: [2], outcome: { kind: 'done' } }]);
  });

  it('stops the replacement when the old child exits and the app is not to be restarted', () => {
    const p = { ...policy, autorestart: false };
    const replacing = at(online(), { type: 'reload' }, 100, p).state;
    const { state, effects } = at(replacing, crash, 5000, p);
    expect(state).toMatchObject({ status: 'stopping', afterStop: 'stop', children: { current: false, replacement: 'stopping' } });
    expect(effects).toContainEqual({ kind: 'stop-signal', child: 'replacement' });
    expect(at(state, { type: 'replacement-exit' }, 5100, p).state.status).toBe('stopped');
  });

  it('ends errored, once the replacement is stopped, when the old child crashed too often', () => {
    const p = { ...policy, max_restarts: 1 };
    const replacing = at(online(), { type: 'reload' }, 100, p).state;
    const stopping = at(replacing, crash, 200, p).state;
    expect(stopping).toMatchObject({ status: 'stopping', afterStop: 'errored' });
    expect(at(stopping, { type: 'replacement-exit' }, 300, p).state.status).toBe('errored');
  });

  it('relaunches afresh, not with the early replacement, when the old child crashes and a reload waits', () => {
    const queued = chain(online(), [{ type: 'reload' }, { type: 'reload' }]).state;
    const { state, effects } = at(queued, crash, 5000);
    expect(state).toMatchObject({ status: 'stopping', afterStop: 'restart', queued: 0 });
    expect(effects).not.toContainEqual({ kind: 'promote' });
    const relaunched = at(state, { type: 'replacement-exit' }, 5100);
    expect(relaunched.effects).toContainEqual({ kind: 'spawn' });
    expect(answers(at(relaunched.state, { type: 'ready' }).effects)).toEqual([{ kind: 'answer', tickets: [2, 3], outcome: { kind: 'done' } }]);
  });

  it('relaunches after the old child is gone when the new child crashes while the old one retires', () => {
    const swapped = chain(online(), [{ type: 'reload' }, { type: 'replacement-ready' }]).state;
    const { state, effects } = at(swapped, crash, 5000);
    expect(state).toMatchObject({ status: 'stopping', afterStop: 'restart', children: { current: false, retiring: 'stopping' } });
    expect(effects).toContainEqual({ kind: 'stop-signal', child: 'retiring' });
    expect(effects).not.toContainEqual({ kind: 'spawn' });
    expect(at(state, { type: 'retired-exit' }, 5100).effects).toContainEqual({ kind: 'spawn' });
  });

  it('fails the reload at once when the old child crashes while a timed-out replacement is killed, and relaunches after', () => {
    const failing = chain(online(), [{ type: 'reload' }, { type: 'replace-timer' }]).state;
    const { state, effects } = at(failing, crash, 5000);
    expect(answers(effects)).toEqual([{ kind: 'answer', tickets: [2], outcome: { kind: 'failed', reason: 'timeout' } }]);
    expect(state).toMatchObject({ status: 'stopping', afterStop: 'restart', pending: null, children: { current: false, replacement: 'stopping' } });
    expect(at(state, { type: 'replacement-exit' }, 5100).state.status).toBe('launching');
  });
});

describe('transition: how requests compose', () => {
  it('answers a stop of a stopped process at once', () => {
    expect(at(initialLifecycle(), { type: 'stop' })).toEqual({
      state: { ...initialLifecycle(), asked: 1, last: 'stop', pending: null },
      effects: [{ kind: 'answer', tickets: [1], outcome: { kind: 'done' } }],
    });
  });

  it('joins requests with the same goal and answers them together', () => {
    const { state, effects } = chain(online(), [{ type: 'stop' }, { type: 'stop' }, { type: 'exit', code: 0, signal: null }]);
    expect(state.status).toBe('stopped');
    expect(answers(effects)).toEqual([{ kind: 'answer', tickets: [2, 3], outcome: { kind: 'done' } }]);
  });

  it('tells a stop that a later restart overrode it, and the restart brings the process back', () => {
    const { state, effects } = chain(online(), [{ type: 'stop' }, { type: 'restart' }]);
    expect(answers(effects)).toEqual([{ kind: 'answer', tickets: [2], outcome: { kind: 'superseded', by: 'restart' } }]);
    expect(state.afterStop).toBe('restart');
  });

  it('tells a restart that a later stop overrode it, and the process stays stopped', () => {
    const { state, effects } = chain(online(), [{ type: 'restart' }, { type: 'stop' }, { type: 'exit', code: 0, signal: null }]);
    expect(state.status).toBe('stopped');
    expect(answers(effects)).toEqual([
      { kind: 'answer', tickets: [2], outcome: { kind: 'superseded', by: 'stop' } },
      { kind: 'answer', tickets: [3], outcome: { kind: 'done' } },
    ]);
  });

  it('lets nothing override a delete under way: a later request is answered that the process is being deleted', () => {
    const deleting = chain(online(), [{ type: 'delete' }]).state;
    for (const intent of ['start', 'stop', 'restart', 'reload'] as const) {
      const { state, effects } = at(deleting, { type: intent });
      expect(effects).toEqual([{ kind: 'answer', tickets: [3], outcome: { kind: 'superseded', by: 'delete' } }]);
      expect({ ...state, asked: deleting.asked }).toEqual(deleting);
    }
  });

  it('brings back a process being stopped when a start comes after the stop', () => {
    const { state } = chain(online(), [{ type: 'stop' }, { type: 'start' }, { type: 'exit', code: 0, signal: null }]);
    expect(state.status).toBe('launching');
  });

  it('finishes a stop when the child being stopped never ran', () => {
    const stopping = run([[{ type: 'start' }, 0], [{ type: 'stop' }, 1]]).state;
    expect(at(stopping, { type: 'spawn-failed' }).state.status).toBe('stopped');
  });
});

describe('transition: a deleted process', () => {
  it('cannot be brought back: later requests are answered that it was deleted, and nothing is spawned or removed again', () => {
    const gone = chain(online(), [{ type: 'delete' }, { type: 'exit', code: 0, signal: null }]).state;
    expect(gone.removed).toBe(true);
    for (const intent of ['start', 'stop', 'restart', 'reload'] as const) {
      expect(at(gone, { type: intent }).effects).toEqual([{ kind: 'answer', tickets: [3], outcome: { kind: 'superseded', by: 'delete' } }]);
    }
    expect(at(gone, { type: 'delete' }).effects).toEqual([{ kind: 'answer', tickets: [3], outcome: { kind: 'done' } }]);
    expect(at(gone, { type: 'restart-timer' })).toEqual({ state: gone, effects: [] });
  });
});

describe('transition: reload in fork mode', () => {
  const fork: RestartPolicy = { ...policy, exec_mode: 'fork_mode' };
  const forkOnline = (p: RestartPolicy = fork): Lifecycle => run([[{ type: 'start' }, 0], [{ type: 'ready' }, 1]], p).state;
  /** Reloaded, the old child exited, the new one launched and online: its trial under way. */
  const onTrial = (p: RestartPolicy = fork) => chain(forkOnline(p), [{ type: 'reload' }, { type: 'exit', code: 0, signal: null }, { type: 'ready' }], p);

  it('restarts through the stop path, and gives the new child readyTimeout to prove ready: min_uptime + 1 s up at least, without wait_ready', () => {
    const stopping = at(forkOnline(), { type: 'reload' }, 100, fork);
    expect(stopping.state).toMatchObject({ status: 'stopping', afterStop: 'restart', proving: [2] });
    const relaunched = at(stopping.state, { type: 'exit', code: 0, signal: null }, 100, fork);
    expect(relaunched.effects).toContainEqual({ kind: 'spawn' });
    expect(relaunched.effects).toContainEqual({ kind: 'schedule', timer: 'proof', delay: 3000 });
    expect(at(stopping.state, { type: 'exit', code: 0, signal: null }, 100, { ...fork, min_uptime: 5000 }).effects).toContainEqual({ kind: 'schedule', timer: 'proof', delay: 6000 });
    const probed = { ...fork, health_check: { target: { tcp: { host: '127.0.0.1', port: 1 } }, interval: 500, timeout: 400, failures: 3, start_period: 1000 } } as RestartPolicy;
    expect(at(at(forkOnline(probed), { type: 'reload' }, 100, probed).state, { type: 'exit', code: 0, signal: null }, 100, probed).effects).toContainEqual({ kind: 'schedule', timer: 'proof', delay: 2900 });
  });

  it('answers the reload once the new child proved ready, not when it went online', () => {
    const { state, effects } = onTrial();
    expect(state.status).toBe('online');
    expect(answers(effects)).toEqual([]);
    const proven = at(state, { type: 'proven' }, 100, fork);
    expect(proven.state).toMatchObject({ status: 'online', proving: [], pending: null });
    expect(proven.effects).toEqual([{ kind: 'cancel', timer: 'proof' }, { kind: 'answer', tickets: [2], outcome: { kind: 'done' } }]);
  });

  it("takes a wait_ready child online at its 'ready', which proves it", () => {
    const p = { ...fork, wait_ready: true };
    const launching = chain(forkOnline(p), [{ type: 'reload' }, { type: 'exit', code: 0, signal: null }], p).state;
    expect(launching.status).toBe('launching');
    expect(at(launching, { type: 'proven' }, 100, p).state.status).toBe('online');
  });

  it('fails the reload when the new child exits before it proved ready, after the restart policy relaunched it', () => {
    const { effects, state } = at(onTrial().state, crash, 200, fork);
    expect(state).toMatchObject({ status: 'launching', proving: [], pending: null });
    const spawn = effects.findIndex((effect) => effect.kind === 'spawn');
    const failed = effects.findIndex((effect) => effect.kind === 'answer');
    expect(effects[failed]).toEqual({ kind: 'answer', tickets: [2], outcome: { kind: 'failed', reason: 'exited' } });
    // the reload learns it failed once the relaunch is under way: what it reads of the process is what the restart policy left
    expect(spawn).toBeGreaterThanOrEqual(0);
    expect(failed).toBeGreaterThan(spawn);
    expect(effects).not.toContainEqual({ kind: 'schedule', timer: 'proof', delay: 3000 });
  });

  it('answers the reload done when the new child of a job ends as the job means to (autorestart off and exit 0, a stop exit code): it is stopped, and a crash still fails the reload', () => {
    const done = { kind: 'answer', tickets: [2], outcome: { kind: 'done' } };
    for (const [p, code] of [[{ ...fork, autorestart: false }, 0], [{ ...fork, stop_exit_codes: [0] }, 0], [{ ...fork, stop_exit_codes: [2] }, 2]] as const) {
      const { effects, state } = at(onTrial(p).state, { type: 'exit', code, signal: null }, 200, p);
      expect(state).toMatchObject({ status: 'stopped', proving: [], pending: null, exitCode: code });
      expect(answers(effects)).toEqual([done]);
    }
    const job = { ...fork, autorestart: false };
    expect(answers(at(onTrial(job).state, crash, 200, job).effects)).toEqual([{ kind: 'answer', tickets: [2], outcome: { kind: 'failed', reason: 'exited' } }]);
  });

  it('fails the reload when the new child is not ready within readyTimeout, and leaves it running', () => {
    const { effects, state } = at(onTrial().state, { type: 'proof-timer' }, 3200, fork);
    expect(state).toMatchObject({ status: 'online', proving: [], pending: null, children: { current: true } });
    expect(answers(effects)).toEqual([{ kind: 'answer', tickets: [2], outcome: { kind: 'failed', reason: 'timeout' } }]);
  });

  it('fails the reload when its watches restart the new child first (unhealthy, hung)', () => {
    const { effects, state } = at(onTrial().state, { type: 'liveness-failed' }, 200, fork);
    expect(state).toMatchObject({ status: 'stopping', afterStop: 'restart', proving: [] });
    expect(answers(effects)).toEqual([{ kind: 'answer', tickets: [2], outcome: { kind: 'failed', reason: 'liveness' } }]);
  });

  it('lets a stop or a delete win over the reload at any point of it: the reload is superseded, the trial ends', () => {
    for (const type of ['stop', 'delete'] as const) {
      for (const events of [[{ type: 'reload' }], [{ type: 'reload' }, { type: 'exit', code: 0, signal: null }], [{ type: 'reload' }, { type: 'exit', code: 0, signal: null }, { type: 'ready' }]] as LifecycleEvent[][]) {
        const { state, effects } = chain(forkOnline(), [...events, { type }], fork);
        expect(state.proving).toEqual([]);
        expect(answers(effects)).toContainEqual({ kind: 'answer', tickets: [2], outcome: { kind: 'superseded', by: type } });
        expect(at(state, { type: 'proven' }, 100, fork).effects).toEqual([]);
      }
    }
  });

  it('answers a start that joined the reload as a start, never that the reload failed', () => {
    const joined = chain(forkOnline(), [{ type: 'reload' }, { type: 'start' }, { type: 'exit', code: 0, signal: null }], fork);
    expect(joined.state.pending?.tickets).toEqual([2, 3]);
    const online = at(joined.state, { type: 'ready' }, 100, fork);
    expect(answers(online.effects)).toEqual([{ kind: 'answer', tickets: [3], outcome: { kind: 'done' } }]);
    expect(answers(at(online.state, crash, 200, fork).effects)).toEqual([{ kind: 'answer', tickets: [2], outcome: { kind: 'failed', reason: 'exited' } }]);
  });

  it('restarts without a trial when a restart comes during the reload: the relaunch answers both, as in cluster mode', () => {
    const { state, effects } = chain(onTrial().state, [{ type: 'restart' }, { type: 'exit', code: 0, signal: null }, { type: 'ready' }], fork);
    expect(state).toMatchObject({ status: 'online', proving: [], pending: null });
    expect(effects).not.toContainEqual(expect.objectContaining({ timer: 'proof', kind: 'schedule' }));
    expect(answers(effects)).toEqual([{ kind: 'answer', tickets: [2, 3], outcome: { kind: 'done' } }]);
  });
});
