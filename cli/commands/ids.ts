// `pmx pid [name]` and `pmx id <name>`: what shell scripts read to find a process, in PM2's format.
import { inspect } from 'node:util';
import { type CommandContext, withAgent } from './context.js';

/** `pmx pid [name]`: the pid of each process (of that name), one per line; 0 for one not running. */
export async function pid(ctx: CommandContext, name: string | undefined): Promise<void> {
  const procs = await withAgent(ctx, (agent) => agent.call('list', {}));
  ctx.out.write(`${procs.filter((proc) => !name || proc.name === name).map((proc) => proc.pid).join('\n')}\n`);
}

/** `pmx id <name>`: the ids of the processes with that name (or running that script), as PM2 prints them: `[ 0, 1 ]`. */
export async function id(ctx: CommandContext, name: string): Promise<void> {
  const { resolve } = await import('node:path');
  const procs = await withAgent(ctx, (agent) => agent.call('list', {}));
  const ids = procs.filter((proc) => proc.name === name || proc.pm2_env.pm_exec_path === resolve(name)).map((proc) => proc.pm_id);
  ctx.out.write(`${inspect(ids)}\n`);
}
