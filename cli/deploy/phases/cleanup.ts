// cleanup: a host that prepared a release it will not publish (another host failed before the
// barrier, or a later rolling batch) removes that release and any upload, and gets back the
// env_file and secrets it replaced: it is left as it was.
import { removeReleaseCommand } from '../commands.js';
import type { HostContext } from '../context.js';
import { runOn } from '../remote.js';
import { restoreSecretFiles } from './link-shared.js';

/** Removes the release this run created on the host (never the one current points at), and puts back the env_file and secrets it replaced. */
export async function cleanupHost(ctx: HostContext): Promise<void> {
  if (!ctx.release || !ctx.created) return;
  await restoreSecretFiles(ctx, 'cleanup');
  await runOn(ctx, 'cleanup', removeReleaseCommand(ctx.run.paths, ctx.release), { what: `removing the unpublished release ${ctx.release}` });
}
