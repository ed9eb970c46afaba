// stop, restart, reload, delete, reset, scale and sendSignal on registered processes; a file (or
// `-`, a configuration on stdin) names the apps it declares.
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import type { ProcessDescription, Selector } from '../../agent/protocol/types.js';
import type { AgentConnection } from '../client/connection.js';
import { CliError } from '../client/errors.js';
import { type CommandContext, withAgent } from './context.js';
import { isEcosystemTarget, selectorFor } from './targets.js';
import { printProcessList, reportStarted } from './list.js';
import { appsFromStdin, appsOfFile, namesOfFile, type StartFlags } from './apps-input.js';
import { reported, startCall } from './unanswered.js';

export type Action = 'stop' | 'restart' | 'reload' | 'delete' | 'reset';

/** `pmx stop|restart|reload|delete|reset <targets...>`. */
export async function act(ctx: CommandContext, action: Action, targets: string[], flags: StartFlags): Promise<void> {
  if (targets.length === 0) throw new CliError(`${action}: name a process (id, name, namespace, all, /regex/ or ecosystem file)`, { code: 'BAD_ARGUMENT' });
  const parallel = flags.parallel === undefined ? undefined : Number(flags.parallel);
  if (parallel !== undefined && !(Number.isInteger(parallel) && parallel >= 1)) {
    throw new CliError(`--parallel must be a whole number of at least 1, got '${flags.parallel}'`, { code: 'BAD_ARGUMENT' });
  }
  if ((action === 'restart' || action === 'reload') && flags.env !== undefined) await refuseEnvWithoutFile(action, targets, flags.env);
  if (action === 'reset') await refuseFileReset(targets, flags);
  await withAgent(ctx, async (agent) => {
    for (const target of targets) {
      const file = target !== '-' && (await isEcosystemTarget(target));
      const restarts = action === 'restart' || action === 'reload';
      // stop, delete and reset need a file's names only: its scripts may be gone (an old release removed)
      const names = file && !restarts ? await namesOfFile(target, flags) : null;
      const apps = target === '-' ? await appsFromStdin(flags) : file && restarts ? await appsOfFile(target, flags) : null;
      if (apps && restarts) {
        // as PM2: a file's apps restart with the file's options and its variables; the shell's only
        // with --update-env; the missing ones start
        const mode = action === 'restart' ? 'startOrRestart' : 'startOrReload';
        const { processes } = await startCall(ctx, agent, apps, { apps, mode, updateEnv: Boolean(flags.updateEnv) });
        for (const proc of processes) reportStarted(ctx, proc);
        continue;
      }
      const selector: Selector = names ? { kind: 'names', names } : apps ? { kind: 'names', names: apps.map((app) => app.name) } : selectorFor(target);
      const declared = names ?? apps?.map((app) => app.name);
      const procs = await reported(ctx, agent, `${action} ${target}`, declared ?? null, () =>
        (action === 'restart' || action === 'reload') && hasSpecFlags(flags) ? restartWithOptions(agent, action, selector, flags, parallel) : call(agent, action, selector, flags, parallel),
      );
      if (procs.length === 0 && declared) {
        // as PM2: a file's apps that are not registered are passed over, so that `delete <file>`
        // before `start <file>` goes on at a first deploy
        ctx.out.write(`[PMX] no app of ${target === '-' ? 'the configuration on stdin' : target} is registered (${declared.join(', ')}): nothing to ${action}\n`);
        continue;
      }
      // PM2: acting on `all` when there is nothing is an error (reset excepted)
      if (procs.length === 0 && action !== 'reset') throw new CliError('No process found', { code: 'NOT_FOUND', hint: "run 'pmx ls' to see the processes" });
      for (const proc of procs) {
        ctx.out.write(`[PMX] ${pastTense(action)} ${proc.name} (id ${proc.pm_id})${action === 'delete' ? '' : `: ${proc.pm2_env.status}`}\n`);
        // a restart that could not start the app says why, as start does (its working directory gone, ...)
        if ((action === 'restart' || action === 'reload') && proc.pm2_env.status === 'errored' && proc.pm2_env.pmx_error) ctx.err.write(`[PMX][ERROR] ${proc.name} (id ${proc.pm_id}): ${proc.pm2_env.pmx_error}\n`);
      }
      if ((action === 'restart' || action === 'reload') && procs.some((proc) => proc.pm2_env.status === 'errored')) process.exitCode = 1;
    }
    await printProcessList(ctx, agent);
  });
}

