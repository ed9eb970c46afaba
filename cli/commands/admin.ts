// save, resurrect, kill, ping, update, flush, reloadLogs: the agent as a whole.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { resolveHome, type AgentHome } from '../../agent/protocol/home.js';
import type { RecoveryReport } from '../../agent/protocol/launch.js';
import { connectWithHello, startAgent, waitForExit, type FoundAgent } from '../client/agent.js';
import { lockHolder, readAgentPid } from '../../agent/protocol/lock-probe.js';
import { CliError } from '../client/errors.js';
import { type CommandContext, withAgent } from './context.js';
import { printProcessList } from './list.js';
import { skippedNote } from '../output/resurrect.js';
import { selectorFor } from './targets.js';

/** Whether an agent took over any process (running or at rest) of the agent that died before it. */
function tookOverAny(report: RecoveryReport | null): boolean {
  return report !== null && [report.adopted, report.restarted, report.exited, report.started ?? [], report.resting ?? []].some((procs) => procs.length > 0);
}

/**
 * `pmx save [--force]`. An agent this command had to start, that took over nothing, has nothing
 * of the user's: saving its empty list would replace the dump, so nothing is saved. That is no
 * failure when no agent ran (PM2: "not managing any process, skipping save", exit 0); it is one
 * when an agent had died and what it ran cannot be known.
 */
export async function save(ctx: CommandContext, force: boolean): Promise<void> {
  const found = await connectWithHello(ctx.home, { spawn: true });
  if (!found) throw new Error('unreachable: spawn was requested');
  try {
    const recovered = found.started?.recovered ?? null;
    if (found.started && !tookOverAny(recovered)) {
      if (!recovered?.lost) {
        // an agent that died running nothing has nothing to save either (the takeover said so above)
        const none = recovered ? `The agent in ${ctx.home.root}${recovered.deadAgentPid ? ` (pid ${recovered.deadAgentPid})` : ''} had died with no process` : `No agent was running in ${ctx.home.root}`;
        ctx.err.write(`[PMX][WARN] ${none}: nothing to save, ${ctx.home.dump} is kept as it is\n`);
        return;
      }
      throw new CliError(`no agent was running in ${ctx.home.root}, so there is nothing to save: ${ctx.home.dump} is kept as it is`, { code: 'NOTHING_TO_SAVE', hint: "start your apps (or 'pmx resurrect' the saved ones), then run 'pmx save'" });
    }
    const { file, count, warnings } = await found.connection.call('save', { force });
    for (const warning of warnings) ctx.err.write(`[PMX][WARN] ${warning}\n`);
    ctx.out.write(`[PMX] Saved ${count} process${count === 1 ? '' : 'es'} to ${file}\n`);
  } catch (error) {
    // as PM2 ("not managing any process, skipping save"): the saved list is kept and that is no failure
    if ((error as CliError).code !== 'DUMP_REFUSED') throw error;
    ctx.err.write(`[PMX][WARN] ${(error as CliError).message}; the saved list is kept (pmx save --force saves the empty list)\n`);
  } finally {
    found.connection.close();
  }
}

/**
 * `pmx resurrect`: names the file it used, and skips what already runs (after an agent took over a
 * dead one's processes). Nothing saved is no failure, as in PM2 (a boot script's `resurrect &&`
 * goes on), unless PM2's own list is there to be taken over.
 */
export async function resurrect(ctx: CommandContext, { missingIsError = false } = {}): Promise<void> {
  await withAgent(ctx, async (agent) => {
    let restored;
    try {
      restored = await agent.call('resurrect', {});
    } catch (error) {
      if (!(error instanceof CliError) || error.code !== 'DUMP_MISSING') throw error;
      // a PM2 user's saved list is PM2's dump: say how to take it over
      const pm2Dump = join(process.env.PM2_HOME ?? join(homedir(), '.pm2'), 'dump.pm2');
      if (existsSync(pm2Dump)) throw new CliError(error.message, { code: 'DUMP_MISSING', hint: `PM2's saved list is in ${pm2Dump}: 'pmx import pm2' takes it over` });
      if (missingIsError) throw error;
      ctx.out.write(`[PMX] No processes saved; ${ctx.home.dump} does not exist\n`);
      return;
    }
    const { processes, file, warnings, alreadyPresent, alreadyStopped } = restored;
    for (const warning of warnings) ctx.err.write(`[PMX][WARN] ${warning}\n`);
    const skipped = skippedNote(alreadyPresent, alreadyStopped);
    ctx.out.write(`[PMX] Resurrected ${processes.length} process${processes.length === 1 ? '' : 'es'} from ${file}${skipped}\n`);
    await printProcessList(ctx, agent);
  });
}

