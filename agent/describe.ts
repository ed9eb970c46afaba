// A supervised process in PM2's `jlist` shape.
import { userInfo } from 'node:os';
import type { ProcessDescription } from './protocol/types.js';
import type { SupervisedProcess } from './process/supervised.js';
import { isRunning, publicStatus } from './process/states.js';
import { axmMonitor } from './metrics/axm-monitor.js';

/** The `jlist` entry for one process. */
export function describeProcess(proc: SupervisedProcess): ProcessDescription {
  const { spec, lifecycle, logTargets } = proc;
  const running = isRunning(lifecycle.status);
  return {
    pid: running ? proc.pid : 0,
    name: spec.name,
    pm_id: proc.id,
    monit: running ? { ...proc.monit } : { memory: 0, cpu: 0 },
    pm2_env: {
      ...spec,
      pm_id: proc.id,
      status: publicStatus(lifecycle.status),
      restart_time: lifecycle.restarts,
      unstable_restarts: lifecycle.unstableRestarts,
      pm_uptime: lifecycle.startedAt || proc.createdAt,
      created_at: proc.createdAt,
      exit_code: lifecycle.exitCode,
      last_exit: proc.lastExit,
      pm_out_log_path: logTargets.out,
      pm_err_log_path: logTargets.err,
      pm_log_path: logTargets.combined,
      pm_pid_path: proc.pidFile,
      pm_exec_path: spec.script,
      pm_cwd: spec.cwd,
      exec_interpreter: spec.interpreter,
      node_args: spec.interpreter_args,
      unique_id: `${spec.namespace}:${spec.name}:${proc.id}`,
      NODE_APP_INSTANCE: proc.instance,
      username: currentUser(),
      pmx_error: proc.error,
      pmx_log_error: proc.logs.writeFailure(),
      axm_monitor: axmMonitor(running ? proc.nodeMetrics : null),
    },
  };
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '');
  }
}
