// A request left before its answer: a start of apps (a file's startOrReload, startOrRestart, start)
// whose command got a Ctrl-C, which the agent does not hear, or any request (a stop, restart,
// delete, scale too) whose agent died before it answered (killed with SIGKILL, out of memory): what
// it had done stands, and the next agent takes it over from its state file. "The agent closed the
// connection" left the user to guess what had been done; they are told, app by app, from what the
// next agent runs.
import { existsSync } from 'node:fs';
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import type { Methods, ProcessDescription } from '../../agent/protocol/types.js';
import { connectAgent, waitForExit } from '../client/agent.js';
import type { AgentConnection } from '../client/connection.js';
import { CliError } from '../client/errors.js';
import type { CommandContext } from './context.js';

/** How long an agent that closed the connection is given to end (a `pmx kill` stopping apps) before it is left alone. */
const END_WAIT_MS = 15_000;

/**
 * The agent's `start` of `apps`; when the agent dies before it answers, the error says what of them
 * runs now. A Ctrl-C meanwhile ends the command, not the start: the agent carries it out all the
 * same, which is said (a silent exit 130 read as a reload stopped halfway, and it went on to every app).
 */
export async function startCall(ctx: CommandContext, agent: AgentConnection, apps: AppSpec[], params: Methods['start']['params']): Promise<Methods['start']['result']> {
  const names = apps.map((app) => app.name);
  const unique = [...new Set(names)];
  // a file of hundreds of apps is named by its first few: the report that follows lists each
  const what = `${params.mode} (${unique.length > 5 ? `${unique.slice(0, 5).join(', ')} and ${unique.length - 5} more` : unique.join(', ')})`;
  const onSignal = (signal: NodeJS.Signals): void => {
    ctx.err.write(`[PMX][WARN] ${signal === 'SIGINT' ? 'interrupted' : signal}: the agent carries on with ${what} by itself; 'pmx ls' shows where it is\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await reported(ctx, agent, what, names, () => agent.call('start', params));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * What `request` (to `agent`, named `what` in messages) answers; when the agent dies before it
 * answers, the error says what each app of `names` (null: every app) runs now (unansweredError).
 */
export async function reported<T>(ctx: CommandContext, agent: AgentConnection, what: string, names: string[] | null, request: () => Promise<T>): Promise<T> {
  const sentAt = Date.now();
  try {
    return await request();
  } catch (error) {
    throw unanswered(error) ? await unansweredError(ctx, error, what, names, agent.agentPid, sentAt) : error;
  }
}

/** The agent closed the connection before it answered a request: that request may have been carried out in part. */
export function unanswered(error: unknown): error is CliError {
  return error instanceof CliError && error.code === 'AGENT_UNREACHABLE' && error.data.closed === true;
}

/**
 * What to say once the agent of pid `agentPid` closed the connection before it answered `what`,
 * sent at `sentAt`: once it has died, each app of `names` (null: every app) as the next agent runs
 * it (started since the request, or running as before); the error it closed with, if it lives on.
 */
async function unansweredError(ctx: CommandContext, error: CliError, what: string, names: string[] | null, agentPid: number | null, sentAt: number): Promise<CliError> {
  if (agentPid === null) return error;
  try {
    // gone for good: its threads, which hold its socket and its lock, ended too
    await waitForExit(agentPid, END_WAIT_MS);
  } catch {
    return error;
  }
  // an agent that ended as asked (pmx kill from another terminal) removes its state file: nothing is left to take over
  if (!existsSync(ctx.home.stateFile)) {
    return new CliError(`the agent (pid ${agentPid}) ended before it answered ${what}: it was stopped (pmx kill?), and its processes with it`, { code: 'AGENT_UNREACHABLE', hint: "run 'pmx ls' to see what runs now" });
  }
  let list: ProcessDescription[];
  try {
    const agent = (await connectAgent(ctx.home, { spawn: true }))!;
    try {
      list = await agent.call('list', { brief: true });
    } finally {
      agent.close();
    }
  } catch {
    // the next agent cannot be reached: what was said stands, and 'pmx ls' tells the rest
    return error;
  }
  const listed = names !== null && names.length > 0 ? names : list.map((proc) => proc.name);
  const lines = [...new Set(listed)].flatMap((name) => {
    const procs = list.filter((proc) => proc.name === name);
    if (procs.length === 0) return [`  ${name}: not registered`];
    return procs.map((proc) => {
      if (proc.pid <= 0) return `  ${name} (id ${proc.pm_id}): ${proc.pm2_env.status}`;
      const since = proc.pm2_env.pm_uptime >= sentAt ? 'started since the request' : 'as before the request';
      return `  ${name} (id ${proc.pm_id}): ${proc.pm2_env.status}, pid ${proc.pid}, ${since}`;
    });
  });
  return new CliError(`the agent (pid ${agentPid}) died before it answered ${what}: what it had done stands, and the next agent took it over. Now:\n${lines.join('\n')}`, {
    code: 'AGENT_UNREACHABLE',
    hint: `see ${ctx.home.logFile} for what the agent did before it died`,
  });
}
