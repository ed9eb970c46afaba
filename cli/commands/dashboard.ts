// `pmx dashboard`: asks the agent to serve its web dashboard and prints where to open it.
import { CliError } from '../client/errors.js';
import { type CommandContext, withAgent } from './context.js';

/** Flags of `pmx dashboard`. */
export interface DashboardFlags {
  port: string;
  host: string;
}

/** `pmx dashboard [--port 9615] [--host 127.0.0.1]`. */
export async function dashboard(ctx: CommandContext, flags: DashboardFlags): Promise<void> {
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port < 1 || port > 65535) {
    throw new CliError(`--port must be a whole number from 1 to 65535, got '${flags.port}'`, { code: 'BAD_ARGUMENT' });
  }
  const served = await withAgent(ctx, (agent) => agent.call('dashboard', { host: flags.host, port }));
  ctx.out.write(`[PMX] Dashboard ${served.alreadyRunning ? 'already running' : 'started'}: ${served.url}\n`);
  ctx.out.write('[PMX] Anyone with this URL can control your processes: keep the token secret\n');
}
