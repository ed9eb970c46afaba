// select release (revert): the n-th successful release before the current one; a host without
// one fails here, before the barrier, so no host switches.
import { stateCommand } from '../commands.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { readHistory, revertTarget } from '../revisions.js';
import { DeployStepError } from '../run-error.js';

/** Sets `release` to an existing release (created stays false: cleanup never removes it). */
export const selectReleasePhase: HostPhase = {
  name: 'select release',
  async run(ctx) {
    const { paths, steps } = ctx.run;
    const history = readHistory((await runOn(ctx, 'select release', stateCommand(paths), { what: 'reading the releases' })).stdout, paths);
    const target = revertTarget(history, steps);
    if ('problem' in target) throw new DeployStepError('NO_REVERT_TARGET', ctx.target.label, `${ctx.target.label}: ${target.problem}`);
    return { history, release: target.release.name, sha: target.release.sha, created: false };
  },
};
