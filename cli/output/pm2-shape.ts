// A process as PM2's `jlist` gives it: the keys PM2 always has (vizion, autostart, treekill, ...),
// the options only when set (PM2 leaves unset ones out rather than writing null), none of the
// keys PM2 deletes once it resolved them (script, out_file, interpreter, ...), and the app's
// environment variables copied at the top of `pm2_env` as PM2 copies them.
import { inspect } from 'node:util';
import { APP_DEFAULTS, incrementedValue } from '../../agent/protocol/app-spec.js';
import type { ProcessDescription } from '../../agent/protocol/types.js';

/** `pm2_env` as PM2 shapes it: the fields scripts read, typed; the rest (options, env copies) by name. */
export interface Pm2ShapedEnv {
  name: string;
  namespace: string;
  env: Record<string, string>;
  status: string;
  pm_id: number;
  restart_time: number;
  unstable_restarts: number;
  pm_uptime: number;
  created_at: number | null;
  exec_mode: 'fork_mode' | 'cluster_mode';
  instances: number;
  pm_exec_path: string;
  pm_cwd: string;
  exec_interpreter: string;
  node_args: string[];
  pm_out_log_path: string;
  pm_err_log_path: string;
  pm_pid_path: string;
  version: string;
  [key: string]: unknown;
}

/** One entry of `jlist` as PM2 writes it. */
export interface Pm2Process {
  pid: number;
  name: string;
  pm2_env: Pm2ShapedEnv;
  pm_id: number;
  monit: { memory: number; cpu: number };
}

/** Options PM2 keeps in `pm2_env` only when the app set them: shown when they differ from the default. */
const OPTIONAL = [
  'max_memory_restart',
  'cron_restart',
  'max_restarts',
  'min_uptime',
  'restart_delay',
  'exp_backoff_restart_delay',
  'stop_exit_codes',
  'kill_timeout',
  'shutdown_with_message',
  'wait_ready',
  'listen_timeout',
  'ignore_watch',
  'watch_delay',
  'log_date_format',
  'log_type',
  'time',
] as const;

/** pmx's own keys (README, "Coming from PM2"), shown only when they carry something. */
const EXTENSIONS = ['listen', 'log_rotate', 'log_mode'] as const;

/** The PM2-shaped entry for one process. */
export function toPm2Shape(proc: ProcessDescription): Pm2Process {
  const env = proc.pm2_env;
  const shaped: Record<string, unknown> = { name: env.name, namespace: env.namespace };
  if (env.args.length > 0) shaped.args = env.args;
  // increment_var: this instance's value, as the app has it
  const increment = incrementedValue(env, env.NODE_APP_INSTANCE);
  shaped.env = increment === null ? env.env : { ...env.env, [env.increment_var!]: String(increment) };
  if (env.merge_logs) shaped.merge_logs = true;
  Object.assign(shaped, {
    vizion: true,
    autostart: env.autostart !== false,
    autorestart: env.autorestart,
    watch: env.watch,
    instance_var: env.instance_var,
    ...(env.increment_var ? { increment_var: env.increment_var } : {}),
    pmx: env.pmx !== false,
    automation: true,
    treekill: true,
    username: env.username,
    windowsHide: true,
    kill_retry_time: 100,
  });
  const defaults = APP_DEFAULTS as Record<string, unknown>;
  for (const key of OPTIONAL) {
    const value = (env as unknown as Record<string, unknown>)[key];
    if (value !== null && value !== undefined && !sameValue(value, defaults[key])) shaped[key] = value;
  }
  Object.assign(shaped, {
    node_args: env.node_args,
    pm_exec_path: env.pm_exec_path,
    pm_cwd: env.pm_cwd,
    exec_interpreter: env.exec_interpreter,
    exec_mode: env.exec_mode,
    instances: env.instances,
    pm_out_log_path: env.pm_out_log_path,
    pm_err_log_path: env.pm_err_log_path,
  });
  if (env.pm_log_path) shaped.pm_log_path = env.pm_log_path;
  Object.assign(shaped, { pm_pid_path: env.pm_pid_path, km_link: false, vizion_running: false, [env.instance_var]: env.NODE_APP_INSTANCE });
  // PM2 copies the app's variables next to its own keys; its own keys win
  for (const [key, value] of Object.entries(shaped.env as Record<string, string>)) if (!(key in shaped)) shaped[key] = value;
  Object.assign(shaped, {
    unique_id: env.unique_id,
    status: env.status,
    pm_uptime: env.pm_uptime,
    axm_actions: [],
    axm_monitor: env.axm_monitor ?? {},
    axm_options: {},
    axm_dynamic: {},
    created_at: env.created_at,
    pm_id: env.pm_id,
    restart_time: env.restart_time,
    unstable_restarts: env.unstable_restarts,
    version: env.version ?? 'N/A',
  });
  if (env.node_version) shaped.node_version = env.node_version;
  // PM2 records `code || 0`: a process that a signal ended has exit code 0
  const exitCode = env.exit_code ?? (env.last_exit ? 0 : null);
  if (exitCode !== null) shaped.exit_code = exitCode;
  // an app with exp_backoff_restart_delay: the back-off in force (0 after a restart by hand, or once stable)
  if (typeof env.prev_restart_delay === 'number') shaped.prev_restart_delay = env.prev_restart_delay;
  for (const key of EXTENSIONS) {
    const value = env[key];
    if (value !== null && value !== undefined && !(Array.isArray(value) && value.length === 0)) shaped[key] = value;
  }
  if (env.hang_timeout) shaped.hang_timeout = env.hang_timeout;
  if (env.health_check) shaped.health_check = env.health_check;
  if (env.health) shaped.health = env.health;
  if (env.pmx_events) shaped.pmx_events = env.pmx_events;
  if (env.restart_limit) shaped.restart_limit = env.restart_limit;
  if (env.notify) shaped.notify = env.notify;
  if (env.watchdog) shaped.watchdog = env.watchdog;
  if (env.pmx_notify) shaped.pmx_notify = env.pmx_notify;
  if (env.pmx_restart_at) shaped.pmx_restart_at = env.pmx_restart_at;
  if (env.pmx_error) shaped.pmx_error = env.pmx_error;
  if (env.pmx_log_error) shaped.pmx_log_error = env.pmx_log_error;
  if (env.pmx_state_error) shaped.pmx_state_error = env.pmx_state_error;
  return { pid: proc.pid, name: proc.name, pm2_env: shaped as Pm2ShapedEnv, pm_id: proc.pm_id, monit: proc.monit };
}

/** `jlist`: one line of JSON, PM2's shape. */
export function renderJlist(procs: readonly ProcessDescription[]): string {
  return JSON.stringify(procs.map(toPm2Shape));
}

/** `prettylist`: PM2 prints `util.inspect` of the list (`status: 'online'`, `node_args: []`), not JSON. */
export function renderPrettylist(procs: readonly ProcessDescription[]): string {
  return inspect(procs.map(toPm2Shape), { showHidden: false, depth: null, colors: false });
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
