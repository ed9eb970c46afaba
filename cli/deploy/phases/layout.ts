// layout (setup): releases/, shared/ (logs, pids), .pmx/logs, and for the git strategy the repo/
// mirror, cloned now so a host without access to the repository fails at setup, not at deploy.
import { gitMirrorCommand, layoutCommand } from '../commands.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { quote } from '../../transport/quote.js';

/** Creates the path itself too (pre-setup may have made its parent writable); one command, so one round trip, with the clone. */
export const layoutPhase: HostPhase = {
  name: 'layout',
  async run(ctx) {
    const { paths, environment } = ctx.run;
    const create = `mkdir -p ${quote(paths.base)} && ${layoutCommand(paths)}`;
    if (environment.strategy === 'git') {
      await runOn(ctx, 'layout', `${create} && ${gitMirrorCommand(paths, environment.repo, environment.fastFetch)}`, { what: `creating ${paths.base} and cloning ${environment.repo}`, stream: true });
    } else {
      await runOn(ctx, 'layout', create, { what: `creating ${paths.base}` });
    }
    return { facts: ctx.facts ? { ...ctx.facts, setUp: true } : null };
  },
};