/**
 * `pmx kill`: stops every process, then the agent; with no agent running, what a dead one left
 * still running is taken over and stopped. An agent whose socket does not answer (removed
 * and not yet made again, or the agent hangs) is found through the home's lock and sent SIGTERM,
 * which stops its processes just the same; one that does not end then is killed, and a new agent,
 * which takes its processes over, stops them.
 */
export async function kill(ctx: CommandContext): Promise<void> {
  let found;
  try {
    found = await connectWithHello(ctx.home, { spawn: false, anyVersion: true, waitMs: KILL_WAIT_MS });
  } catch (error) {
    const pid = error instanceof CliError && error.code === 'AGENT_UNREACHABLE' ? (lockHolder(ctx.home)?.pid ?? null) : null;
    if (pid === null) throw error;
    await killUnanswering(ctx, pid);
    return;
  }
  if (!found) {
    // an agent that died (SIGKILL, the OOM killer) left its pid file and its state file (a clean end
    // removes both), and may have left processes running: an agent started only to stop them takes
    // them over (restarting nothing), then ends
    const leftover = readAgentPid(ctx.home) !== null || existsSync(ctx.home.stateFile);
    const successor = leftover ? await connectWithHello(ctx.home, { spawn: true, anyVersion: true, toStop: true }) : null;
    if (successor) return stopThrough(ctx, successor);
    ctx.out.write('[PMX] No agent is running\n');
    return;
  }
  await stopThrough(ctx, found);
}

async function stopThrough(ctx: CommandContext, found: FoundAgent): Promise<void> {
  const { stopped } = await found.connection.call('kill', {});
  await waitForExit(found.pid);
  ctx.out.write(`[PMX] Stopped ${stopped} process${stopped === 1 ? '' : 'es'} and the agent\n`);
}

async function killUnanswering(ctx: CommandContext, pid: number): Promise<void> {
  ctx.err.write(`[PMX] The agent (pid ${pid}) does not answer on ${ctx.home.socket}: sending it SIGTERM (it stops its processes, then exits)\n`);
  process.kill(pid, 'SIGTERM');
  try {
    await waitForExit(pid, SIGTERM_WAIT_MS);
    ctx.out.write(`[PMX] Stopped the agent (pid ${pid}) and its processes\n`);
    return;
  } catch {
    ctx.err.write(`[PMX] The agent (pid ${pid}) did not end within ${SIGTERM_WAIT_MS / 1000} s: killing it; a new agent takes its processes over and stops them\n`);
  }
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid);
  // it adopts what still runs and restarts nothing (the workers that died with the old one stay down)
  const successor = await connectWithHello(ctx.home, { spawn: true, anyVersion: true, toStop: true });
  if (successor) await stopThrough(ctx, successor);
}

/** How long `kill` waits for a socket that does not answer before it signals the agent. */
const KILL_WAIT_MS = 2000;
/** How long an agent sent SIGTERM may take to stop its processes (their kill_timeout) and exit. */
const SIGTERM_WAIT_MS = 15_000;

/** `pmx ping`: starts the agent if needed and shows it answers. */
export async function ping(ctx: CommandContext): Promise<void> {
  await withAgent(ctx, async () => undefined);
  ctx.out.write("{ msg: 'pong' }\n");
}

/**
 * `pmx update`: save, restart the agent with this version, resurrect. An agent in the foreground
 * (pmx-runtime under the startup unit, or a container's) is not replaced by one this CLI starts
 * outside it, where stopping the unit would no longer reach the apps: it is asked to end with
 * EXIT_RESTART, and what runs it (`Restart=on-failure`) starts it again, resurrecting the saved
 * list. Only when nothing does within SUCCESSOR_WAIT_MS is an agent started here.
 */
export async function update(ctx: CommandContext): Promise<void> {
  const found = await connectWithHello(ctx.home, { spawn: false, anyVersion: true });
  if (found?.foreground && !found.supervisor) {
    // in a terminal: ending it would leave every app down, and nothing would start it again
    found.connection.close();
    throw new CliError(`the agent runs in the foreground (pmx-runtime, pid ${found.pid}) and nothing would start it again: nothing was stopped`, { code: 'BAD_ARGUMENT', hint: 'stop it (Ctrl-C) and start pmx-runtime again with this version; under an init system or in a container it is restarted for you' });
  }
  // from the stop of the old agent until the saved processes run again, a Ctrl-C would leave every
  // app down with nothing said: the first one is held (and said), a second one quits
  const release = holdInterrupts(ctx, "pmx update is replacing the agent: the saved processes are started again before it ends (Ctrl-C again to quit now and leave them stopped; 'pmx resurrect' starts them)");
  try {
    await replaceAgent(ctx, found);
  } finally {
    release();
  }
}

