// `--plan`: nothing while the run goes; then, per host, the phases in the order they ran and the
// commands each would have run (the `planned` events of a rehearsal), as text or as JSON.
import type { Style } from '../../output/style.js';
import { succeeded, type DeployEvent, type HostOutcome, type PhaseName } from '../events.js';
import type { RampReport } from '../flow-ramp.js';
import { duration, remoteText } from './format.js';
import type { SummaryInput } from './summary.js';
import type { DeployView } from './view.js';

/** One phase of a host's plan. */
export interface PlannedPhase {
  phase: PhaseName;
  /** The commands it would run; none when it only reads (check) or had nothing to do. */
  commands: string[];
  /** Why the phase could not be planned (the host is not set up, unreachable, ...), or null. */
  failed: string | null;
}

/** The plan of one host (or of this machine, `host: null`). */
export interface HostPlan {
  host: string | null;
  phases: PlannedPhase[];
}

/** A batch of the ramp (`rolling`), in publishing order; `holdMs`: held that long before the next one. */
export interface PlannedBatch {
  batch: number;
  hosts: string[];
  holdMs: number;
}

/** Collects the plan from a rehearsal's events. */
export function planCollector(): { emit(event: DeployEvent): void; plans(): HostPlan[]; batches(): PlannedBatch[] } {
  const batches: PlannedBatch[] = [];
  const byHost = new Map<string | null, HostPlan>();
  const planOf = (host: string | null): HostPlan => byHost.get(host) ?? byHost.set(host, { host, phases: [] }).get(host)!;
  const phaseOf = (host: string | null, phase: PhaseName): PlannedPhase => {
    const plan = planOf(host);
    const last = plan.phases.at(-1);
    if (last?.phase === phase) return last;
    const next = { phase, commands: [], failed: null };
    plan.phases.push(next);
    return next;
  };
  return {
    emit(event) {
      if (event.kind === 'phase-start') phaseOf(event.host, event.phase);
      else if (event.kind === 'planned') phaseOf(event.host, event.phase).commands.push(event.command);
      else if (event.kind === 'phase-failed') phaseOf(event.host, event.phase).failed = event.message;
      else if (event.kind === 'batch-start') batches.push({ batch: event.batch, hosts: event.hosts, holdMs: 0 });
      else if (event.kind === 'batch-hold') batches.find((batch) => batch.batch === event.batch)!.holdMs = event.holdMs;
    },
    plans: () => [...byHost.values()],
    batches: () => batches,
  };
}

/** True when every host could be planned (the exit code of --plan). */
export function planned(outcomes: HostOutcome[]): boolean {
  return outcomes.every(succeeded);
}

/** Prints the plan as text, or as one JSON document. */
export function planView(out: NodeJS.WritableStream, style: Style, json: boolean): DeployView {
  const collector = planCollector();
  const notes: string[] = [];
  return {
    emit(event) {
      collector.emit(event);
      if (event.kind === 'note' && event.level === 'warn') notes.push(`${event.host ?? 'local'}: ${event.message}`);
    },
    async finish(input: SummaryInput) {
      const plans = collector.plans();
      const local = plans.find((plan) => plan.host === null);
      if (json) {
        const hosts = input.outcomes.map((o) => ({ host: o.host, address: o.address, ok: succeeded(o), message: o.message, current: o.previous, release: o.target, phases: plans.find((plan) => plan.host === o.host)?.phases ?? [] }));
        const ramp = collector.batches();
        out.write(`${JSON.stringify({ command: input.command, environment: input.environment, plan: true, ok: planned(input.outcomes), local: local?.phases ?? [], ...(ramp.length > 0 ? { batches: ramp } : {}), hosts }, null, 2)}\n`);
        return;
      }
      const lines = [style.bold(`plan of pmx deploy ${input.environment} ${input.command}: ${input.outcomes.length} host${input.outcomes.length === 1 ? '' : 's'}; nothing was changed (read-only checks ran)`)];
      lines.push(...notes.map((note) => style.yellow(`warning: ${remoteText(note)}`)));
      lines.push(...rampLines(collector.batches(), input.ramp ?? null));
      if (local) lines.push('local', ...phaseLines(local.phases, style));
      for (const outcome of input.outcomes) {
        const release = outcome.target ? `: ${outcome.previous ?? 'no release'} -> ${outcome.target}` : '';
        lines.push(`${style.bold(outcome.host)} (${outcome.address})${remoteText(release)}${succeeded(outcome) ? '' : ` ${style.red('cannot run')}: ${remoteText(outcome.message ?? outcome.status)}`}`);
        lines.push(...phaseLines(plans.find((plan) => plan.host === outcome.host)?.phases ?? [], style));
      }
      out.write(`${lines.join('\n')}\n`);
    },
  };
}

// the batches in publishing order, each with its hosts and its hold
function rampLines(batches: PlannedBatch[], ramp: RampReport | null): string[] {
  if (batches.length === 0) return [];
  const head = `ramp${ramp ? ` (${ramp.rolling}, max_fail ${ramp.maxFail}: ${ramp.allowed} host${ramp.allowed === 1 ? '' : 's'} may fail)` : ''}: ${batches.length} batch${batches.length === 1 ? '' : 'es'}, each publishing after the one before passed`;
  return [head, ...batches.map((b) => `  batch ${b.batch}/${batches.length}: ${remoteText(b.hosts.join(', '))}${b.holdMs > 0 ? `, then held ${duration(b.holdMs)}` : ''}`)];
}

function phaseLines(phases: PlannedPhase[], style: Style): string[] {
  return phases.flatMap((phase) => [
    `  ${phase.phase}${phase.failed ? ` ${style.red('failed')}: ${remoteText(phase.failed)}` : phase.commands.length === 0 ? style.gray(' (changes nothing)') : ''}`,
    ...phase.commands.map((command) => `    $ ${remoteText(command)}`),
  ]);
}
