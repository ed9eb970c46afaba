// One host's place in a run: its current context, how it failed, how it ended, its notes, what
// it serves at the end (read back). Runs a phase or a side step (cleanup, rollback, finish) on it,
// emitting their events, and reconnects after a lost connection (a few tries while the host
// refuses: its sshd restarting) so that the host can still be cleaned up, rolled back or read back.
import { errorLine } from '../output/errors.js';
import { TransportError } from '../transport/types.js';
import { addressOf, hostContext, withChanges, type HostContext, type RunInfo } from './context.js';
import type { HostOutcome, HostStatus, PhaseName } from './events.js';
import type { HostPhase } from './phase.js';
import { shaOf } from './revisions.js';
import { DeployStepError } from './run-error.js';
import type { HostTarget } from '../transport/host-target.js';

/** The waits before reconnecting again to a host that refused or dropped the new connection (about 3.5 s in all). */
const RECONNECT_RETRY_MS = [500, 1000, 2000];

/** Why a host failed. */
export interface HostFailure {
  phase: PhaseName;
  message: string;
  error: unknown;
}

/** A host during a run (owned by one runFlow call). */
export class HostSlot {
  ctx: HostContext;
  failure: HostFailure | null = null;
  /** Set when the flow decides it (cancelled, aborted, rolled back); otherwise derived from failure. */
  status: HostStatus | null = null;
  message: string | null = null;
  readonly notes: string[] = [];
  /** The phase or step running on the host now (for what a quit at once would leave). */
  running: PhaseName | null = null;
  /** What `current` pointed at when finish read it back. */
  serving: { release: string | null; sha: string | null } | null = null;
  /** Whether the ledger has this run's line (HostOutcome.recorded): null until finish writes it. */
  recorded: boolean | null = null;
  /** The host stages it got through (setup: all of them means done). */
  stagesDone = 0;
  /** The lock was held, then lost with the connection: this run cannot write the host's ledger. */
  lostLock = false;
  /** After publish, whether the host went back: `back` (current is on ctx.previous again), `unknown` (a rollback failed or could not reach the host), null (not tried). */
  wentBack: 'back' | 'unknown' | null = null;
  private readonly started = Date.now();
  private finished: number | null = null;

  constructor(run: RunInfo, target: HostTarget) {
    this.ctx = hostContext(run, target);
  }

  get label(): string {
    return this.ctx.target.label;
  }

  /** True when the host's failure was the interrupt stopping its command. */
  get interrupted(): boolean {
    return this.failure !== null && isInterrupt(this.failure.error);
  }

  /** Runs a phase of the plan; false (and `failure` set) when it failed. */
  async runPhase(phase: HostPhase): Promise<boolean> {
    if (phase.applies && !phase.applies(this.ctx)) return true;
    try {
      await this.timed(phase.name, async () => {
        const changes = await phase.run(this.ctx, (tracked) => (this.ctx = withChanges(this.ctx, tracked)));
        this.ctx = withChanges(this.ctx, changes);
      });
      return true;
    } catch (error) {
      this.failure = { phase: phase.name, message: messageOf(error, this.label), error };
      return false;
    }
  }

  /** Runs a step outside the plan's phases; a failure becomes a note and false. */
  async step(name: PhaseName, body: () => Promise<void>): Promise<boolean> {
    try {
      await this.timed(name, body);
      return true;
    } catch (error) {
      this.notes.push(`${name} failed: ${messageOf(error, this.label)}`);
      return false;
    }
  }

