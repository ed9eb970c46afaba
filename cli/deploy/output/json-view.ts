// `--json`: nothing while the run goes, then one JSON document on stdout: the command, whether
// every host succeeded, and each host's outcome (with its answer for list, curr, prev, exec).
import { succeeded } from '../events.js';
import type { SummaryInput } from './summary.js';
import type { DeployView } from './view.js';

/** The document --json prints. */
export function jsonDocument(input: SummaryInput): Record<string, unknown> {
  return { command: input.command, environment: input.environment, ok: input.outcomes.every(succeeded), hosts: input.outcomes };
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