/**
 * As PM2: `--env <name>` picks the file's env_<name>, so a restart or reload naming a process
 * instead of a file is refused before anything restarts; else the app would go on with its
 * variables and the step report success.
 */
async function refuseEnvWithoutFile(action: 'restart' | 'reload', targets: string[], env: string): Promise<void> {
  for (const target of targets) {
    if (target === '-' || (await isEcosystemTarget(target))) continue;
    throw new CliError(`--env ${env} takes env_${env} of an ecosystem file, and '${target}' is not one: nothing was ${pastTense(action)}`, {
      code: 'BAD_ARGUMENT',
      hint: `run 'pmx ${action} ecosystem.config.js --env ${env}' (--only <name> for some of its apps), or 'pmx ${action} ${target} --update-env' to take the shell's variables`,
    });
  }
}

/**
 * As PM2: `reset` takes processes, not an ecosystem file (PM2 says `Unknown process name`, exit 1),
 * so a script's `reset <file>` fails on both instead of resetting counters under pmx alone.
 */
async function refuseFileReset(targets: string[], flags: StartFlags): Promise<void> {
  for (const target of targets) {
    if (target !== '-' && !(await isEcosystemTarget(target))) continue;
    const names = target === '-' ? [] : await namesOfFile(target, flags).catch(() => []);
    throw new CliError(`reset takes processes (an id, a name, a script path, a namespace, all or /regex/), and '${target}' is ${target === '-' ? 'stdin' : 'an ecosystem file'}: nothing was reset`, {
      code: 'BAD_ARGUMENT',
      hint: names.length > 0 ? `run 'pmx reset ${names.join(' ')}' for its apps` : "run 'pmx ls' to see the processes",
    });
  }
}

function call(agent: AgentConnection, action: Action, selector: Selector, flags: StartFlags, parallel?: number): Promise<ProcessDescription[]> {
  const env = flags.updateEnv ? stringEnv() : undefined;
  switch (action) {
    case 'stop':
      // PM2 ends watching on every stop (`stop --watch` says it explicitly)
      return agent.call(action, { selector, watch: true });
    case 'restart':
      return parallel ? restartInBatches(agent, selector, env ? { env } : {}, parallel) : agent.call(action, env ? { selector, env } : { selector });
    case 'reload':
      return agent.call(action, { selector, ...(env ? { env } : {}), ...(parallel ? { parallel } : {}) });
    default:
      return agent.call(action, { selector });
  }
}

/** The restart and reload flags that change an app's options (PM2 merges them into the restarted processes' options). */
const SPEC_FLAGS = [
  'nodeArgs', 'interpreterArgs', 'maxMemoryRestart', 'cronRestart', 'cron', 'watch', 'ignoreWatch', 'watchDelay', 'restartDelay',
  'expBackoffRestartDelay', 'maxRestarts', 'minUptime', 'stopExitCodes', 'killTimeout', 'autorestart', 'shutdownWithMessage',
  'waitReady', 'listenTimeout', 'mergeLogs', 'logDateFormat', 'time',
] as const;

/** Given on the command line: commander's default true of a --no-* flag is not. */
function given(flags: StartFlags, flag: (typeof SPEC_FLAGS)[number]): boolean {
  const value = flags[flag];
  return value !== undefined && !(flag === 'autorestart' && value === true);
}

function hasSpecFlags(flags: StartFlags): boolean {
  return SPEC_FLAGS.some((flag) => given(flags, flag));
}

/**
 * `restart <target> --node-args ...` (or `reload`): the selected processes restart (or reload) with
 * the options given, which they keep from then on; other processes of the same name are left alone,
 * as PM2 leaves them.
 */
