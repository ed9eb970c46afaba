// The validated description of one application, as the agent receives it. Keys use PM2's
// ecosystem names so that `jlist` can expose them unchanged under `pm2_env`.

/** How an app is run: one process, or N instances behind one port. */
export type ExecMode = 'fork_mode' | 'cluster_mode';

/** Everything the agent needs to run an app; produced by cli/ecosystem, never by the agent. */
export interface AppSpec {
  name: string;
  namespace: string;
  /** Absolute path of the script, or a bare command name looked up on PATH. */
  script: string;
  args: string[];
  /** Absolute working directory. */
  cwd: string;
  /** 'node', 'python3', 'bash', an absolute path, or 'none' to execute the script directly. */
  interpreter: string;
  /** Arguments given to the interpreter before the script (`node_args` for node). */
  interpreter_args: string[];
  /** The whole environment the app starts with (the CLI's environment merged with the app's). */
  env: Record<string, string>;
  /** The part of `env` the app declared itself (ecosystem `env`/`env_<name>`): `--update-env` keeps it over the new shell's. */
  app_env?: Record<string, string>;
  exec_mode: ExecMode;
  instances: number;
  /** false: registered stopped, started only when asked (PM2's `autostart`). */
  autostart: boolean;
  autorestart: boolean;
  max_restarts: number;
  /** ms: a process that exits sooner than this after starting counts as an unstable restart. */
  min_uptime: number;
  restart_delay: number;
  exp_backoff_restart_delay: number;
  /** bytes; 0 disables the check. */
  max_memory_restart: number;
  cron_restart: string | null;
  stop_exit_codes: number[];
  kill_timeout: number;
  /** Absolute path of the pid file (PM2's `pid_file`, `--pid`): `-<id>` goes before `.pid`, as PM2 names it; null: pids/<name>-<id>.pid. */
  pid_file: string | null;
  /**
   * ms a replaced cluster worker has, at a reload, to finish the requests and connections it holds
   * before it gets SIGINT (pmx's own; PM2 signals at once).
   */
  drain_timeout: number;
  shutdown_with_message: boolean;
  wait_ready: boolean;
  listen_timeout: number;
  /** Absolute log paths; null means the agent's default under PMX_HOME/logs. */
  out_file: string | null;
  error_file: string | null;
  log_file: string | null;
  /** Mode of the log files the agent creates (0600 when absent); an existing file keeps its own. */
  log_mode?: number;
  merge_logs: boolean;
  log_date_format: string | null;
  log_type: 'raw' | 'json';
  time: boolean;
  instance_var: string;
  /**
   * PM2's increment_var: this variable of `env` is a number each instance gets plus its instance
   * number (PORT 3000 gives 3000, 3001, ...); null or absent: none.
   */
  increment_var?: string | null;
  watch: boolean | string[];
  ignore_watch: string[];
  watch_delay: number;
  /** Rotation of this app's log files (size, schedule, retention); null: never rotated. */
  log_rotate: LogRotation | null;
  /** Listening addresses the agent opens and hands over as fd 3.. (socket activation). */
  listen: string[];
  /** Version of the app's package.json when found, for `ls`. */
  version: string | null;
  /** Node apps: false turns the metrics preload off (PM2's key); absent in dumps older than it. */
  pmx?: boolean;
  /** ms a Node app's event loop may stay blocked (no sample from its preload) before it is restarted; 0 (or absent, in older dumps): never. */
  hang_timeout?: number;
  /** The probe that tells whether the app serves (ecosystem key `health`); null (or absent, in older dumps): none. */
  health_check?: HealthCheck | null;
  /** systemd's notify protocol: the app gets NOTIFY_SOCKET, and READY=1 is its 'ready' message; false (or absent, in older dumps): no socket unless `watchdog`. */
  notify?: boolean;
  /** ms the app may go without sending WATCHDOG=1 on its notify socket before it is restarted (exported as WATCHDOG_USEC); 0 (or absent): none. */
  watchdog?: number;
  /** systemd's start-rate limit (ecosystem key `restart_limit`): more than `burst` automatic restarts within `interval` ms and the app is errored; null (or absent, in older dumps): none. */
  restart_limit?: RestartLimit | null;
}

/** At most `burst` automatic restarts within `interval` ms (systemd's StartLimitBurst and StartLimitIntervalSec). */
export interface RestartLimit {
  burst: number;
  interval: number;
}

/** What a health probe asks: an HTTP GET answered 2xx/3xx, a TCP connect, or a command that exits 0. */
export type HealthTarget = { http: string } | { tcp: { host: string; port: number } } | { exec: string };

