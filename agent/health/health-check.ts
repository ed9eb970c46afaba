// The health check of one child: a probe every `interval`, on the wall clock's multiples of it
// (the agent wakes once for all the apps probed at that interval, not once per app; a probe that
// takes longer than `interval` is followed at the next multiple: never two in flight), the state
// it leads to, and the rules:
// `starting` until the first success, `healthy` after it; failures within `start_period` of the
// start do not count; `failures` counted failures in a row make it `unhealthy`. Stopped with its
// child: the probe in flight is aborted (an exec probe's process group killed), a kept HTTP
// connection closed.
import type { HealthCheck as HealthRules } from '../protocol/app-spec.js';
import type { HealthState } from '../protocol/types.js';
import { prober, type ProbeContext, type Prober } from './probe.js';

/** Told of every probe's outcome, with the state after it. */
export type HealthListener = (state: HealthState) => void;

/** Probes one child until stopped. */
export class ChildHealth {
  state: HealthState = { status: 'starting', failures: 0, last_check: null, last_error: null };
  private timer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private readonly probing: Prober;

  constructor(
    private readonly rules: HealthRules,
    context: ProbeContext,
    /** ms since epoch when the child started: start_period counts from here. */
    private readonly startedAt: number,
    private readonly now: () => number,
    private readonly onResult: HealthListener,
  ) {
    this.probing = prober(rules.target, context);
    this.next();
  }

  /** No probe after this one; the one in flight is aborted. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    this.probing.close();
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Schedules the next probe at the next multiple of `interval` on the wall clock. */
  private next(): void {
    if (this.stopped) return;
    const { interval } = this.rules;
    this.timer = setTimeout(() => void this.probe(), interval - (Date.now() % interval));
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    this.timer = null;
    const result = await this.probing.run(this.rules.timeout, this.abort.signal);
    if (this.stopped) return;
    const at = this.now();
    const previous = this.state;
    if (result.ok) {
      this.state = { status: 'healthy', failures: 0, last_check: at, last_error: null };
    } else {
      const counts = at - this.startedAt >= this.rules.start_period;
      const failures = previous.failures + (counts ? 1 : 0);
      const status = failures >= this.rules.failures ? 'unhealthy' : previous.status;
      this.state = { status, failures, last_check: at, last_error: result.reason };
    }
    this.onResult(this.state);
    this.next();
  }
}
