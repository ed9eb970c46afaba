// `--json`: nothing while the run goes, then one JSON document on stdout: the command, whether
// every host succeeded and serves the run's release (as read back), the interrupt if any, and
// each host's outcome (with its answer for list, curr, prev, exec).
import { serving } from '../events.js';
import type { SummaryInput } from './summary.js';
import type { DeployView } from './view.js';

/** The document --json prints. */
export function jsonDocument(input: SummaryInput): Record<string, unknown> {
  const target = input.outcomes.find((o) => o.target !== null)?.target ?? null;
  return { command: input.command, environment: input.environment, ok: input.outcomes.every(serving), interrupted: input.interrupted ?? null, target, ...(input.ramp ? { ramp: input.ramp } : {}), hosts: input.outcomes };
}

/** Collects nothing but the result; prints it once. */
export function jsonView(out: NodeJS.WritableStream): DeployView {
  return {
    emit: () => undefined,
    async finish(input) {
      out.write(`${JSON.stringify(jsonDocument(input), null, 2)}\n`);
    },
  };
}
