// One host's place in a run: its current context, how it failed, how it ended, its notes. Runs a
// phase or a side step (cleanup, rollback, finish) on it, emitting their events, and reconnects
// once after a lost connection so that the host can still be cleaned up or rolled back.
import { TransportError } from '../transport/types.js';
import { addressOf, hostContext, withChanges, type HostContext, type RunInfo } from './context.js';
import type { HostOutcome, HostStatus, PhaseName } from './events.js';
import type { HostPhase } from './phase.js';
import { shaOf } from './revisions.js';
import type { HostTarget } from './types.js';

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
  /** Set when the flow decides it (cancelled, rolled back); otherwise derived from failure. */
  status: HostStatus | null = null;
  message: string | null = null;
  readonly notes: string[] = [];
  private readonly started = Date.now();
  private finished: number | null = null;

  constructor(run: RunInfo, target: HostTarget) {
    this.ctx = hostContext(run, target);
  }

  get label(): string {
    return this.ctx.target.label;
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
    await this.ctx.connection?.close().catch(() => undefined);
    this.ctx = withChanges(this.ctx, { connection: null, lock: null });
    try {
      this.ctx = withChanges(this.ctx, { connection: await this.ctx.run.connect(this.ctx.target) });
      return true;
    } catch (error) {
      this.notes.push(`could not reconnect to clean up (${messageOf(error, this.label)}); current was not touched; the next deploy removes what is left`);
      return false;
    }
  }

  /** Releases the lock and closes the connection, each within 5 s. */
  async close(): Promise<void> {
    const within = (promise: Promise<unknown>): Promise<unknown> => Promise.race([promise.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    if (this.ctx.lock) await within(this.ctx.lock.release());
    if (this.ctx.connection) await within(this.ctx.connection.close());
    this.finished ??= Date.now();
  }

  /** The host's line of the summary. */
  outcome(success: HostStatus): HostOutcome {
    const { ctx } = this;
    const status = this.status ?? (this.failure ? 'failed' : success);
    const live = status === success || (status === 'failed' && ctx.published) ? ctx.release : ctx.previous;
    return {
      host: this.label,
      address: addressOf(ctx.target),
      status,
      phase: this.failure?.phase ?? null,
      message: this.message ?? this.failure?.message ?? null,
      release: live,
      sha: live === ctx.release && ctx.sha ? ctx.sha : live ? shaOf(live) : null,
      previous: ctx.previous,
      durationMs: (this.finished ?? Date.now()) - this.started,
      notes: [...this.notes],
      ...(ctx.answer !== null ? { data: ctx.answer } : {}),
    };
  }

  private async timed(phase: PhaseName, body: () => Promise<void>): Promise<void> {
    const { emit } = this.ctx.run;
    const started = Date.now();
    emit({ kind: 'phase-start', host: this.label, phase });
    try {
      await body();
    } catch (error) {
      emit({ kind: 'phase-failed', host: this.label, phase, message: messageOf(error, this.label) });
      throw error;
    }
    emit({ kind: 'phase-done', host: this.label, phase, durationMs: Date.now() - started });
  }
}

// a command that timed out ended its channel, not the connection: that one is still usable (and holds the lock)
function isConnectionLoss(error: unknown): boolean {
  return error instanceof TransportError && error.code === 'CONNECTION_LOST';
}

/** A failure as one line that names the host. */
export function messageOf(error: unknown, host: string | null): string {
  const text = error instanceof Error ? error.message : String(error);
  return host && !text.includes(host) ? `${host}: ${text}` : text;
}
