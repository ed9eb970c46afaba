// Runs a plan over every host of an environment: stages of phases in parallel (bounded by
// `parallel`), a barrier before publish (a failure anywhere before it and no host publishes),
// publishing in rolling batches that stop at the first failed one, rollback after a failed
// publish, and an outcome for EVERY host.
import { batches, mapBounded } from './bounded.js';
import type { HostContext, RunInfo } from './context.js';
import type { HostOutcome, HostStatus } from './events.js';
import { HostSlot, messageOf } from './host-slot.js';
import type { HostPhase, LocalPhase, Stage } from './phase.js';


/** What a command does on the hosts. */
export interface FlowPlan {
  readonly stages: readonly Stage[];
  /** Run after the barrier, batch by batch (`rolling`), on hosts that all prepared. */
  readonly publish: readonly HostPhase[];
  /** Hosts do not wait for each other: one host's failure cancels nothing (setup, queries). */
  readonly independent: boolean;
  readonly successStatus: HostStatus;
  /** Undoes what a host prepared (it will not publish). */
  cancel(ctx: HostContext): Promise<void>;
  /** Puts a host that published back on its previous release. */
  rollback(ctx: HostContext): Promise<void>;
  /** At the barrier: a reason the prepared hosts may not publish together (they resolved different commits), or null. */
  agree?(prepared: HostContext[]): string | null;
  /** Last for a connected host: record, prune (then the flow unlocks); returns notes for the summary. */
  finish?(ctx: HostContext, outcome: HostOutcome): Promise<string[]>;
}

/** Runs the plan; resolves with one outcome per host, in the environment's order, never rejects for a host's failure. */
export async function runFlow(run: RunInfo, plan: FlowPlan): Promise<HostOutcome[]> {
  const flow = new Flow(run, plan);
  try {
    await flow.prepare();
    flow.barrier();
    if (flow.aborted()) await flow.cancelAll();
    else await flow.publish();
  } finally {
    await flow.finish();
  }
  return flow.slots.map((slot) => slot.outcome(plan.successStatus));
}

class Flow {
  readonly slots: HostSlot[];
  private abort: string | null = null;

  constructor(
    private run: RunInfo,
    private readonly plan: FlowPlan,
  ) {
    this.slots = run.environment.hosts.map((target) => new HostSlot(run, target));
  }

  /** True once a failure means no host may publish. */
  aborted(): boolean {
    return this.abort !== null && !this.plan.independent;
  }

  /** The stages before the barrier; the first failure stops every host at its next phase. */
  async prepare(): Promise<void> {
    for (const stage of this.plan.stages) {
      if (this.aborted()) return;
      if ('local' in stage) await this.runLocal(stage.local);
      else await mapBounded(this.slots.filter((slot) => !slot.failure), this.run.environment.parallel, (slot) => this.runPhases(slot, stage.hosts));
    }
  }

  /** Every host prepared: do they agree on what to publish? */
  barrier(): void {
    if (this.aborted() || !this.plan.agree) return;
    this.abort = this.plan.agree(this.slots.map((slot) => slot.ctx));
  }

  /** The barrier failed: every host removes what it prepared; those that had not failed are "not published". */
  async cancelAll(): Promise<void> {
    await mapBounded(this.slots, this.run.environment.parallel, (slot) => this.cleanup(slot));
    for (const slot of this.slots.filter((s) => !s.failure)) [slot.status, slot.message] = ['cancelled', `not published: ${this.abort}`];
  }

  /** Every host prepared: publish batch by batch; a failed host goes back, and with rolling its whole batch, and later batches never publish. */
  async publish(): Promise<void> {
    if (this.plan.publish.length === 0) return;
    const { rolling } = this.run.environment;
    let stopped: string | null = null;
    for (const [index, batch] of batches(this.slots.filter((slot) => !slot.failure), rolling).entries()) {
      if (stopped) {
        await mapBounded(batch, batch.length, (slot) => this.cleanup(slot));
        for (const slot of batch) [slot.status, slot.message] = ['cancelled', `not published: ${stopped}`];
        continue;
      }
      await mapBounded(batch, batch.length, (slot) => this.runPhases(slot, this.plan.publish));
      const failed = batch.filter((slot) => slot.failure);
      await mapBounded(failed, failed.length, (slot) => (slot.ctx.published ? this.rollback(slot, slot.failure!.message) : this.cleanup(slot)));
      if (failed.length > 0 && rolling > 0) {
        const names = failed.map((slot) => slot.label).join(', ');
        stopped = `batch ${index + 1} failed (${names})`;
        const mates = batch.filter((slot) => !slot.failure);
        await mapBounded(mates, mates.length, (slot) => this.rollback(slot, `its batch failed (${names})`));
      }
    }
  }

  /** Every connected host records and unlocks; every host's outcome is emitted. */
  async finish(): Promise<void> {
    const { plan } = this;
    await mapBounded(this.slots, this.slots.length, async (slot) => {
      if (slot.ctx.connection && plan.finish) {
        const outcome = slot.outcome(plan.successStatus);
        await slot.step('finish', async () => void slot.notes.push(...(await plan.finish!(slot.ctx, outcome))));
      }
      await slot.close();
      this.run.emit({ kind: 'host-done', outcome: slot.outcome(plan.successStatus) });
    });
    this.run.archive?.dispose();
  }

  private async runPhases(slot: HostSlot, phases: readonly HostPhase[]): Promise<void> {
    for (const phase of phases) {
      if (this.aborted()) return;
      if (!(await slot.runPhase(phase))) {
        this.abort ??= `${slot.label} failed in ${phase.name}`;
        return;
      }
    }
  }

  private async runLocal(phase: LocalPhase): Promise<void> {
    if (phase.applies && !phase.applies(this.run)) return;
    const { emit } = this.run;
    const started = Date.now();
    emit({ kind: 'phase-start', host: null, phase: phase.name });
    try {
      const next = await phase.run(this.run);
      if (next) {
        this.run = next;
        for (const slot of this.slots) slot.ctx = Object.freeze({ ...slot.ctx, run: next });
      }
      emit({ kind: 'phase-done', host: null, phase: phase.name, durationMs: Date.now() - started });
    } catch (error) {
      const message = messageOf(error, null);
      emit({ kind: 'phase-failed', host: null, phase: phase.name, message });
      this.abort = `${phase.name} failed on this machine: ${message}`;
    }
  }

  private async cleanup(slot: HostSlot): Promise<void> {
    if (!slot.ctx.created || slot.ctx.published || !(await slot.reconnect())) return;
    await slot.step('cleanup', () => this.plan.cancel(slot.ctx));
  }

  private async rollback(slot: HostSlot, why: string): Promise<void> {
    const from = slot.ctx.release;
    const give = (message: string): void => void ([slot.status, slot.message] = ['failed', `${why}; ${message}`]);
    if (!this.run.environment.autoRollback) return give(`auto_rollback is off: current stays on ${from}`);
    if (!slot.ctx.previous) return give(`no previous release to roll back to: current stays on ${from}`);
    if (!(await slot.reconnect())) return give(`could not reconnect to roll back: current may still be ${from}`);
    if (!(await slot.step('rollback', () => this.plan.rollback(slot.ctx)))) return give('the rollback failed too');
    [slot.status, slot.message] = ['rolled-back', `${why}; rolled back to ${slot.ctx.previous}`];
  }
}
