// The ramp of one run as the flow goes through it: the batches (from `rolling`), the failures
// counted against `max_fail`, and the batch that stopped it. Without `rolling` there is one batch
// and no count: each failed host goes back alone, as before ramps existed.
import type { HostSlot } from './host-slot.js';
import { allowedFailures, batchSizes, describeRolling, show, splitBatches } from './ramp.js';
import type { DeployEnvironment } from './types.js';

/** What a ramp did, for the summary and --json. */
export interface RampReport {
  /** `steps 1, 50%, 100%`, `batches of 2`. */
  rolling: string;
  /** The hosts of each batch, in publishing order. */
  batches: string[][];
  /** How long each batch but the last was held healthy before the next published. */
  holdMs: number;
  /** `max_fail` as written, and the failures it allows for the selected hosts. */
  maxFail: string;
  allowed: number;
  /** How many batches started publishing (fewer than the batches when the ramp stopped or was interrupted). */
  published: number;
  /** The hosts that failed after the barrier, in the order they failed. */
  failed: string[];
  /** The batch (1-based) that stopped the deploy and why; `beforePublish` when a failure before the barrier stopped it (no batch published, max_fail does not apply); null when it went through. */
  stopped: { batch: number; reason: string; beforePublish?: true } | null;
  /** Once stopped, the published hosts as they ended: sent back to their previous release, left on the new one (`autoRollbackOff`: why), or perhaps still on it (the rollback failed or could not reach them). */
  wentBack: string[];
  stayed: string[];
  unsure: string[];
  autoRollbackOff: boolean;
}

/** The ramp of a run (owned by one Flow). */
export class Ramp {
  readonly batches: HostSlot[][];
  /** Why the ramp stopped (later batches do not publish), or null. */
  stopped: string | null = null;
  private readonly report: RampReport | null;

  constructor(environment: DeployEnvironment, slots: HostSlot[]) {
    const { rolling, batchWaitMs, maxFail } = environment;
    this.batches = splitBatches(slots, batchSizes(rolling, slots.length));
    this.report =
      rolling === null
        ? null
        : { rolling: describeRolling(rolling), batches: this.batches.map((batch) => batch.map((slot) => slot.label)), holdMs: batchWaitMs, maxFail: show(maxFail), allowed: allowedFailures(maxFail, slots.length), published: 0, failed: [], stopped: null, wentBack: [], stayed: [], unsure: [], autoRollbackOff: !environment.autoRollback };
  }

  /** True when `rolling` is set: failures count against max_fail, and going over it stops the deploy. */
  get on(): boolean {
    return this.report !== null;
  }

  /** Batch `index` starts publishing. */
  publishing(index: number): void {
    if (this.report) this.report.published = index + 1;
  }

  /** Whether batch `index` is held before the next one publishes. */
  holds(index: number): boolean {
    return this.report !== null && this.report.holdMs > 0 && index < this.batches.length - 1;
  }

  /** Counts hosts that failed in batch `index`; true while the failures stay within max_fail (never without a ramp). */
  tolerates(index: number, failed: HostSlot[], phase: string): boolean {
    if (failed.length === 0) return true;
    if (this.report === null) return false;
    const report = this.report;
    report.failed.push(...failed.map((slot) => slot.label));
    const names = failed.map((slot) => slot.label).join(', ');
    if (report.failed.length <= report.allowed) {
      for (const slot of failed) slot.notes.push(`within max_fail ${report.maxFail} (${report.failed.length} of ${report.allowed} allowed failures): the ramp went on`);
      return true;
    }
    const count = report.allowed > 0 ? `; ${report.failed.length} hosts failed, max_fail ${report.maxFail} allows ${report.allowed}` : '';
    this.stopped = phase === 'publish' ? `publish failed on ${names} (batch ${index + 1}${count})` : `batch ${index + 1} failed (${names}${count})`;
    report.stopped = { batch: index + 1, reason: `${failed.map((slot) => `${slot.label} failed in ${slot.failure?.phase ?? phase}`).join(', ')}${count}` };
    return false;
  }

  /** A failure before the barrier (or the barrier's refusal): no batch publishes, whatever max_fail says. */
  refused(reason: string): void {
    if (this.report) this.report.stopped = { batch: 1, reason, beforePublish: true };
  }

  /** The report, once the flow is done (null without `rolling`): a stopped ramp says where each published host ended. */
  result(): RampReport | null {
    const report = this.report;
    if (report === null || report.stopped === null) return report;
    const slots = this.batches.flat();
    const labels = (keep: (slot: HostSlot) => boolean): string[] => slots.filter(keep).map((slot) => slot.label);
    return {
      ...report,
      wentBack: labels((slot) => slot.wentBack === 'back'),
      stayed: labels((slot) => slot.ctx.published && slot.wentBack === null),
      unsure: labels((slot) => slot.ctx.published && slot.wentBack === 'unknown'),
    };
  }
}
