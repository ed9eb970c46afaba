// The short form in which PM2's stop, restart, reload and delete (and a start that restarts) hand
// each process to their callback, as its API's _operate builds it.
import type { ProcessDescription } from '../../agent/protocol/types.js';
import { toPm2Shape } from '../output/pm2-shape.js';

/**
 * A process as PM2's stop, restart, reload and delete hand it to their callback: its name,
 * namespace, id, status and restart count, at the top and again in a `pm2_env` that has only them
 * and the environment.
 */
export interface OperatedProcess {
  name: string;
  namespace: string;
  pm_id: number;
  status: string;
  restart_time: number;
  pm2_env: { name: string; namespace: string; pm_id: number; status: string; restart_time: number; env: Record<string, string> };
}

/** A process the agent describes, in that short form. */
export function operated(proc: ProcessDescription): OperatedProcess {
  const { name, namespace, pm_id, status, restart_time, env } = toPm2Shape(proc).pm2_env;
  return { name, namespace, pm_id, status, restart_time, pm2_env: { name, namespace, pm_id, status, restart_time, env } };
}
