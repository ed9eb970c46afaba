// What the dashboard shows of a process: a few fields of its `jlist` entry. The environment and
// the rest of the spec stay out, so secrets in env never reach a browser.
import type { ProcessDescription } from '../protocol/types.js';

/** One row of the dashboard's process list. */
export interface DashboardProcess {
  pm_id: number;
  name: string;
  namespace: string;
  pid: number;
  status: string;
  exec_mode: string;
  restart_time: number;
  unstable_restarts: number;
  /** ms since epoch of the last start. */
  pm_uptime: number;
  cpu: number;
  memory: number;
  /** The health check's status, when the app has one and it runs. */
  health: 'starting' | 'healthy' | 'unhealthy' | null;
  /** The app's last STATUS= line on its notify socket, when it runs and said one. */
  notify_status: string | null;
}

/** The row for one `jlist` entry. */
export function processView(entry: ProcessDescription): DashboardProcess {
  const env = entry.pm2_env;
  return {
    pm_id: entry.pm_id,
    name: entry.name,
    namespace: env.namespace,
    pid: entry.pid,
    status: env.status,
    exec_mode: env.exec_mode,
    restart_time: env.restart_time,
    unstable_restarts: env.unstable_restarts,
    pm_uptime: env.pm_uptime,
    cpu: entry.monit.cpu,
    memory: entry.monit.memory,
    health: env.status === 'online' ? (env.health?.status ?? null) : null,
    notify_status: env.pmx_notify?.status ?? null,
  };
}
