// The new child a reload waits for (a replacement; in fork mode, the child its restart launched):
// how it ended, whether it is ready but for its health check, where that check stands, and what a
// failed reload says of it.
import type { AppSpec } from '../protocol/app-spec.js';
import type { HealthState } from '../protocol/types.js';
import { readyTimeout, reloadsWithoutGap, type FailedBecause } from './lifecycle.js';

export class ReloadCandidate {
  private exit: string | null = null;
  private booted = false;
  private health: HealthState | null = null;

  /** A new child is the candidate: nothing is known of it yet. */
  begin(): void {
    this.exit = null;
    this.booted = false;
    this.health = null;
  }

  /** It is ready by watchReadiness's rules; true when that is enough (no health check, or its probe passed already). */
  ready(spec: AppSpec): boolean {
    this.booted = true;
    return !spec.health_check || this.health?.status === 'healthy';
  }

  /** A probe of it ended; true when that made it ready for good (it was ready but for its probe). */
  checked(state: HealthState): boolean {
    this.health = state;
    return state.status === 'healthy' && this.booted;
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  }

  /** Why the reload failed, for the process's error; null when the candidate's own watches say why (they restarted it). */
  failure(reason: FailedBecause, spec: AppSpec): string | null {
    // in fork mode the old child was stopped before the new one started: the new one goes on, by its restart policy
    const inPlace = !reloadsWithoutGap(spec);
    const after = (goesOn: string): string => (inPlace ? `fork mode: the old one had stopped before it started, and ${goesOn}` : 'the old one keeps serving');
    if (reason === 'timeout' && spec.health_check) {
      const last = this.health?.last_error ?? (this.booted ? 'no probe had passed' : 'it was not ready');
      return `reload: the new process did not pass its health check within ${readyTimeout(spec)} ms (last: ${last}); ${after('it runs on')}`;
    }
    if (reason === 'timeout') return `reload: the new process did not become ready within ${readyTimeout(spec)} ms; ${after('it runs on')}`;
    if (reason === 'exited' && this.exit) return `reload: the new process ${this.exit} before it was ready; ${after('its restart policy goes on')}`;
    return null;
  }
}