async function restartWithOptions(agent: AgentConnection, action: 'restart' | 'reload', selector: Selector, flags: StartFlags, parallel?: number): Promise<ProcessDescription[]> {
  const { readOverrides } = await import('../ecosystem/cli-options.js');
  const { combineErrors } = await import('../ecosystem/errors.js');
  const problems: Parameters<typeof readOverrides>[3] = [];
  const options: StartFlags = {};
  for (const flag of SPEC_FLAGS) if (given(flags, flag)) (options as Record<string, unknown>)[flag] = flags[flag];
  const patch = readOverrides(options, process.cwd(), [], problems) as Partial<AppSpec>;
  if (problems.length > 0) throw combineErrors(problems);
  const env = flags.updateEnv ? stringEnv() : undefined;
  // `restart --watch` without paths toggles watching, as PM2's does ("Toggle watching folder for
  // changes"): an app that watches stops watching, one that does not starts
  if (action === 'restart' && flags.watch === true) {
    const { selectedAmong } = await import('./targets.js');
    const restarted: ProcessDescription[] = [];
    for (const proc of selectedAmong(await agent.call('list', { brief: true }), selector)) {
      const options = { ...patch, watch: !proc.pm2_env.watch };
      restarted.push(...(await agent.call('restart', { selector: { kind: 'id', id: proc.pm_id }, options, ...(env ? { env } : {}) })));
    }
    return restarted;
  }
  if (action === 'restart' && parallel) return restartInBatches(agent, selector, { options: patch, ...(env ? { env } : {}) }, parallel);
  return action === 'restart'
    ? agent.call('restart', { selector, options: patch, ...(env ? { env } : {}) })
    : agent.call('reload', { selector, options: patch, ...(env ? { env } : {}), ...(parallel ? { parallel } : {}) });
}

/**
 * `restart --parallel <n>`, as PM2's: at most n processes restart at once, the next n once those
 * are back (a restart without it restarts them all at once). A selector that matches nothing is
 * asked as is, so that it fails as without the flag.
 */
async function restartInBatches(agent: AgentConnection, selector: Selector, params: { env?: Record<string, string>; options?: Partial<AppSpec> }, parallel: number): Promise<ProcessDescription[]> {
  const { selectedAmong } = await import('./targets.js');
  const procs = selectedAmong(await agent.call('list', { brief: true }), selector);
  if (procs.length === 0) return agent.call('restart', { ...params, selector });
  const restarted: ProcessDescription[] = [];
  for (let at = 0; at < procs.length; at += parallel) {
    const batch = procs.slice(at, at + parallel).map((proc) => agent.call('restart', { ...params, selector: { kind: 'id', id: proc.pm_id } }));
    for (const answer of await Promise.all(batch)) restarted.push(...answer);
  }
  return restarted;
}

/** `pmx sendSignal <signal> <target>`. */
export async function sendSignal(ctx: CommandContext, signal: string, target: string): Promise<void> {
  await withAgent(ctx, async (agent) => {
    const procs = await agent.call('signal', { selector: selectorFor(target), signal });
    for (const proc of procs) ctx.out.write(`[PMX] sent ${signal} to ${proc.name} (id ${proc.pm_id}, pid ${proc.pid})\n`);
  });
}

function stringEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return env;
}

function pastTense(action: Action): string {
  return { stop: 'stopped', restart: 'restarted', reload: 'reloaded', delete: 'deleted', reset: 'reset' }[action];
}

/** `pmx scale <name> <n|+n|-n>`; asking for the number already running is an error, as in PM2. */
export async function scale(ctx: CommandContext, name: string, count: string): Promise<void> {
  await withAgent(ctx, async (agent) => {
    // the agent says when the number asked for already runs, once the instances being deleted are gone
    const procs = await reported(ctx, agent, `scale ${name} ${count}`, [name], () => agent.call('scale', { name, count }));
    const failed = procs.filter((proc) => proc.pm2_env.status === 'errored');
    if (failed.length === 0) ctx.out.write(`[PMX] ${name} now runs ${procs.length} instance${procs.length === 1 ? '' : 's'}\n`);
    else {
      // an instance that could not start is no instance that runs: said, and exit 1
      for (const proc of failed) ctx.err.write(`[PMX][ERROR] ${name} (id ${proc.pm_id}): ${proc.pm2_env.pmx_error ?? 'errored'}\n`);
      ctx.out.write(`[PMX] ${name} has ${procs.length} instances: ${procs.length - failed.length} running, ${failed.length} errored\n`);
      process.exitCode = 1;
    }
    await printProcessList(ctx, agent);
  });
}
