// The environment a supervised process's child starts with: the app's variables, and around them
// the keys PM2 puts in every app's environment (pm_id, name, NODE_APP_INSTANCE or its
// instance_var, increment_var, and its description: exec_mode, instances, the paths, ...).
import { incrementedValue, type AppSpec } from '../protocol/app-spec.js';
import type { LogTargets } from '../logs/sink.js';
import { ProcessState } from './states.js';

/** What the environment is made of: the process, its files, and its counters at this launch. */
export interface ChildEnvInput {
  spec: AppSpec;
  id: number;
  instance: number;
  logTargets: LogTargets;
  pidFile: string;
  createdAt: number;
  /** PM2's unique_id: the process's UUID. */
  uniqueId: string;
  restarts: number;
  unstableRestarts: number;
  now: number;
}

/** The child's environment; the app's own variables win over PM2's description keys, pmx's identity keys over both. */
export function childEnvironment(input: ChildEnvInput): Record<string, string> {
  const { spec, id, instance } = input;
  // a NOTIFY_SOCKET inherited from the agent's own environment (pmx-runtime under systemd) is not the app's
  const { NOTIFY_SOCKET: _socket, WATCHDOG_USEC: _usec, WATCHDOG_PID: _pid, ...env } = spec.env;
  return {
    ...pm2Keys(input),
    ...env,
    name: spec.name,
    namespace: spec.namespace,
    pm_id: String(id),
    unique_id: input.uniqueId,
    // `instance_var` renames NODE_APP_INSTANCE, as in PM2: the app sees one variable, not two
    [spec.instance_var]: String(instance),
    ...(spec.increment_var ? { [spec.increment_var]: String(incrementedValue(spec, instance)) } : {}),
  };
}

/**
 * What PM2 also puts in every app's environment, from its own description of the process (apps
 * read exec_mode, instances, pm_exec_path, the log paths).
 */
function pm2Keys({ spec, logTargets, pidFile, createdAt, restarts, unstableRestarts, now }: ChildEnvInput): Record<string, string> {
  return {
    pm_exec_path: spec.script,
    pm_cwd: spec.cwd,
    pm_out_log_path: logTargets.out,
    pm_err_log_path: logTargets.err,
    ...(logTargets.combined ? { pm_log_path: logTargets.combined } : {}),
    pm_pid_path: pidFile,
    exec_mode: spec.exec_mode,
    exec_interpreter: spec.interpreter,
    instances: String(spec.instances),
    instance_var: spec.instance_var,
    autorestart: String(spec.autorestart),
    // PM2 has these only when the app sets them
    ...(spec.merge_logs ? { merge_logs: 'true' } : {}),
    ...(spec.watch !== false ? { watch: String(spec.watch) } : {}),
    status: ProcessState.LAUNCHING,
    restart_time: String(restarts),
    unstable_restarts: String(unstableRestarts),
    created_at: String(createdAt),
    pm_uptime: String(now),
  };
}
