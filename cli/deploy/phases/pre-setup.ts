// pre-setup: the hook run in the deploy user's home before the layout exists (it may create the
// path with sudo); a local script file is fed to the host's shell, as PM2 does.
import { posix } from 'node:path';
import type { HostPhase } from '../phase.js';
import { runHook } from './hook.js';

/** Runs before the lock: the path it would live in may not exist yet. */
export const preSetupPhase: HostPhase = {
  name: 'pre-setup',
  applies: (ctx) => ctx.run.environment.preSetup !== null,
  async run(ctx) {
    const home = ctx.facts?.home || '/tmp';
    // the deploy path may not exist yet: this hook's log lives in ~/.pmx
    await runHook(ctx, 'pre-setup', ctx.run.environment.preSetup!, home, posix.join(home, '.pmx', 'deploy-logs', `${ctx.run.environment.name}-setup.log`), { localScript: true });
  },
};
