// How a run is shown: a view gets every event, then the result; the command picks one (listr2
// on a terminal, plain lines elsewhere, JSON for machines).
import type { Emit } from '../events.js';
import type { SummaryInput } from './summary.js';

/** A way of showing a run. */
export interface DeployView {
  readonly emit: Emit;
  /** The run ended with these outcomes. */
  finish(input: SummaryInput): Promise<void>;
}
