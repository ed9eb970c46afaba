// The view off a terminal (CI logs, pipes): one plain line per event with the host's prefix,
// then the summary.
import type { Style } from '../../output/style.js';
import type { DeployEvent } from '../events.js';
import { plainLine } from './format.js';
import { renderAnswers, renderSummary, type SummaryInput } from './summary.js';
import type { DeployView } from './view.js';

/** Writes events as lines to `out` as they come. */
export function plainView(out: NodeJS.WritableStream, style: Style): DeployView {
  return {
    emit(event: DeployEvent) {
      const line = plainLine(event, style);
      if (line !== null) out.write(`${line}\n`);
    },
    async finish(input: SummaryInput) {
      const lines = [...renderAnswers(input, style), '', ...renderSummary(input, style)];
      out.write(`${lines.join('\n')}\n`);
    },
  };
}
