// The agent's home directory (PMX_HOME) and the paths inside it, computed in one place.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface AgentHome {
  root: string;
  socket: string;
  pidFile: string;
  logFile: string;
  logs: string;
  pids: string;
  dump: string;
}

/** The home named by PMX_HOME, or ~/.pmx. */
export function resolveHome(env: Record<string, string | undefined> = process.env): AgentHome {
  const root = resolve(env.PMX_HOME || join(homedir(), '.pmx'));
  return {
    root,
    socket: join(root, 'agent.sock'),
    pidFile: join(root, 'agent.pid'),
    logFile: join(root, 'agent.log'),
    logs: join(root, 'logs'),
    pids: join(root, 'pids'),
    dump: join(root, 'dump.pmx'),
  };
}
