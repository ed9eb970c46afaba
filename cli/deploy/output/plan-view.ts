// `--plan`: nothing while the run goes; then, per host, the phases in the order they ran and the
// commands each would have run (the `planned` events of a rehearsal), as text or as JSON.
import type { Style } from '../../output/style.js';
import { succeeded, type DeployEvent, type HostOutcome, type PhaseName } from '../events.js';
import { remoteText } from './format.js';
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

/** Collects the plan from a rehearsal's events. */
export function planCollector(): { emit(event: DeployEvent): void; plans(): HostPlan[] } {
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
    },
    plans: () => [...byHost.values()],
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
        out.write(`${JSON.stringify({ command: input.command, environment: input.environment, plan: true, ok: planned(input.outcomes), local: local?.phases ?? [], hosts }, null, 2)}\n`);
        return;
      }
      const lines = [style.bold(`plan of pmx deploy ${input.environment} ${input.command}: ${input.outcomes.length} host${input.outcomes.length === 1 ? '' : 's'}; nothing was changed (read-only checks ran)`)];
      lines.push(...notes.map((note) => style.yellow(`warning: ${remoteText(note)}`)));
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

function phaseLines(phases: PlannedPhase[], style: Style): string[] {
  return phases.flatMap((phase) => [
    `  ${phase.phase}${phase.failed ? ` ${style.red('failed')}: ${remoteText(phase.failed)}` : phase.commands.length === 0 ? style.gray(' (changes nothing)') : ''}`,
    ...phase.commands.map((command) => `    $ ${remoteText(command)}`),
  ]);
}
