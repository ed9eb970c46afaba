// finish: record the run in .pmx/revisions.log and, after a successful deploy, prune old releases
// (keep_releases; never current, never a name pmx did not give). Unlocking follows in the flow.
import { appendRevisionCommand, pruneCommand, stateCommand } from '../commands.js';
import type { HostContext } from '../context.js';
import type { HostOutcome } from '../events.js';
import { runOn } from '../remote.js';
import { formatRevision, pruneList, readHistory, type Revision, type RevisionResult } from '../revisions.js';

const RESULTS: Record<HostOutcome['status'], RevisionResult> = {
  deployed: 'success',
  reverted: 'success',
  done: 'success',
  failed: 'failed',
  cancelled: 'cancelled',
  'rolled-back': 'rolled-back',
};

/** Records a deploy or revert that got as far as choosing a release, then prunes after a success. */
export async function finishHost(ctx: HostContext, outcome: HostOutcome): Promise<string[]> {
  const { command, paths, environment, ref, user } = ctx.run;
  // without the lock another run owns the path: write nothing
  if (!ctx.lock || !ctx.release) return [];
  const revision: Revision = {
    time: new Date().toISOString(),
    action: command === 'revert' ? 'revert' : 'deploy',
    release: ctx.release,
    ref: command === 'revert' ? null : ref,
    sha: ctx.sha,
    user,
    result: RESULTS[outcome.status],
    from: ctx.previous,
    ...(outcome.message ? { message: outcome.message } : {}),
  };
  const record = appendRevisionCommand(paths, formatRevision(revision));
  if (command !== 'deploy' || outcome.status !== 'deployed') {
    await runOn(ctx, 'finish', record, { what: 'recording the revision' });
    return [];
  }
  // one round trip: record, then read the releases that pruning chooses from
  const recorded = await runOn(ctx, 'finish', `${record} && { ${stateCommand(paths)}; }`, { what: 'recording the revision and reading the releases' });
  const history = readHistory(recorded.stdout, paths);
  const old = pruneList(history, environment.keepReleases, [ctx.release]);
  if (old.length === 0) return [];
  await runOn(ctx, 'finish', pruneCommand(paths, old), { what: 'removing old releases' });
  return [`removed ${old.length} old release${old.length === 1 ? '' : 's'} (keep_releases: ${environment.keepReleases})`];
}
