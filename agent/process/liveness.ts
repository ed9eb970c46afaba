// What watches one child beyond its exit: the hang watch over its metrics samples (`hang_timeout`)
// and its health check (`health`). Started when the child is tracked, stopped when it exits;
// what a hang or a failed check leads to is the supervised process's decision.
import type { AppSpec } from '../protocol/app-spec.js';
import type { HealthState } from '../protocol/types.js';
import { watchHang, type HangWatch } from '../metrics/hang-watch.js';
import { ChildHealth } from '../health/health-check.js';
import type { ProbeContext } from '../health/probe.js';

/** The watches of one child; either may be absent. */
export interface ChildLiveness {
  hang: HangWatch | null;
  health: ChildHealth | null;
}

/** What a child's watches report. */
export interface LivenessListener {
  hung(blockedMs: number): void;
  health(state: HealthState): void;
}

/** Starts the watches `spec` asks for, or returns null when it asks for none. */
export function watchLiveness(spec: AppSpec, context: ProbeContext, now: () => number, listener: LivenessListener): ChildLiveness | null {
  const hangTimeout = spec.hang_timeout ?? 0;
  const rules = spec.health_check ?? null;
  if (hangTimeout <= 0 && !rules) return null;
  return {
    hang: hangTimeout > 0 ? watchHang(hangTimeout, now, listener.hung) : null,
    health: rules ? new ChildHealth(rules, context, now(), now, listener.health) : null,
  };
}

/** Stops both watches. */
export function stopLiveness(liveness: ChildLiveness | null): void {
  liveness?.hang?.stop();
  liveness?.health?.stop();
}
