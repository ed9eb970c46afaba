// layout (setup): releases/, shared/ (logs, pids), .pmx/logs, and for the git strategy the repo/
// mirror, cloned now so a host without access to the repository fails at setup, not at deploy.
import { gitMirrorCommand, layoutCommand } from '../commands.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { quote } from '../../transport/quote.js';

/** Creates the path itself too (pre-setup may have made its parent writable). */
export const layoutPhase: HostPhase = {
  name: 'layout',
  async run(ctx) {
    const { paths, environment } = ctx.run;
    await runOn(ctx, 'layout', `mkdir -p ${quote(paths.base)} && ${layoutCommand(paths)}`, { what: `creating ${paths.base}` });
    if (environment.strategy === 'git') {
      await runOn(ctx, 'layout', gitMirrorCommand(paths, environment.repo, environment.fastFetch), { what: `cloning ${environment.repo}`, stream: true });
    }
    return { facts: ctx.facts ? { ...ctx.facts, setUp: true } : null };
  },
};
