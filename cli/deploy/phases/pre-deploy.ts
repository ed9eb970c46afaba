// pre-deploy: the hook run in the new release before anything is live (install, build).
import type { HostPhase } from '../phase.js';
import { hookLog, releaseDir } from '../remote-paths.js';
import { runHook } from './hook.js';

/** A failure here, on any host, and no host publishes. */
export const preDeployPhase: HostPhase = {
  name: 'pre-deploy',
  applies: (ctx) => ctx.run.environment.preDeploy !== null,
  async run(ctx) {
    const { paths, environment } = ctx.run;
    await runHook(ctx, 'pre-deploy', environment.preDeploy!, releaseDir(paths, ctx.release!), hookLog(paths, ctx.release!));
  },
};
