// Runs a plan over every host of an environment: stages of phases in parallel (bounded by
// `parallel`; host stages with no local phase between them run as one, so no host waits for a
// slower one before the barrier), a barrier before publish (a failure anywhere before it, or an interrupt, and no host
// publishes), then batch by batch (the ramp, `rolling`) the switch of `current`, post-deploy and
// health check per host, and the hold (`batch_wait`) before the next batch. A failed host goes
// back to its previous release. Without a ramp there is one batch whose switch is a barrier (a
// failed switch anywhere and every host goes back) and after it each host goes on alone. With a
// ramp, failures count against `max_fail`: within it the ramp goes on; over it the deploy stops,
// later batches never publish and every published host goes back. An interrupt after the first
// switch lets the hosts that switched finish (a hold ends at once). Every host is then recorded,
// read back, unlocked, and gets an outcome.
import { mapBounded } from '../shared/bounded.js';
import type { HostChanges, HostContext, RunInfo } from './context.js';
import type { HostOutcome, HostStatus, PhaseName } from './events.js';
import { Ramp, type RampReport } from './flow-ramp.js';
import { leftoversOf } from './flow-leftovers.js';
import { HostSlot, messageOf } from './host-slot.js';
import type { FinishReport } from './phases/finish.js';
import type { HostPhase, LocalPhase, Stage } from './phase.js';

/** What the barrier decides: refuse (no host publishes), or changes every prepared host takes (revert's target). */
export type Verdict = { refuse: string } | { changes: HostChanges } | null;

/** What a command does on the hosts. */
export interface FlowPlan {
  readonly stages: readonly Stage[];
  /** After the barrier, batch by batch: the first phase switches what is live (publish), the others follow on each host. */
  readonly publish: readonly HostPhase[];
  /** With a ramp: run on each host of a batch that passed, before the next batch publishes (batch_wait). */
  readonly hold?: HostPhase;
  /** Hosts do not wait for each other: one host's failure cancels nothing (setup, queries). */
  readonly independent: boolean;
  readonly successStatus: HostStatus;
  /** The run makes every host serve one release (deploy, revert): the outcome names it and the read back is checked against it. */
  readonly switches?: boolean;
  /** Undoes what a host prepared (it will not publish). */
  cancel(ctx: HostContext): Promise<void>;
  /** Puts a host that published back on its previous release. */
  rollback(ctx: HostContext): Promise<void>;
  /** At the barrier, given every prepared host. */
  settle?(prepared: HostContext[]): Verdict;
  /** Last for a connected host: record, read back, prune (then the flow unlocks). */
  finish?(ctx: HostContext, outcome: HostOutcome): Promise<FinishReport>;
}

/** One outcome per host, in the environment's order, the signal that interrupted the run (or null), and what the ramp did (null without `rolling`). */
export interface FlowResult {
  outcomes: HostOutcome[];
  interrupted: string | null;
  ramp: RampReport | null;
}

/** Runs the plan; never rejects for a host's failure. */
export async function runFlow(run: RunInfo, plan: FlowPlan): Promise<FlowResult> {
  const flow = new Flow(run, plan);
  try {
    await flow.prepare();
    flow.barrier();
    flow.settled();
    if (flow.stopped() !== null) {
      if (!run.interruption.by) flow.ramp.refused(flow.stopped()!);
      await flow.cancelAll();
    }
    else await flow.publish();
  } finally {
    flow.settled();
    await flow.finish();
    flow.dispose();
  }
  const target = plan.switches ? (flow.slots.find((slot) => slot.ctx.release !== null)?.ctx.release ?? null) : null;
  return { outcomes: flow.slots.map((slot) => slot.outcome(plan.successStatus, target)), interrupted: run.interruption.by, ramp: plan.switches ? flow.ramp.result() : null };
}

class Flow {
  readonly slots: HostSlot[];
  /** The batches after the barrier and the failures counted against max_fail. */
  readonly ramp: Ramp;
  private abort: string | null = null;
  /** The plan's stages as this run takes them (joinedStages). */
  private readonly stages: readonly Stage[];
  private stage: 'prepare' | 'publish' | 'finish' = 'prepare';
  private readonly onInterrupt = (): void => this.announce();

