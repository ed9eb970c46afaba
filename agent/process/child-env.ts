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

/** Variables of the agent's own environment that are no app's (pmx-runtime under systemd): not passed on from a spec. */
const AGENT_ONLY = new Set(['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']);

/** The child's environment; the app's own variables win over PM2's description keys, pmx's identity keys over both. */
export function childEnvironment(input: ChildEnvInput): Record<string, string> {
  const { spec, id, instance } = input;
  // made key by key, as `{ ...pm2Keys, ...env, name, ... }` would make it: spreading the app's
  // variables into an object that has keys already cost about 100 us and 100 KB of garbage a call
  // (V8 builds such an object one hidden class at a time), twice a launch
  const env = pm2Keys(input);
  // a NOTIFY_SOCKET inherited from the agent's own environment (pmx-runtime under systemd) is not the app's
  for (const key of Object.keys(spec.env)) if (!AGENT_ONLY.has(key)) put(env, key, spec.env[key]!);
  put(env, 'name', spec.name);
  put(env, 'namespace', spec.namespace);
  put(env, 'pm_id', String(id));
  put(env, 'unique_id', input.uniqueId);
  // `instance_var` renames NODE_APP_INSTANCE, as in PM2: the app sees one variable, not two
  put(env, spec.instance_var, String(instance));
  if (spec.increment_var) put(env, spec.increment_var, String(incrementedValue(spec, instance)));
  return env;
}

/** Sets `key` as a key of an object literal does: `__proto__` too becomes a variable of that name, not the object's prototype. */
function put(env: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') Object.defineProperty(env, key, { value, enumerable: true, writable: true, configurable: true });
  else env[key] = value;
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
