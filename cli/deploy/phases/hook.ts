// Running a configured hook on a host: its command in a remote directory, or (pre-setup only) a
// local script file fed to the host's shell, with the environment's secrets exported and their
// values masked in its output and log.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { localScriptPath } from '../config.js';
import { expandingNames, hookEnv, type HostContext } from '../context.js';
import type { PhaseName } from '../events.js';
import { hookCommand, scriptCommand, type HookRun } from '../hook-command.js';
import { runOn } from '../remote.js';

/** How a hook's text is read: as a command run on the host, or as PM2 reads `pre-setup`. */
export interface HookForm {
  /**
   * PM2's pre-setup rule: a hook whose first word names a file next to the ecosystem file is that
   * local script, fed to the host's shell on stdin. Only pre-setup has it: PM2 runs every other hook
   * as a command on the host, where `./scripts/post-deploy.sh production` is the release's script,
   * with its arguments and whatever follows it.
   */
  localScript?: boolean;
}

/** Runs `hook` in `cwd` with the hook environment, streaming its output and appending it to `log`. */
export async function runHook(ctx: HostContext, phase: PhaseName, hook: string, cwd: string, log: string, form: HookForm = {}): Promise<void> {
  const { command, stdin, what } = hookRun(ctx, phase, hook, cwd, log, form);
  await runOn(ctx, phase, command, { what, stream: true, code: 'HOOK_FAILED', ...(stdin === null ? {} : { stdin }) });
}

/** The command of a hook run, the script text it reads on stdin (null: none), and what it is called in messages. */
export function hookRun(ctx: HostContext, phase: PhaseName, hook: string, cwd: string, log: string, form: HookForm = {}): { command: string; stdin: string | null; what: string } {
  const script = form.localScript ? localScriptPath(hook, dirname(ctx.run.environment.file)) : null;
  const text = script ? readFileSync(script, 'utf8') : null;
  const command = hookCommand({
    cwd,
    command: text === null ? hook : scriptCommand(text),
    env: hookEnv(ctx),
    expanding: expandingNames(ctx),
    log,
    header: `== ${phase} ${new Date().toISOString()} ${ctx.run.user}: ${hook}`,
    ...(ctx.run.environment.hookTimeoutMs > 0 ? { timeoutSeconds: ctx.run.environment.hookTimeoutMs / 1000 } : {}),
    ...secretsOf(ctx),
  });
  return { command, stdin: text, what: `the ${phase} hook \`${hook}\`` };
}

// hooks source the secrets file the last deploy sent (a revert's post-deploy too), and mask its
// values and the env_file's (a hook that prints the release's .env leaves *** in its log too)
function secretsOf(ctx: HostContext): Pick<HookRun, 'secrets'> {
  const { environment, paths } = ctx.run;
  const names = environment.secrets.map((secret) => secret.name);
  const envFile = environment.envFile !== null ? paths.envFile : null;
  return names.length > 0 || envFile !== null ? { secrets: { file: paths.secretsFile, names, envFile } } : {};
}
