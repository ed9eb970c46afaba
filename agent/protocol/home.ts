// The agent's home directory (PMX_HOME) and the paths inside it, computed in one place.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface AgentHome {
  root: string;
  socket: string;
  pidFile: string;
  /** Locked (flock) by the running agent for its whole life: one agent per home. Never removed. */
  lockFile: string;
  /** What the running agent supervises, rewritten on every change: the next agent adopts it after a crash. */
  stateFile: string;
  /** Named pipes that carry the apps' output, so that a later agent can read them again. */
  pipes: string;
  /** The notify sockets of apps with `notify` or `watchdog`, one per child (kept short: a socket path holds 107 bytes). */
  notify: string;
  logFile: string;
  logs: string;
  pids: string;
  dump: string;
}

/**
 * The home named by PMX_HOME, or ~/.pmx, as named: a short link to a deep directory keeps the
 * socket's path short. home-guard.ts refuses a path through a link or a directory that another
 * user could change, so the name keeps leading where it was checked.
 */
export function resolveHome(env: Record<string, string | undefined> = process.env): AgentHome {
  const root = resolve(env.PMX_HOME || join(homedir(), '.pmx'));
  return {
    root,
    socket: join(root, 'agent.sock'),
    pidFile: join(root, 'agent.pid'),
    lockFile: join(root, 'agent.lock'),
    stateFile: join(root, 'agent.state'),
    pipes: join(root, 'pipes'),
    notify: join(root, 'notify'),
    logFile: join(root, 'agent.log'),
    logs: join(root, 'logs'),
    pids: join(root, 'pids'),
    dump: join(root, 'dump.pmx'),
  };
}