/** update's work once it knows the agent: save, stop it, and start the saved processes under the new one. */
async function replaceAgent(ctx: CommandContext, found: FoundAgent | null): Promise<void> {
  if (found) {
    const old = found.connection;
    const count = (await old.call('list', {})).length;
    if (count > 0) {
      try {
        await old.call('save', { force: false });
      } catch (error) {
        // nothing was stopped: the update is what to run again, not a save
        if (error instanceof CliError && error.code === 'DUMP_WRITE_FAILED') throw new CliError(`${error.message}; nothing was stopped`, { code: error.code, hint: "free space there (or make it writable) and run 'pmx update' again" });
        throw error;
      }
    }
    try {
      await old.call('kill', found.foreground ? { restart: true } : {});
    } catch (error) {
      // it died while it stopped them (killed, OOM): ended all the same, and what was saved is what comes back
      if (!(error instanceof CliError && error.code === 'AGENT_UNREACHABLE')) throw error;
      ctx.err.write(`[PMX][WARN] The old agent (pid ${found.pid}) died while it stopped the processes: going on with the update\n`);
    }
    await waitForExit(found.pid);
    ctx.out.write(count > 0 ? `[PMX] Saved ${count} process${count === 1 ? '' : 'es'} and stopped the old agent\n` : '[PMX] Stopped the old agent (no process to save: the saved list is kept)\n');
    if (found.foreground) {
      const successor = await successorOf(ctx.home, found.pid);
      if (successor?.foreground) {
        ctx.out.write(`[PMX] The agent ran in the foreground (pmx-runtime, pid ${found.pid}); ${found.supervisor} started it again (pid ${successor.pid}, pmx ${successor.version})\n`);
        await printProcessList(ctx, successor.connection);
        successor.connection.close();
        return;
      }
      if (successor) {
        // another command started an agent in the background before the supervisor's came: the saved list goes there
        successor.connection.close();
        ctx.err.write(`[PMX][WARN] An agent started by another command (pid ${successor.pid}) took the home before ${found.supervisor} started pmx-runtime again: the saved processes are restored there, and pmx-runtime takes over once it ends\n`);
        await resurrectIfSaved(ctx);
        return;
      }
      ctx.err.write(`[PMX][WARN] The agent ran in the foreground (pmx-runtime, pid ${found.pid}) and ${found.supervisor} did not start it again within ${SUCCESSOR_WAIT_MS / 1000} s: starting one in the background\n`);
    }
  }
  await startAgent(resolveHome());
  await resurrectIfSaved(ctx);
}

/**
 * Holds SIGINT and SIGTERM until the returned function is called: the first one says `why`, a
 * second one quits at once (exit 130), as a user who insists expects.
 */
function holdInterrupts(ctx: CommandContext, why: string): () => void {
  let told = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (told) {
      ctx.err.write(`[PMX][WARN] quitting on a second ${signal}: the saved processes may be left stopped; 'pmx resurrect' starts them\n`);
      process.exit(130);
    }
    told = true;
    ctx.err.write(`[PMX][WARN] ${why}\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** How long `update` waits for the init system or container to start a foreground agent again (systemd's RestartSec is 2 s). */
const SUCCESSOR_WAIT_MS = 15_000;

/** The agent that answers in `home` after the one of `oldPid` ended, once one does, or null after SUCCESSOR_WAIT_MS. */
async function successorOf(home: AgentHome, oldPid: number): Promise<FoundAgent | null> {
  const deadline = Date.now() + SUCCESSOR_WAIT_MS;
  while (Date.now() < deadline) {
    const found = await connectWithHello(home, { spawn: false, anyVersion: true }).catch(() => null);
    if (found && found.pid !== oldPid) return found;
    found?.connection.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}

async function resurrectIfSaved(ctx: CommandContext): Promise<void> {
  try {
    await resurrect(ctx, { missingIsError: true });
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
  const { files, skipped } = await withAgent(ctx, (agent) => agent.call('flush', { selector: target ? selectorFor(target) : null }));
  for (const file of files) ctx.out.write(`[PMX] Flushed ${file}\n`);
  // an agent of an older pmx answers without `skipped`
  for (const { reason } of skipped ?? []) ctx.err.write(`[PMX][WARN] Not flushed: ${reason}\n`);
}

/** `pmx reloadLogs`: reopens every log file (after an external logrotate moved them). */
export async function reloadLogs(ctx: CommandContext): Promise<void> {
  const { count } = await withAgent(ctx, (agent) => agent.call('reloadLogs', {}));
  ctx.out.write(`[PMX] Reopened the logs of ${count} process${count === 1 ? '' : 'es'}\n`);
}
