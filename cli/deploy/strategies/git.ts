// The git strategy: each host fetches into its `repo/` mirror and exports the commit into the
// release (the host needs git and access to the repository).
import { dirname } from 'node:path';
import { resolveLocalRef } from '../local-git.js';
import { gitExportCommand, gitFetchCommand, parseKeyValues } from '../commands.js';
import { runOn } from '../remote.js';
import { createOnce } from './create-once.js';
import { releaseName } from '../remote-paths.js';
import { DeployStepError } from '../run-error.js';
import type { SourceStrategy } from './types.js';

// a rehearsal names the release after the commit the ref is here (the host resolves it when it runs)
async function localSha(file: string, ref: string): Promise<string> {
  return resolveLocalRef(dirname(file), ref).catch(() => '0'.repeat(40));
}

/** Fetch on the host, export from its mirror. */
export const gitStrategy: SourceStrategy = {
  requires: ['git', 'tar'],
  async fetch(ctx) {
    const { paths, environment, ref } = ctx.run;
    const rehearsed = ctx.run.rehearsal ? `sha=${await localSha(ctx.run.environment.file, ref)}` : '';
    const result = await runOn(ctx, 'fetch', gitFetchCommand(paths, environment.repo, ref, environment.fastFetch), { what: `git fetch of ${environment.repo}`, rehearsed });
    const sha = parseKeyValues(result.stdout).sha;
    if (!sha || !/^[0-9a-f]{40,64}$/.test(sha)) throw new DeployStepError(`git did not resolve '${ref}' to a commit`, { code: 'COMMAND_FAILED', host: ctx.target.label });
    return { sha, release: releaseName(ctx.run.startedAt, sha) };
  },
  async createRelease(ctx, track) {
    track({ created: true });
    await createOnce(ctx, track, gitExportCommand(ctx.run.paths, ctx.release!, ctx.sha!), `exporting ${ctx.sha!.slice(0, 7)} into the release`);
  },
};
