// ls / list / status, jlist, prettylist, describe / show, env <id>, and the line a start prints per process.
import type { ProcessDescription } from '../../agent/protocol/types.js';
import type { AgentConnection } from '../client/connection.js';
import { CliError } from '../client/errors.js';
import { type CommandContext, withAgent } from './context.js';
import { selectedAmong, selectorFor } from './targets.js';

/** Prints the process table (after any action, as PM2 does). */
export async function printProcessList(ctx: CommandContext, agent: AgentConnection): Promise<void> {
  await printList(ctx, await agent.call('list', { brief: true }));
}

/** Prints a list the agent already sent (`pmx start` gets it with its answer). */
export async function printList(ctx: CommandContext, procs: ProcessDescription[]): Promise<void> {
  const { renderList, renderMiniList } = await import('../output/list.js');
  ctx.out.write((ctx.miniList ? renderMiniList(procs) : renderList(procs, { color: ctx.color })) + '\n');
}

/** `pmx ls [--sort field:asc|desc]` (`-m`, anywhere on the line: the minimal list). */
export async function ls(ctx: CommandContext, flags: { sort?: string } = {}): Promise<void> {
  const { parseSort, renderList, renderMiniList } = await import('../output/list.js');
  const sort = flags.sort === undefined ? undefined : (parseSort(flags.sort) ?? undefined);
  if (flags.sort !== undefined && !sort) ctx.err.write(`[PMX][WARN] --sort ${flags.sort}: sorts by name, id, pid, namespace, cpu, memory, uptime or status (with :asc or :desc); listed by name\n`);
  const procs = await withAgent(ctx, (agent) => agent.call('list', { brief: true }));
  ctx.out.write((ctx.miniList ? renderMiniList(procs) : renderList(procs, { color: ctx.color, sort })) + '\n');
}

/** `pmx jlist` (one line of JSON) and `pmx prettylist` (util.inspect text, as PM2 prints it): PM2's shape. */
export async function jlist(ctx: CommandContext, pretty: boolean): Promise<void> {
  const procs = await withAgent(ctx, (agent) => agent.call('list', {}));
  const { renderJlist, renderPrettylist } = await import('../output/pm2-shape.js');
  // no newline after it, as PM2 writes it: byte for byte what a script compares
  ctx.out.write(pretty ? renderPrettylist(procs) : renderJlist(procs));
}

/** `pmx describe <id|name>`. */
export async function describe(ctx: CommandContext, target: string): Promise<void> {
  const procs = await matching(ctx, target);
  const { renderDescribe } = await import('../output/describe.js');
  for (const proc of procs) ctx.out.write(renderDescribe(proc, { color: ctx.color }) + '\n');
}

/** `pmx env <id>`. */
export async function env(ctx: CommandContext, target: string): Promise<void> {
  const procs = await matching(ctx, target);
  const { renderEnv } = await import('../output/describe.js');
  for (const proc of procs) ctx.out.write(renderEnv(proc) + '\n');
}

async function matching(ctx: CommandContext, target: string): Promise<ProcessDescription[]> {
  const all = await withAgent(ctx, (agent) => agent.call('list', {}));
  const selector = selectorFor(target);
  // describe takes names and ids (PM2's), and pmx's regex, namespace and all
  const found = selectedAmong(all, selector.kind === 'name' ? { kind: 'name', name: selector.name } : selector);
  if (found.length === 0) throw new CliError(`no process matches '${target}'`, { code: 'NOT_FOUND', hint: "run 'pmx ls' to see the processes" });
  return found;
}

/** One line per started process: its status, and its error when it has one. */
export function reportStarted(ctx: CommandContext, proc: ProcessDescription): void {
  const status = proc.pm2_env.status;
  const error = proc.pm2_env.pmx_error ? ` (${proc.pm2_env.pmx_error})` : '';
  const stream = status === 'errored' ? ctx.err : ctx.out;
  stream.write(`[PMX]${status === 'errored' ? '[ERROR]' : ''} ${proc.name} (id ${proc.pm_id}): ${status}${error}\n`);
}
