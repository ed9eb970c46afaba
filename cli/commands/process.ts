// start, stop, restart, reload, delete, reset, startOrRestart, startOrReload, sendSignal.
import { existsSync } from 'node:fs';
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import type { ProcessDescription, Selector, StartMode } from '../../agent/protocol/types.js';
import type { AgentConnection } from '../client/connection.js';
import { CliError } from '../client/errors.js';
import { type CommandContext, withAgent } from './context.js';
import { isEcosystemTarget, selectorFor } from './targets.js';
import { printList, printProcessList } from './list.js';
import type { CliStartOptions } from '../ecosystem/index.js';

/** Flags of `start` and its relatives, as commander gives them. */
export interface StartFlags extends CliStartOptions {
  env?: string;
  /** reload: instances replaced at once. */
  parallel?: string;
  only?: string;
  updateEnv?: boolean;
  force?: boolean;
}

/** `pmx start <script|file|id|name|all> [-- args]`. */
export async function start(ctx: CommandContext, target: string, args: string[], flags: StartFlags): Promise<void> {
  await startLike(ctx, target, args, flags, 'start');
}

/** `pmx startOrRestart|startOrReload <file>`. */
export async function startOr(ctx: CommandContext, mode: StartMode, target: string, flags: StartFlags): Promise<void> {
  await startLike(ctx, target, [], flags, mode);
}

async function startLike(ctx: CommandContext, target: string, args: string[], flags: StartFlags, mode: StartMode): Promise<void> {
  const apps = await appsFor(target, args, flags);
  if (!apps) {
    // not a script nor a file: an id, name, namespace, regex or `all` already registered
    await act(ctx, 'restart', [target], flags);
    return;
  }
  await startSpecs(ctx, apps, flags, mode);
}

/** Hands complete app specs to the agent, reports each and prints the list (`start`, `serve`). */
export async function startSpecs(ctx: CommandContext, apps: AppSpec[], flags: StartFlags, mode: StartMode): Promise<void> {
  // the table's module loads while the agent starts the apps, not after, when they boot on the CPUs
  const table = import('../output/list.js');
  await withAgent(ctx, async (agent) => {
    if (mode === 'start' && flags.force) {
      // -f: run another copy even when the name is taken, as PM2 does
      for (const app of apps) app.name = await freeName(agent, app.name);
    }
    const { processes, alreadyRunning, all } = await agent.call('start', { apps, mode, updateEnv: Boolean(flags.updateEnv) });
    for (const name of alreadyRunning) {
      ctx.err.write(`[PMX][ERROR] Script already launched as '${name}', add -f option to force re-execution\n`);
    }
    for (const proc of processes) reportStarted(ctx, proc);
    await table;
    await printList(ctx, all);
    if (alreadyRunning.length > 0 && processes.length === 0) process.exitCode = 1;
    if (processes.some((proc) => proc.pm2_env.status === 'errored')) process.exitCode = 1;
  });
}

/** The app specs a start target names, or null when it names registered processes instead. */
async function appsFor(target: string, args: string[], flags: StartFlags): Promise<AppSpec[] | null> {
  const ecosystem = await import('../ecosystem/index.js');
  const baseEnv = process.env as Record<string, string | undefined>;
  if (await isEcosystemTarget(target)) {
    const only = flags.only ? flags.only.split(',').map((name) => name.trim()).filter(Boolean) : undefined;
    const loaded = await ecosystem.loadEcosystem(target, { envName: flags.env, only, baseEnv, overrides: flags });
    for (const warning of loaded.warnings) process.stderr.write(`[PMX][WARN] ${warning}\n`);
    return loaded.apps;
  }
  // an existing file is a script even when it looks like a /regex/ (`pmx start /bin/sh`)
  if (!existsSync(target) && (target === 'all' || /^\d+$/.test(target) || /^\/.+\/[a-z]*$/.test(target))) return null;
  try {
    return [ecosystem.specFromCli(target, flags, args, baseEnv, process.cwd())];
  } catch (error) {
    // a word that is no script may name a registered app: `pmx start api`
    if ((error as { code?: string }).code === 'SCRIPT_NOT_FOUND' && !target.includes('/') && !target.includes('.')) return null;
    throw error;
  }
}

async function freeName(agent: AgentConnection, name: string): Promise<string> {
  const taken = new Set((await agent.call('list', {})).map((proc) => proc.name));
  if (!taken.has(name)) return name;
  let n = 1;
  while (taken.has(`${name}-${n}`)) n++;
  return `${name}-${n}`;
}

