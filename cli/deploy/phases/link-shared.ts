// link shared: shared_dirs and shared_files live in shared/ and are linked into every release.
import { linkSharedCommand } from '../commands.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';

/** Skipped when the environment shares nothing. */
export const linkSharedPhase: HostPhase = {
  name: 'link shared',
  applies: (ctx) => ctx.run.environment.sharedDirs.length + ctx.run.environment.sharedFiles.length > 0,
  async run(ctx) {
    const { paths, environment } = ctx.run;
    await runOn(ctx, 'link shared', linkSharedCommand(paths, ctx.release!, environment.sharedDirs, environment.sharedFiles), { what: 'linking shared files' });
  },
};