/** A health probe and its rules, every duration in ms. */
export interface HealthCheck {
  target: HealthTarget;
  /** Between two probes: they fall on the wall clock's multiples of it, the first within one interval of the start; a probe that takes longer is followed at the next multiple. */
  interval: number;
  /** A probe not answered within this fails (an exec probe's process group is killed). */
  timeout: number;
  /** Consecutive failures that restart the app. */
  failures: number;
  /** Failures within this time after the start do not count. */
  start_period: number;
}

/**
 * An http probe's URL with its credential replaced by `***`, for messages and describe: the
 * password, or the user name when it comes alone (`http://TOKEN@host/`: a token given as the user,
 * as GitHub's and many APIs' URLs carry one).
 */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  else if (parsed.username) parsed.username = '***';
  else return url;
  return parsed.href;
}

/** Defaults of a health check's rules. */
export const HEALTH_DEFAULTS = { interval: 10_000, timeout: 5000, failures: 3, start_period: 0 } satisfies Omit<HealthCheck, 'target'>;

/** How an app's log files are rotated: the settings of PM2's pm2-logrotate, per app. */
export interface LogRotation {
  /** bytes; 0: no size limit. */
  max_size: number;
  /** Rotated files kept. */
  retain: number;
  compress: boolean;
  /** A cron expression, or null. */
  rotate_interval: string | null;
  /** dayjs-style format of the date in rotated file names. */
  date_format: string;
}

/**
 * Keys a restart (or a start of an app at rest) never changes in a registered process: they make
 * another app (its name, script, namespace, mode, number of instances, directory, interpreter) or
 * are merged by their own rules (the environment).
 */
export const RESPEC_FORBIDDEN: ReadonlySet<string> = new Set(['name', 'namespace', 'script', 'exec_mode', 'instances', 'cwd', 'env', 'app_env', 'interpreter', 'pid_file']);

/** PM2's defaults for every optional key of an AppSpec. */
export const APP_DEFAULTS = {
  namespace: 'default',
  args: [] as string[],
  interpreter_args: [] as string[],
  exec_mode: 'fork_mode' as ExecMode,
  instances: 1,
  autorestart: true,
  autostart: true,
  max_restarts: 16,
  min_uptime: 1000,
  restart_delay: 0,
  exp_backoff_restart_delay: 0,
  max_memory_restart: 0,
  cron_restart: null,
  stop_exit_codes: [] as number[],
  kill_timeout: 1600,
  pid_file: null,
  drain_timeout: 30_000,
  shutdown_with_message: false,
  wait_ready: false,
  listen_timeout: 3000,
  out_file: null,
  error_file: null,
  log_file: null,
  merge_logs: false,
  log_date_format: null,
  log_type: 'raw' as const,
  time: false,
  instance_var: 'NODE_APP_INSTANCE',
  watch: false,
  ignore_watch: [] as string[],
  watch_delay: 1000,
  log_rotate: null,
  listen: [] as string[],
  version: null,
  pmx: true,
  hang_timeout: 0,
  health_check: null,
  restart_limit: null,
  notify: false,
  watchdog: 0,
} satisfies Partial<AppSpec>;

/** An app name as PM2 writes it in log and pid file names: every character but letters, digits, `.`, `-` and `\\` becomes `-`. */
export function logFileName(name: string): string {
  return name.replace(/[^a-zA-Z0-9\\.-]/g, '-');
}

/** Every key of AppSpec (the record's type makes a new key a compile error until it is listed). */
const SPEC_KEY_SET: Record<keyof AppSpec, true> = {
  ...(Object.fromEntries(Object.keys(APP_DEFAULTS).map((key) => [key, true])) as Record<keyof typeof APP_DEFAULTS, true>),
  name: true,
  script: true,
  cwd: true,
  interpreter: true,
  env: true,
  app_env: true,
  log_mode: true,
  increment_var: true,
};

/** Every key of an AppSpec, to take the spec back out of a process description (whose pm2_env extends it). */
export const APP_SPEC_KEYS: readonly string[] = Object.keys(SPEC_KEY_SET);

/** The value `increment_var` gives instance `instance` (its base in `env`, 0 when not a number, as PM2), or null when the app has none. */
export function incrementedValue(spec: Pick<AppSpec, 'increment_var' | 'env'>, instance: number): number | null {
  if (!spec.increment_var) return null;
  return (Number(spec.env[spec.increment_var]) || 0) + instance;
}
