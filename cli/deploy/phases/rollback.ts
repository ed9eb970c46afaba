// rollback: after a failure past publish, `current` goes back to the previous release, the
// post-deploy hook runs there again so the agent serves the old code, and a new release is removed.
import { publishCommand, removeReleaseCommand } from '../commands.js';
import { withChanges, type HostContext } from '../context.js';
import { runOn } from '../remote.js';
import { hookLog } from '../remote-paths.js';
import { runHook } from './hook.js';

/** Puts the host back on ctx.previous. */
export async function rollbackHost(ctx: HostContext): Promise<void> {
  const { paths, environment } = ctx.run;
  const failed = ctx.release!;
  const previous = ctx.previous!;
  await runOn(ctx, 'rollback', publishCommand(paths, previous), { what: `switching current back to ${previous}` });
  if (environment.postDeploy) {
    const back = withChanges(ctx, { release: previous, previous: failed });
    await runHook(back, 'rollback', environment.postDeploy, paths.current, hookLog(paths, failed));
  }
  if (ctx.created) await runOn(ctx, 'rollback', removeReleaseCommand(paths, failed), { what: `removing the failed release ${failed}` });
}
