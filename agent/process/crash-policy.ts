// What an exit that nobody asked for leads to: staying stopped (autorestart off, a stop exit
// code), errored after too many unstable restarts in a row or too many restarts within
// restart_limit's interval (systemd's start-rate limit), or a relaunch, at once or after a
// back-off; and what a restart the agent decides on a live child leads to (restart_limit only).
// Pure: the transition function applies the verdict.
import type { Lifecycle, RestartPolicy } from './lifecycle.js';
import { isRunning } from './states.js';

/** Exponential back-off: each delay is 1.5x the last (rounded down, as PM2's), capped, and reset once the app is stable. */
export const BACKOFF_FACTOR = 1.5;
export const BACKOFF_MAX_MS = 15_000;
/** PM2's rule: an app up this long is stable and its back-off delay starts over. */
export const BACKOFF_RESET_MS = 30_000;

export type Verdict = { kind: 'stop' } | { kind: 'errored'; by: 'max_restarts' | 'restart_limit' } | { kind: 'restart'; delay: number };

/** The verdict on an exit of the current child with `code`, and the counters that go with it. */
export interface ExitJudgement {
  verdict: Verdict;
  unstableRestarts: number;
  backoffDelay: number;
  /** The automatic restarts within restart_limit's interval, this one included when it restarts. */
  recentRestarts: number[];
}

/** Judges an unexpected exit of the current child at `now`. */
export function judgeExit(s: Lifecycle, code: number | null, policy: RestartPolicy, now: number): ExitJudgement {
  const limit = policy.restart_limit ?? null;
  const recent = recentRestarts(s, policy, now);
  const uptime = now - s.startedAt;
  // as PM2 counts it: an exit within min_uptime is unstable whatever follows, a stop included
  const unstableRestarts = uptime < policy.min_uptime ? s.unstableRestarts + 1 : 0;
  if (!policy.autorestart || (code !== null && policy.stop_exit_codes.includes(code))) {
    return { verdict: { kind: 'stop' }, unstableRestarts, backoffDelay: s.backoffDelay, recentRestarts: recent };
  }
  if (unstableRestarts >= policy.max_restarts) {
    // PM2 sets the count back to 0 as it gives up: an errored app shows unstable_restarts 0
    return { verdict: { kind: 'errored', by: 'max_restarts' }, unstableRestarts: 0, backoffDelay: s.backoffDelay, recentRestarts: recent };
  }
  if (limit && recent.length >= limit.burst) {
    return { verdict: { kind: 'errored', by: 'restart_limit' }, unstableRestarts, backoffDelay: s.backoffDelay, recentRestarts: recent };
  }
  const backoffDelay = nextBackoff(s.backoffDelay, uptime, policy);
  const delay = policy.exp_backoff_restart_delay > 0 ? backoffDelay : policy.restart_delay;
  return { verdict: { kind: 'restart', delay }, unstableRestarts, backoffDelay, recentRestarts: limit ? [...recent, now] : [] };
}

/**
 * The verdict on a restart the agent decided on a live child (hung, a missed watchdog, a failed
 * health check): not a crash, so max_restarts and the back-off do not apply; restart_limit does,
 * as systemd's start limit counts every start. `recentRestarts` includes this one when it restarts.
 */
export function judgeLivenessRestart(s: Lifecycle, policy: RestartPolicy, now: number): { limited: boolean; recentRestarts: number[] } {
  const limit = policy.restart_limit ?? null;
  const recent = recentRestarts(s, policy, now);
  if (limit && recent.length >= limit.burst) return { limited: true, recentRestarts: recent };
  return { limited: false, recentRestarts: limit ? [...recent, now] : [] };
}

/** The automatic restarts still within restart_limit's interval at `now`; none without a limit. */
function recentRestarts(s: Lifecycle, policy: RestartPolicy, now: number): number[] {
  const limit = policy.restart_limit ?? null;
  return limit ? (s.recentRestarts ?? []).filter((at) => now - at < limit.interval) : [];
}

function nextBackoff(previous: number, uptime: number, policy: RestartPolicy): number {
  if (policy.exp_backoff_restart_delay <= 0) return 0;
  if (previous === 0 || uptime >= BACKOFF_RESET_MS) return policy.exp_backoff_restart_delay;
  return Math.min(Math.floor(previous * BACKOFF_FACTOR), BACKOFF_MAX_MS);
}

/**
 * The back-off delay in force at `now`, what PM2 shows as `prev_restart_delay`: the last delay
 * waited, or 0 once the run under way has been up BACKOFF_RESET_MS (its next crash starts over).
 */
export function backoffInForce(s: Lifecycle, now: number): number {
  return isRunning(s.status) && now - s.startedAt >= BACKOFF_RESET_MS ? 0 : s.backoffDelay;
}
