// What watches one child beyond its exit: the hang watch over its metrics samples (`hang_timeout`),
// the watchdog over its WATCHDOG=1 pings (`watchdog`: the same watch, armed by the app's first
// ping or by its start-up being complete, as systemd arms WatchdogSec) and its health check
// (`health`). Started when the child is tracked, stopped when it
// exits; what a hang, a missed ping or a failed check leads to is the supervised process's decision.
import type { AppSpec } from '../protocol/app-spec.js';
import type { HealthState } from '../protocol/types.js';
import { watchHang, type HangWatch } from '../metrics/hang-watch.js';
import { ChildHealth } from '../health/health-check.js';
import type { ProbeContext } from '../health/probe.js';

/** The watches of one child; any may be absent. */
export interface ChildLiveness {
  hang: HangWatch | null;
  watchdog: HangWatch | null;
  health: ChildHealth | null;
}

/** What a child's watches report. */
export interface LivenessListener {
  hung(blockedMs: number): void;
  /** No WATCHDOG=1 came for `silentMs`. */
  watchdog(silentMs: number): void;
  health(state: HealthState): void;
}

/** Starts the watches `spec` asks for, or returns null when it asks for none. */
export function watchLiveness(spec: AppSpec, context: ProbeContext, now: () => number, listener: LivenessListener): ChildLiveness | null {
  const hangTimeout = spec.hang_timeout ?? 0;
  const watchdogTimeout = spec.watchdog ?? 0;
  const rules = spec.health_check ?? null;
  if (hangTimeout <= 0 && watchdogTimeout <= 0 && !rules) return null;
  return {
    hang: hangTimeout > 0 ? watchHang(hangTimeout, now, listener.hung) : null,
    // pings are due every watchdog by the app itself: no sampling period to allow for
    watchdog: watchdogTimeout > 0 ? watchHang(watchdogTimeout, now, listener.watchdog, 0) : null,
    health: rules ? new ChildHealth(rules, context, now(), now, listener.health) : null,
  };
}

/** Stops every watch. */
export function stopLiveness(liveness: ChildLiveness | null): void {
  liveness?.hang?.stop();
  liveness?.watchdog?.stop();
  liveness?.health?.stop();
}
