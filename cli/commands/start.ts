// start, startOrRestart, startOrReload, and `start -` (a configuration on stdin), as PM2 decides
// what a start target is: an ecosystem file (its missing apps started, the others restarted with
// the file's options and environment), a registered name, namespace or id (restarted), or a script.
import { APP_SPEC_KEYS, type AppSpec } from '../../agent/protocol/app-spec.js';
import type { StartMode } from '../../agent/protocol/types.js';
import { CliError } from '../client/errors.js';
import { type CommandContext, withAgent } from './context.js';
import { appsFromStdin, appsOfFile, flagsForScript, type StartFlags } from './apps-input.js';
import { printList, reportStarted } from './list.js';
import { act } from './process.js';
import { isEcosystemTarget, restartsOnStart } from './targets.js';
import { startCall } from './unanswered.js';

/** `pmx start [targets...] [-- args]`: each target in turn, as PM2 does; none means the ecosystem file here. */
export async function start(ctx: CommandContext, targets: string[], args: string[], flags: StartFlags): Promise<void> {
  if (targets.length === 0) {
    const { findEcosystemFile, DEFAULT_FILES } = await import('../ecosystem/index.js');
    const found = findEcosystemFile(process.cwd());
    if (!found) throw new CliError(`start: nothing to start: no script named and no ecosystem file in ${process.cwd()} (looked for ${DEFAULT_FILES.join(', ')})`, { code: 'BAD_ARGUMENT' });
    targets = [found];
  }
  if (targets.length === 1 && targets[0] === '-') {
    await startSpecs(ctx, await appsFromStdin(flags), flags, 'startOrRestart');
    return;
  }
  for (const target of targets) await startOne(ctx, target, args, flags);
}

/** `pmx startOrRestart|startOrReload <file>`: as `start <file>`, PM2's own alias. */
export async function startOr(ctx: CommandContext, mode: StartMode, file: string, flags: StartFlags): Promise<void> {
  await startSpecs(ctx, await appsOfFile(file, flags), flags, mode);
}

async function startOne(ctx: CommandContext, target: string, args: string[], flags: StartFlags): Promise<void> {
  if (await isEcosystemTarget(target)) {
    // PM2 starts what is missing and restarts the rest, the file's variables merged into theirs
    await startSpecs(ctx, await appsOfFile(target, flags), flags, 'startOrRestart');
    return;
  }
  if (await restartsOnStart(target, () => withAgent(ctx, (agent) => agent.call('list', { brief: true })))) {
    await act(ctx, 'restart', [target], flags);
    return;
  }
  const { specFromCli } = await import('../ecosystem/index.js');
  const warnings: string[] = [];
  const spec = specFromCli(target, flagsForScript(flags), args, process.env, process.cwd(), warnings);
  // as a file's apps are warned of (a name that is a number, ...)
  for (const warning of warnings) ctx.err.write(`[PMX][WARN] ${warning}\n`);
  await startSpecs(ctx, [spec], flags, flags.force ? 'force' : 'start', Boolean(flags.updateEnv), await givenKeys(flags, args));
}

/** The spec keys this command line sets (its flags, and `-- args`): what an app at rest of that name and script takes as it starts again. */
async function givenKeys(flags: StartFlags, args: string[]): Promise<(keyof AppSpec)[]> {
  const { readOverrides } = await import('../ecosystem/cli-options.js');
  const { name: _name, ...rest } = flagsForScript(flags);
  // the draft's own notes (all_cores) are no spec keys
  const keys = Object.keys(readOverrides(rest, process.cwd(), [], [])).filter((key) => APP_SPEC_KEYS.includes(key)) as (keyof AppSpec)[];
  return args.length > 0 ? [...keys, 'args'] : keys;
}

/** Hands complete app specs to the agent, reports each and prints the list (`start`, `serve`). */
export async function startSpecs(ctx: CommandContext, apps: AppSpec[], flags: StartFlags, mode: StartMode, updateEnv = Boolean(flags.updateEnv), given: (keyof AppSpec)[] = []): Promise<void> {
  // the table's module loads while the agent starts the apps, not after, when they boot on the CPUs
  const table = import('../output/list.js');
  // PM2 gives an app the values `set` under its name (module_conf.json) as variables
  const { confEnv, confFile, readConf } = await import('./module-conf.js');
  const conf = readConf(confFile(ctx));
  for (const app of apps) {
    const extra = confEnv(conf, app.name);
    if (Object.keys(extra).length > 0) Object.assign(app, { env: { ...app.env, ...extra }, app_env: { ...app.app_env, ...extra } });
  }
  await withAgent(ctx, async (agent) => {
    const { processes, alreadyRunning, all } = await startCall(ctx, agent, apps, { apps, mode, updateEnv, ...(given.length > 0 ? { given } : {}) });
    for (const name of alreadyRunning) {
      ctx.err.write(`[PMX][ERROR] Script already launched as '${name}', add -f option to force re-execution\n`);
    }
    for (const proc of processes) reportStarted(ctx, proc);
    // nothing started, only the refusal: PM2 prints no list then (a script reads an empty stdout)
    if (alreadyRunning.length > 0 && processes.length === 0) {
      process.exitCode = 1;
      return;
    }
    await table;
    await printList(ctx, all);
    if (processes.some((proc) => proc.pm2_env.status === 'errored')) process.exitCode = 1;
  });
}
