// The git strategy: each host fetches into its `repo/` mirror and exports the commit into the
// release (the host needs git and access to the repository).
import { gitExportCommand, gitFetchCommand, parseKeyValues } from '../commands.js';
import { runOn } from '../remote.js';
import { releaseName } from '../remote-paths.js';
import { DeployStepError } from '../run-error.js';
import type { SourceStrategy } from './types.js';

/** Fetch on the host, export from its mirror. */
export const gitStrategy: SourceStrategy = {
  requires: ['git', 'tar'],
  async fetch(ctx) {
    const { paths, environment, ref } = ctx.run;
    const result = await runOn(ctx, 'fetch', gitFetchCommand(paths, environment.repo, ref, environment.fastFetch), { what: `git fetch of ${environment.repo}` });
    const sha = parseKeyValues(result.stdout).sha;
    if (!sha || !/^[0-9a-f]{40,64}$/.test(sha)) throw new DeployStepError('COMMAND_FAILED', ctx.target.label, `${ctx.target.label}: git did not resolve '${ref}' to a commit`);
    return { sha, release: releaseName(ctx.run.startedAt, sha) };
  },
  async createRelease(ctx, track) {
    track({ created: true });
    await runOn(ctx, 'create release', gitExportCommand(ctx.run.paths, ctx.release!, ctx.sha!), { what: `exporting ${ctx.sha!.slice(0, 7)} into the release` });
  },
};
