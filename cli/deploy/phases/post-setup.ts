// post-setup: the hook run in the deploy path once it is laid out.
import type { HostPhase } from '../phase.js';
import { hookLog } from '../remote-paths.js';
import { runHook } from './hook.js';

/** Logged in .pmx/logs/setup.log. */
export const postSetupPhase: HostPhase = {
  name: 'post-setup',
  applies: (ctx) => ctx.run.environment.postSetup !== null,
  async run(ctx) {
    const { paths, environment } = ctx.run;
    await runHook(ctx, 'post-setup', environment.postSetup!, paths.base, hookLog(paths, 'setup'));
  },
};