  /** A usable connection: the same one, or a new one when the failure was a lost connection (false when none). */
  async reconnect(): Promise<boolean> {
    if (!(this.failure && isConnectionLoss(this.failure.error))) return this.ctx.connection !== null;
    if (this.ctx.connection === null && this.failure.phase === 'check') return false;
    await this.ctx.connection?.close().catch(() => undefined);
    this.lostLock ||= this.ctx.lock !== null;
    this.ctx = withChanges(this.ctx, { connection: null, lock: null, pendingLock: null });
    // a host whose sshd is restarting refuses for a moment: tried again for a few seconds; a host that does not answer at all took ConnectTimeout already
    for (let attempt = 0; ; attempt++) {
      try {
        this.ctx = withChanges(this.ctx, { connection: await this.ctx.run.connect(this.ctx.target), reconnected: true });
        this.failure = { ...this.failure, error: null };
        return true;
      } catch (error) {
        const brief = error instanceof TransportError && (error.code === 'CONNECT_REFUSED' || error.code === 'CONNECTION_LOST');
        if (brief && attempt < RECONNECT_RETRY_MS.length) {
          await new Promise((resolve) => setTimeout(resolve, RECONNECT_RETRY_MS[attempt]));
          continue;
        }
        this.notes.push(`could not reconnect (${messageOf(error, this.label)}); what this run did there is unknown until the host answers (\`curr\` and \`list\` read it); the next deploy clears what a run left behind`);
        return false;
      }
    }
  }

  /** Releases the lock and closes the connection, each within 5 s. */
  async close(): Promise<void> {
    const within = (promise: Promise<unknown>): Promise<unknown> => Promise.race([promise.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    if (this.ctx.live) await within(this.ctx.live.stop());
    if (this.ctx.pendingLock) await within(this.ctx.pendingLock.cancel());
    if (this.ctx.lock) await within(this.ctx.lock.release());
    this.ctx = withChanges(this.ctx, { lock: null, pendingLock: null });
    if (this.ctx.connection) await within(this.ctx.connection.close());
    this.finished ??= Date.now();
  }

  /** How the host ended, before the read back. */
  statusOf(success: HostStatus): HostStatus {
    return this.status ?? (this.interrupted ? 'aborted' : this.failure ? 'failed' : success);
  }

  /** The host's line of the summary: `release` is what finish read back, else what the host is known to serve. */
  outcome(success: HostStatus, target: string | null = null): HostOutcome {
    const { ctx } = this;
    const status = this.statusOf(success);
    const known = ctx.published && (status === success || status === 'failed') ? ctx.release : ctx.previous;
    const release = this.serving ? this.serving.release : known;
    const sha = this.serving ? this.serving.sha : release === ctx.release && ctx.sha ? ctx.sha : release ? shaOf(release) : null;
    return {
      host: this.label,
      address: addressOf(ctx.target),
      status,
      phase: this.failure?.phase ?? null,
      message: this.message ?? this.failure?.message ?? null,
      release,
      sha,
      readBack: this.serving !== null,
      target,
      previous: ctx.previous,
      recorded: this.recorded,
      durationMs: (this.finished ?? Date.now()) - this.started,
      notes: [...this.notes],
      ...(ctx.answer !== null ? { data: ctx.answer } : {}),
    };
  }

  private async timed(phase: PhaseName, body: () => Promise<void>): Promise<void> {
    const { emit } = this.ctx.run;
    const started = Date.now();
    this.running = phase;
    emit({ kind: 'phase-start', host: this.label, phase });
    try {
      await body();
    } catch (error) {
      emit({ kind: 'phase-failed', host: this.label, phase, message: messageOf(error, this.label) });
      throw error;
    } finally {
      this.running = null;
    }
    emit({ kind: 'phase-done', host: this.label, phase, durationMs: Date.now() - started });
  }
}

// a command that timed out ended its channel, not the connection: that one is still usable (and holds the lock)
function isConnectionLoss(error: unknown): boolean {
  return error instanceof TransportError && error.code === 'CONNECTION_LOST';
}

/** True for the error of a command (or local hook) stopped by the run's interrupt. */
export function isInterrupt(error: unknown): boolean {
  return (error instanceof TransportError && error.code === 'INTERRUPTED') || (error instanceof DeployStepError && error.code === 'INTERRUPTED');
}

/** A failure as one line that names the host: the error's own, else `host`. */
export function messageOf(error: unknown, host: string | null): string {
  return errorLine(error, host);
}
