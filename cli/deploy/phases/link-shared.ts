// link shared: shared_dirs and shared_files live in shared/ and are linked into every release; a
// deploy's env_file is sent to shared/.env (linked into the release as .env) and its secrets to
// shared/.secrets.env (read by hooks), both 0600 and over stdin, never on a command line. What
// they replace is kept until the deploy stands: a host that does not publish, or goes back, gets
// it back (restoreSecretFiles).
import { linkSharedCommand } from '../commands.js';
import type { HostContext } from '../context.js';
import type { PhaseName } from '../events.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { dropKeptFilesCommand, keepFilesCommand, receivePrivateFileCommand, restoreFilesCommand, secretsFileText } from '../secret-commands.js';

/** Skipped when the environment shares nothing. */
export const linkSharedPhase: HostPhase = {
  name: 'link shared',
  applies: (ctx) => {
    const { sharedDirs, sharedFiles } = ctx.run.environment;
    return sharedDirs.length + sharedFiles.length + secretFiles(ctx).length > 0;
  },
  async run(ctx) {
    const { paths, environment } = ctx.run;
    await sendSecrets(ctx);
    const files = [...new Set([...environment.sharedFiles, ...(environment.envFile ? ['.env'] : [])])];
    await runOn(ctx, 'link shared', linkSharedCommand(paths, ctx.release!, environment.sharedDirs, files), { what: 'linking shared files' });
  },
};

/** The files a deploy of this environment writes in shared/ (the env_file's copy, the secrets). */
export function secretFiles(ctx: HostContext): string[] {
  const { paths, environment } = ctx.run;
  return [...(environment.envFile !== null ? [paths.envFile] : []), ...(environment.secrets.length > 0 ? [paths.secretsFile] : [])];
}

/** A deploy's host that does not keep its release: the secret files go back to what they were (a revert replaced none: nothing to do). */
export async function restoreSecretFiles(ctx: HostContext, phase: PhaseName): Promise<void> {
  const files = secretFiles(ctx);
  if (files.length === 0 || ctx.run.command !== 'deploy' || !ctx.release) return;
  await runOn(ctx, phase, restoreFilesCommand(files, ctx.release), { what: 'putting back the env_file and secrets this deploy replaced' });
}

/** A deploy that stands: the copies of what it replaced go. */
export async function dropKeptSecretFiles(ctx: HostContext): Promise<void> {
  const files = secretFiles(ctx);
  if (files.length > 0) await runOn(ctx, 'finish', dropKeptFilesCommand(files), { what: 'removing the copies of the replaced env_file and secrets' });
}

// a rehearsal has no values: it shows the commands with the names they would carry
async function sendSecrets(ctx: HostContext): Promise<void> {
  const { paths, environment, secrets, rehearsal } = ctx.run;
  const files = secretFiles(ctx);
  if (files.length === 0) return;
  if (secrets === null && !rehearsal) throw new Error('the secrets were not read before the deploy (a bug in pmx): nothing was sent');
  await runOn(ctx, 'link shared', keepFilesCommand(files, ctx.release!), { what: 'keeping a copy of the env_file and secrets this deploy replaces' });
  if (environment.envFile !== null) {
    await runOn(ctx, 'link shared', receivePrivateFileCommand(paths.envFile, []), { what: `sending the env_file to ${paths.envFile}`, stdin: secrets?.envFile ?? '' });
  }
  if (environment.secrets.length > 0) {
    const names = environment.secrets.map((secret) => secret.name);
    await runOn(ctx, 'link shared', receivePrivateFileCommand(paths.secretsFile, names), { what: `sending the secrets to ${paths.secretsFile}`, stdin: secretsFileText(secrets?.values ?? []) });
  }
}
