// Making a release directory that is this run's alone: one found there already (another run gave
// its release the same name) is neither written into nor removed by this run's cleanup, and the
// ledger does not record this run's failure under its name.
import { RELEASE_EXISTS } from '../commands.js';
import type { HostContext } from '../context.js';
import type { Track } from '../phase.js';
import { failureOf, runOn } from '../remote.js';
import { DeployStepError } from '../run-error.js';

/** Runs the create command `command`; a release there already fails the host naming it, and is left as it is. */
export async function createOnce(ctx: HostContext, track: Track, command: string, what: string): Promise<void> {
  const release = ctx.release!;
  const result = await runOn(ctx, 'create release', command, { what, allowFailure: true });
  if (result.code === RELEASE_EXISTS) {
    track({ created: false, release: null });
    throw new DeployStepError(`releases/${release} is there already (another deploy gave its release the same name: two runs in one millisecond, or a clock set back): it is left as it is; deploy again`, { code: 'COMMAND_FAILED', host: ctx.target.label, phase: 'create release' });
  }
  if (result.code !== 0) throw failureOf(ctx.target.label, what, result, 'COMMAND_FAILED', 'create release');
}
