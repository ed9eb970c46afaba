// What every command gets: the agent home, a connection opened on demand, and output streams.
import { resolveHome, type AgentHome } from '../../agent/protocol/home.js';
import type { AgentConnection } from '../client/connection.js';
import { connectAgent } from '../client/agent.js';
import { wantsColor } from '../output/style.js';

export interface CommandContext {
  home: AgentHome;
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  /** True when stdout is a terminal and colours are wanted. */
  color: boolean;
  /** -m/--mini-list: lists are printed as PM2's minimal list instead of the table. */
  miniList: boolean;
}

/** The context for this process's environment and streams. */
export function commandContext(options: { miniList?: boolean } = {}): CommandContext {
  const color = wantsColor(process.stdout, process.env);
  return { home: resolveHome(), out: process.stdout, err: process.stderr, color, miniList: options.miniList === true };
}

/** Runs `body` with a connection to the agent (started when needed), closing it afterwards. */
export async function withAgent<T>(ctx: CommandContext, body: (agent: AgentConnection) => Promise<T>): Promise<T> {
  const agent = await connectAgent(ctx.home, { spawn: true });
  if (!agent) throw new Error('unreachable: spawn was requested');
  try {
    return await body(agent);
  } finally {
    agent.close();
  }
}