  constructor(
    private run: RunInfo,
    private readonly plan: FlowPlan,
  ) {
    this.slots = run.environment.hosts.map((target) => new HostSlot(run, target));
    this.ramp = new Ramp(run.environment, this.slots);
    this.stages = joinedStages(plan.stages, run);
    run.interruption.describeLeftovers(() => leftoversOf(this.slots, this.stage).map(run.mask.apply));
    run.interruption.onQuit(() => this.run.archive?.dispose());
    run.interruption.signal.addEventListener('abort', this.onInterrupt, { once: true });
  }

  /** Why no further host may publish now (an interrupt, or a failure unless hosts are independent), or null. */
  stopped(): string | null {
    if (this.run.interruption.by) return `interrupted (${this.run.interruption.by})`;
    return this.plan.independent ? null : this.abort;
  }

  /** The stages before the barrier; the first failure (or the interrupt) stops every host at its next phase. */
  async prepare(): Promise<void> {
    for (const stage of this.stages) {
      if (this.stopped()) return;
      if ('local' in stage) await this.runLocal(stage.local);
      else {
        // in the order the hosts take their locks, if they take them one after another (lock-order.ts)
        const hosts = this.slots.filter((slot) => !slot.failure);
        await mapBounded(this.run.lockOrder?.sorted(hosts) ?? hosts, this.run.environment.parallel, (slot) => this.runPhases(slot, stage.hosts));
      }
    }
  }

  /** Every host prepared: may they publish together, and what do they all take? */
  barrier(): void {
    if (this.stopped() || !this.plan.settle) return;
    const verdict = this.plan.settle(this.slots.map((slot) => slot.ctx));
    if (verdict && 'refuse' in verdict) this.abort = verdict.refuse;
    else if (verdict) for (const slot of this.slots) slot.ctx = Object.freeze({ ...slot.ctx, ...verdict.changes });
  }

  /** From here on an interrupt stops no command: what runs finishes, so that no host is left half-switched. */
  settled(): void {
    this.stage = this.stage === 'prepare' ? 'publish' : this.stage;
    for (const slot of this.slots) if (slot.ctx.run.stop) slot.ctx = Object.freeze({ ...slot.ctx, run: { ...slot.ctx.run, stop: null } });
  }

  /** Nothing publishes: every host removes what it prepared; each says why (a host of setup that got through keeps its result). */
  async cancelAll(): Promise<void> {
    const reason = this.stopped()!;
    await mapBounded(this.slots, this.run.environment.parallel, (slot) => this.cleanup(slot));
    const interrupted = this.run.interruption.by !== null;
    const removed = (slot: HostSlot): string => (slot.ctx.created ? '; the prepared release was removed' : '');
    const stages = this.stages.filter((stage) => 'hosts' in stage).length;
    for (const slot of this.slots) {
      if (slot.interrupted) [slot.status, slot.message] = ['aborted', `interrupted in ${slot.failure!.phase}${removed(slot)}`];
      else if (slot.failure || (this.plan.independent && slot.stagesDone === stages)) continue;
      else if (interrupted) [slot.status, slot.message] = ['aborted', `${reason} before ${this.plan.independent ? 'it finished' : 'publish'}${removed(slot)}`];
      else [slot.status, slot.message] = ['cancelled', `not published: ${reason}`];
    }
  }

