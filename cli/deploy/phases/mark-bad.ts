// mark bad: a line in every host's ledger saying the release must not be served again; revert
// never picks it (a failed health check writes the same mark by itself).
import { appendRevisionCommand } from '../commands.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { formatRevision } from '../revisions.js';

/** Appends the mark under the lock; `current` is not touched. */
export const markBadPhase: HostPhase = {
  name: 'mark bad',
  async run(ctx) {
    const { paths, user } = ctx.run;
    const line = formatRevision({ time: new Date().toISOString(), action: 'mark-bad', release: ctx.release!, ref: null, sha: ctx.sha, user, result: 'bad', from: null, message: `marked bad by ${user}` });
    await runOn(ctx, 'mark bad', appendRevisionCommand(paths, line), { what: `marking ${ctx.release} bad in the ledger` });
  },
};
