// post-deploy: the hook run in `current` once it is live (typically `pmx startOrReload ...`): the go
// of the host's live command that publish started, or a command of its own.
import type { HostPhase } from '../phase.js';
import { hookLog } from '../remote-paths.js';
import { ledgerLine } from './finish.js';
import { runHook } from './hook.js';

/** Its log is the release's, next to pre-deploy's; once it starts, going back means reloading the previous release. */
export const postDeployPhase: HostPhase = {
  name: 'post-deploy',
  async run(ctx, track) {
    const { paths, environment } = ctx.run;
    track({ reloaded: true });
    // nothing follows the hook on this host: the run succeeds here when the hook does
    if (ctx.live) return void (await ctx.live.go(ctx.live.records ? ledgerLine(ctx, 'success', null) : null));
    await runHook(ctx, 'post-deploy', environment.postDeploy, paths.current, hookLog(paths, ctx.release!));
  },
};