  /** Batch by batch: switch, post-deploy and health check on each host, then the hold; failures go back as the rules say. */
  async publish(): Promise<void> {
    if (this.plan.publish.length === 0) return;
    const [switchPhase, ...after] = this.plan.publish as [HostPhase, ...HostPhase[]];
    const { ramp } = this;
    const of = ramp.batches.length;
    for (const [index, batch] of ramp.batches.entries()) {
      const reason = ramp.stopped ?? (this.run.interruption.by ? `interrupted (${this.run.interruption.by})` : null);
      if (reason) {
        await mapBounded(batch, batch.length, (slot) => this.cleanup(slot));
        for (const slot of batch) [slot.status, slot.message] = this.run.interruption.by && !ramp.stopped ? ['aborted', `${reason} before this batch published`] : ['cancelled', `not published: ${reason}`];
        continue;
      }
      ramp.publishing(index);
      if (ramp.on && this.plan.switches) this.run.emit({ kind: 'batch-start', batch: index + 1, of, hosts: batch.map((slot) => slot.label) });
      await mapBounded(batch, batch.length, (slot) => slot.runPhase(switchPhase));
      const unswitched = batch.filter((slot) => slot.failure);
      await mapBounded(unswitched, unswitched.length, (slot) => this.unswitch(slot));
      if (!ramp.tolerates(index, unswitched, switchPhase.name)) {
        // post-deploy has run nowhere in this batch yet: every host of it that switched goes back, whatever auto_rollback says
        const names = unswitched.map((slot) => slot.label).join(', ');
        ramp.stopped ??= `${switchPhase.name} failed on ${names}`;
        await this.goBack(batch, `${switchPhase.name} failed on ${names}`, `the ramp stopped: ${ramp.stopped}`);
        continue;
      }
      const live = batch.filter((slot) => !slot.failure);
      await mapBounded(live, live.length, (slot) => this.runAfter(slot, after));
      if (!(await this.settleFailures(index, live, after.at(-1)?.name ?? switchPhase.name))) continue;
      if (!ramp.holds(index) || !this.plan.hold) continue;
      const holding = live.filter((slot) => !slot.failure);
      // every host of the batch failed within max_fail and went its way: nothing left to hold
      if (holding.length === 0) continue;
      this.run.emit({ kind: 'batch-hold', batch: index + 1, of, hosts: holding.map((slot) => slot.label), holdMs: this.run.environment.batchWaitMs, checked: this.run.environment.healthcheck !== null });
      await mapBounded(holding, holding.length, (slot) => slot.runPhase(this.plan.hold!));
      await this.settleFailures(index, holding, this.plan.hold.name);
    }
  }

  /** Every connected host records, is read back and unlocks; every host's outcome is emitted. */
  async finish(): Promise<void> {
    this.stage = 'finish';
    const { plan } = this;
    await mapBounded(this.slots, this.slots.length, async (slot) => {
      if (plan.finish && slot.ctx.connection && (await slot.reconnect())) {
        const outcome = slot.outcome(plan.successStatus);
        const held = slot.ctx.lock !== null;
        const done = await slot.step('finish', async () => {
          const report = await plan.finish!(slot.ctx, outcome);
          slot.notes.push(...report.notes);
          [slot.serving, slot.recorded] = [report.serving, report.recorded];
        });
        if (!done && held) slot.recorded = false;
      }
      if (plan.finish && slot.lostLock && slot.recorded !== true) {
        slot.recorded = false;
        // the host may have gone on without us: the command it ran records the run itself when it ends
        slot.notes.push("this run's ledger line on this host could not be read back: the connection, and the lock with it, was lost while its commands ran, which may have gone on and written one (`list` reads the ledger)");
      }
      await slot.close();
      this.run.emit({ kind: 'host-done', outcome: slot.outcome(plan.successStatus) });
    });
    this.run.archive?.dispose();
  }

  dispose(): void {
    this.run.interruption.signal.removeEventListener('abort', this.onInterrupt);
    this.run.interruption.describeLeftovers(() => []);
    this.run.interruption.onQuit(() => undefined);
  }

  private async runPhases(slot: HostSlot, phases: readonly HostPhase[]): Promise<void> {
    for (const phase of phases) {
      if (this.stopped()) return;
      if (!(await slot.runPhase(phase))) {
        if (!slot.interrupted) this.abort ??= `${slot.label} failed in ${phase.name}`;
        return;
      }
    }
    slot.stagesDone++;
  }

  // after the switch each host goes on alone: another host's failure (or an interrupt) stops nothing
  private async runAfter(slot: HostSlot, phases: readonly HostPhase[]): Promise<void> {
    for (const phase of phases) if (!(await slot.runPhase(phase))) return;
  }