export type Action = 'stop' | 'restart' | 'reload' | 'delete' | 'reset';

/** `pmx stop|restart|reload|delete|reset <targets...>`. */
export async function act(ctx: CommandContext, action: Action, targets: string[], flags: StartFlags): Promise<void> {
  if (targets.length === 0) throw new CliError('BAD_ARGUMENT', `${action}: name a process (id, name, namespace, all, /regex/ or ecosystem file)`);
  await withAgent(ctx, async (agent) => {
    for (const target of targets) {
      if ((action === 'restart' || action === 'reload') && (await isEcosystemTarget(target))) {
        // a file's current options apply to a restart from it (its env only with --update-env)
        const apps = (await appsFor(target, [], flags)) ?? [];
        const mode = action === 'restart' ? 'startOrRestart' : 'startOrReload';
        const { processes } = await agent.call('start', { apps, mode, updateEnv: Boolean(flags.updateEnv) });
        for (const proc of processes) reportStarted(ctx, proc);
        continue;
      }
      const selector = await selectorForTarget(target, flags);
      const env = flags.updateEnv ? stringEnv() : undefined;
      const parallel = flags.parallel === undefined ? undefined : Number(flags.parallel);
      if (parallel !== undefined && !(Number.isInteger(parallel) && parallel >= 1)) {
        throw new CliError('BAD_ARGUMENT', `--parallel must be a whole number of at least 1, got '${flags.parallel}'`);
      }
      const procs = await call(agent, action, selector, env, parallel, flags.watch === true);
      for (const proc of procs) {
        ctx.out.write(`[PMX] ${pastTense(action)} ${proc.name} (id ${proc.pm_id})${action === 'delete' ? '' : `: ${proc.pm2_env.status}`}\n`);
      }
      if (action === 'restart' || action === 'reload') {
        if (procs.some((proc) => proc.pm2_env.status === 'errored')) process.exitCode = 1;
      }
    }
    await printProcessList(ctx, agent);
  });
}

function call(agent: AgentConnection, action: Action, selector: Selector, env: Record<string, string> | undefined, parallel?: number, unwatch = false): Promise<ProcessDescription[]> {
  switch (action) {
    case 'stop':
      return agent.call(action, unwatch ? { selector, watch: true } : { selector });
    case 'restart':
      return agent.call(action, env ? { selector, env } : { selector });
    case 'reload':
      return agent.call(action, { selector, ...(env ? { env } : {}), ...(parallel ? { parallel } : {}) });
    default:
      return agent.call(action, { selector });
  }
}

/** `pmx sendSignal <signal> <target>`. */
export async function sendSignal(ctx: CommandContext, signal: string, target: string): Promise<void> {
  await withAgent(ctx, async (agent) => {
    const procs = await agent.call('signal', { selector: selectorFor(target), signal });
    for (const proc of procs) ctx.out.write(`[PMX] sent ${signal} to ${proc.name} (id ${proc.pm_id}, pid ${proc.pid})\n`);
  });
}

async function selectorForTarget(target: string, flags: StartFlags): Promise<Selector> {
  if (!(await isEcosystemTarget(target))) return selectorFor(target);
  const { loadEcosystem } = await import('../ecosystem/index.js');
  const only = flags.only ? flags.only.split(',').map((name) => name.trim()) : undefined;
  const { apps } = await loadEcosystem(target, { envName: flags.env, only, baseEnv: process.env });
  return { kind: 'names', names: apps.map((app) => app.name) };
}

function stringEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return env;
}

function reportStarted(ctx: CommandContext, proc: ProcessDescription): void {
  const status = proc.pm2_env.status;
  const error = proc.pm2_env.pmx_error ? ` (${proc.pm2_env.pmx_error})` : '';
  const stream = status === 'errored' ? ctx.err : ctx.out;
  stream.write(`[PMX]${status === 'errored' ? '[ERROR]' : ''} ${proc.name} (id ${proc.pm_id}): ${status}${error}\n`);
}

function pastTense(action: Action): string {
  return { stop: 'stopped', restart: 'restarted', reload: 'reloaded', delete: 'deleted', reset: 'reset' }[action];
}

/** `pmx scale <name> <n|+n|-n>`. */
export async function scale(ctx: CommandContext, name: string, count: string): Promise<void> {
  await withAgent(ctx, async (agent) => {
    const procs = await agent.call('scale', { name, count });
    ctx.out.write(`[PMX] ${name} now runs ${procs.length} instance${procs.length === 1 ? '' : 's'}\n`);
    await printProcessList(ctx, agent);
  });
}
