// save, resurrect, kill, ping, update, flush, reloadLogs: the agent as a whole.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { resolveHome } from '../../agent/protocol/home.js';
import { connectWithHello, startAgent, waitForExit } from '../client/agent.js';
import { CliError } from '../client/errors.js';
import { type CommandContext, withAgent } from './context.js';
import { printProcessList } from './list.js';
import { selectorFor } from './targets.js';

/** `pmx save [--force]`. */
export async function save(ctx: CommandContext, force: boolean): Promise<void> {
  try {
    const { file, count } = await withAgent(ctx, (agent) => agent.call('save', { force }));
    ctx.out.write(`[PMX] Saved ${count} process${count === 1 ? '' : 'es'} to ${file}\n`);
  } catch (error) {
    // as PM2 ("not managing any process, skipping save"): the saved list is kept and that is no failure
    if ((error as CliError).code !== 'DUMP_REFUSED') throw error;
    ctx.err.write(`[PMX][WARN] ${(error as CliError).message}; the saved list is kept (pmx save --force saves the empty list)\n`);
  }
}

/** `pmx resurrect`. */
export async function resurrect(ctx: CommandContext): Promise<void> {
  await withAgent(ctx, async (agent) => {
    const restored = await agent.call('resurrect', {}).catch((error: CliError) => {
      // a PM2 user's saved list is PM2's dump: say how to take it over
      const pm2Dump = join(process.env.PM2_HOME ?? join(homedir(), '.pm2'), 'dump.pm2');
      if (error.code === 'DUMP_MISSING' && existsSync(pm2Dump)) throw new CliError('DUMP_MISSING', error.message, `PM2's saved list is in ${pm2Dump}: 'pmx import pm2' takes it over`);
      throw error;
    });
    ctx.out.write(`[PMX] Resurrected ${restored.length} process${restored.length === 1 ? '' : 'es'} from ${ctx.home.dump}\n`);
    await printProcessList(ctx, agent);
  });
}

/** `pmx kill`: stops every process, then the agent. */
export async function kill(ctx: CommandContext): Promise<void> {
  const found = await connectWithHello(ctx.home, { spawn: false, anyVersion: true });
  if (!found) {
    ctx.out.write('[PMX] No agent is running\n');
    return;
  }
  const { stopped } = await found.connection.call('kill', {});
  await waitForExit(found.pid);
  ctx.out.write(`[PMX] Stopped ${stopped} process${stopped === 1 ? '' : 'es'} and the agent\n`);
}

/** `pmx ping`: starts the agent if needed and shows it answers. */
export async function ping(ctx: CommandContext): Promise<void> {
  await withAgent(ctx, async () => undefined);
  ctx.out.write("{ msg: 'pong' }\n");
}

/** `pmx update`: save, restart the agent with this version, resurrect. */
export async function update(ctx: CommandContext): Promise<void> {
  const found = await connectWithHello(ctx.home, { spawn: false, anyVersion: true });
  if (found) {
    const old = found.connection;
    const count = (await old.call('list', {})).length;
    if (count > 0) await old.call('save', { force: false });
    await old.call('kill', {});
    await waitForExit(found.pid);
    ctx.out.write(`[PMX] Saved ${count} process${count === 1 ? '' : 'es'} and stopped the old agent\n`);
  }
  await startAgent(resolveHome());
  await resurrectIfSaved(ctx);
}

async function resurrectIfSaved(ctx: CommandContext): Promise<void> {
  try {
    await resurrect(ctx);
  } catch (error) {
    if (error instanceof CliError && error.code === 'DUMP_MISSING') {
      ctx.out.write('[PMX] Agent updated; no saved processes to restore\n');
      return;
    }
    throw error;
  }
}

/** `pmx flush [target]`: empties log files. */
export async function flush(ctx: CommandContext, target: string | undefined): Promise<void> {
  const { files } = await withAgent(ctx, (agent) => agent.call('flush', { selector: target ? selectorFor(target) : null }));
  for (const file of files) ctx.out.write(`[PMX] Flushed ${file}\n`);
}

/** `pmx reloadLogs`: reopens every log file (after an external logrotate moved them). */
export async function reloadLogs(ctx: CommandContext): Promise<void> {
  const { count } = await withAgent(ctx, (agent) => agent.call('reloadLogs', {}));
  ctx.out.write(`[PMX] Reopened the logs of ${count} process${count === 1 ? '' : 'es'}\n`);
}