  // a local phase that does not apply to this run is not among the stages (joinedStages)
  private async runLocal(phase: LocalPhase): Promise<void> {
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

  private announce(): void {
    const by = this.run.interruption.by;
    const what =
      this.stage === 'prepare'
        ? 'stopping every host before publish: prepared releases are removed, locks released, nothing switches'
        : this.stage === 'publish'
          ? `hosts that switched current finish post-deploy and the health check; batches not yet published do not publish${this.ramp.holds(0) ? '; a batch on hold stops holding and keeps the new release' : ''}`
          : 'finishing: recording, reading back and unlocking each host';
    this.run.emit({ kind: 'note', host: null, level: 'warn', message: `interrupted (${by}): ${what}; interrupt again to quit at once (it says what may be left)` });
  }

  private async cleanup(slot: HostSlot): Promise<void> {
    if (!slot.ctx.created || slot.ctx.published || !(await slot.reconnect())) return;
    await slot.step('cleanup', () => this.plan.cancel(slot.ctx));
  }

  // the host whose switch failed: its new release goes (refused while current points at it: the
  // switch may have happened before the connection broke, and then current goes back first)
  private async unswitch(slot: HostSlot): Promise<void> {
    if (!this.plan.switches) return;
    const failure = slot.failure!.message;
    if (!(await slot.reconnect())) return void (slot.message = `${failure}; current may point at ${slot.ctx.release} (could not reconnect to check)`);
    // a revert made no release to remove (its cleanup has nothing to do and says done): whether its
    // switch happened is not known, so current is put back on the release it left
    const removed = slot.ctx.created && (await slot.step('cleanup', () => this.plan.cancel(slot.ctx)));
    if (removed || (await slot.step('rollback', () => this.plan.rollback(slot.ctx)))) [slot.wentBack, slot.message] = ['back', `${failure}; current stays on ${slot.ctx.previous ?? 'nothing (no release before)'}`];
    else [slot.wentBack, slot.message] = ['unknown', `${failure}; current may point at ${slot.ctx.release}`];
  }

  // the hosts of `ran` that failed go back; over max_fail the ramp stops and every published batch goes back too
  private async settleFailures(index: number, ran: HostSlot[], phase: PhaseName): Promise<boolean> {
    const failed = ran.filter((slot) => slot.failure && slot.status === null);
    await mapBounded(failed, failed.length, (slot) => this.rollback(slot, slot.failure!.message));
    if (!this.ramp.on || this.ramp.tolerates(index, failed, phase)) return true;
    const names = failed.map((slot) => slot.label).join(', ');
    await this.goBack(ran, `its batch failed (${names})`, `the ramp stopped: ${this.ramp.stopped}`);
    return false;
  }

  // every host still on the new release goes back: its batch mates say `mates`, the earlier batches `earlier`
  private async goBack(batch: HostSlot[], mates: string, earlier: string): Promise<void> {
    const live = this.slots.filter((slot) => slot.ctx.published && !slot.failure && slot.status === null);
    await mapBounded(live, live.length, (slot) => this.rollback(slot, batch.includes(slot) ? mates : earlier, !slot.ctx.reloaded));
  }

  private async rollback(slot: HostSlot, why: string, always = false): Promise<void> {
    const from = slot.ctx.release;
    const give = (message: string): void => void ([slot.status, slot.message] = ['failed', `${why}; ${message}`]);
    if (!slot.ctx.published) return;
    if (!always && !this.run.environment.autoRollback) return give(`auto_rollback is off: current stays on ${from}`);
    if (!slot.ctx.previous && slot.ctx.reloaded) return give(`no previous release to roll back to: current stays on ${from}`);
    slot.wentBack = 'unknown';
    if (!(await slot.reconnect())) return give(`could not reconnect to roll back: current may still be ${from}`);
    if (!(await slot.step('rollback', () => this.plan.rollback(slot.ctx)))) return give(`the rollback failed too: current may still be ${from}, or the previous release may not be reloaded`);
    [slot.wentBack, slot.status, slot.message] = ['back', 'rolled-back', `${why}; ${slot.ctx.previous ? `rolled back to ${slot.ctx.previous}` : 'current removed (there was no release before)'}`];
  }
}

/**
 * The stages with the local ones that do not apply to this run left out, and the host stages that
 * then meet joined into one: a host goes from its lock to its fetch without waiting for the slowest
 * host's check when nothing runs on this machine in between. The barrier before publish is kept,
 * and a failure still stops every host at its next phase.
 */
export function joinedStages(stages: readonly Stage[], run: RunInfo): Stage[] {
  const joined: Stage[] = [];
  for (const stage of stages) {
    if ('local' in stage) {
      if (!stage.local.applies || stage.local.applies(run)) joined.push(stage);
      continue;
    }
    const last = joined.at(-1);
    if (last && 'hosts' in last) joined[joined.length - 1] = { hosts: [...last.hosts, ...stage.hosts] };
    else joined.push(stage);
  }
  return joined;
}
