// rollback: after a failure past publish, `current` goes back to the previous release; when
// post-deploy had started on the new one, it runs again there so the agent serves the old code;
// then the new release is removed. A first deploy (no previous release) goes back to no `current`,
// unless post-deploy already ran: then there is nothing to go back to. The env_file and secrets
// the deploy replaced go back before post-deploy runs again.
import { publishCommand, removeReleaseCommand, unpublishCommand } from '../commands.js';
import { withChanges, type HostContext } from '../context.js';
import { runOn } from '../remote.js';
import { hookLog } from '../remote-paths.js';
import { DeployStepError } from '../run-error.js';
import { runHook } from './hook.js';
import { restoreSecretFiles } from './link-shared.js';

/** Puts the host back on ctx.previous (or on no release, for a first deploy that had not reloaded). */
export async function rollbackHost(ctx: HostContext): Promise<void> {
  const { paths, environment } = ctx.run;
  const failed = ctx.release!;
  const previous = ctx.previous;
  // a live command waiting for its go ends without running the hook
  await ctx.live?.stop();
  if (previous === null) {
    if (ctx.reloaded) throw new DeployStepError(`no previous release to go back to (post-deploy already ran on ${failed})`, { code: 'COMMAND_FAILED', host: ctx.target.label });
    await runOn(ctx, 'rollback', unpublishCommand(paths, failed), { what: 'removing current (this was the first deploy)' });
    await restoreSecretFiles(ctx, 'rollback');
  } else {
    await runOn(ctx, 'rollback', publishCommand(paths, previous), { what: `switching current back to ${previous}` });
    await restoreSecretFiles(ctx, 'rollback');
    if (ctx.reloaded) {
      const back = withChanges(ctx, { release: previous, previous: failed });
      await runHook(back, 'rollback', environment.postDeploy, paths.current, hookLog(paths, failed));
    }
  }
  if (ctx.created) await runOn(ctx, 'rollback', removeReleaseCommand(paths, failed), { what: `removing the failed release ${failed}` });
}
