// link shared: shared_dirs and shared_files live in shared/ and are linked into every release; a
// deploy's env_file is sent to shared/.env (linked into the release as .env) and its secrets to
// shared/.secrets.env (read by hooks), both 0600 and over stdin, never on a command line.
import { linkSharedCommand } from '../commands.js';
import type { HostContext } from '../context.js';
import type { HostPhase } from '../phase.js';
import { runOn } from '../remote.js';
import { receivePrivateFileCommand, secretsFileText } from '../secret-commands.js';

/** Skipped when the environment shares nothing. */
export const linkSharedPhase: HostPhase = {
  name: 'link shared',
  applies: (ctx) => {
    const { sharedDirs, sharedFiles, envFile, secrets } = ctx.run.environment;
    return sharedDirs.length + sharedFiles.length + secrets.length > 0 || envFile !== null;
  },
  async run(ctx) {
    const { paths, environment } = ctx.run;
    await sendSecrets(ctx);
    const files = [...new Set([...environment.sharedFiles, ...(environment.envFile ? ['.env'] : [])])];
    await runOn(ctx, 'link shared', linkSharedCommand(paths, ctx.release!, environment.sharedDirs, files), { what: 'linking shared files' });
  },
};

// a rehearsal has no values: it shows the commands with the names they would carry
async function sendSecrets(ctx: HostContext): Promise<void> {
  const { paths, environment, secrets, rehearsal } = ctx.run;
  if (environment.envFile === null && environment.secrets.length === 0) return;
  if (secrets === null && !rehearsal) throw new Error('the secrets were not read before the deploy (a bug in pmx): nothing was sent');
  if (environment.envFile !== null) {
    await runOn(ctx, 'link shared', receivePrivateFileCommand(paths.envFile, []), { what: `sending the env_file to ${paths.envFile}`, stdin: secrets?.envFile ?? '' });
  }
  if (environment.secrets.length > 0) {
    const names = environment.secrets.map((secret) => secret.name);
    await runOn(ctx, 'link shared', receivePrivateFileCommand(paths.secretsFile, names), { what: `sending the secrets to ${paths.secretsFile}`, stdin: secretsFileText(secrets?.values ?? []) });
  }
}
