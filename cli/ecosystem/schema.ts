// Every app key PM2 knows: how pmx reads the ones it acts on into a draft, and how it checks the
// ones PM2 has but pmx leaves alone (so real PM2 files load without a warning).
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import { parseCron, parseLogRotate } from './log-rotate.js';
import { parseHangTimeout, parseHealth, parseWatchdog } from './health.js';
import { parseRestartLimit } from './restart-limit.js';
import {
  type Parsed,
  parseBoolean,
  parseCodes,
  parseCount,
  parseDuration,
  parseEnv,
  parseExecMode,
  parseFilterEnv,
  parseGroupIdentity,
  parseUserIdentity,
  parseInstances,
  parseListen,
  parseLogType,
  parseMode,
  parseName,
  parseOptionalText,
  parsePort,
  parseSize,
  parseStrings,
  parseText,
  parseVariableName,
  parseWatch,
  parseWords,
} from './values.js';

/** The keys of an app as read, before paths, defaults and the environment are resolved. */
export type Draft = Partial<Omit<AppSpec, 'log_file' | 'env' | 'app_env' | 'version'>> & {
  /** `log_file: true`: PM2's default combined log. */
  log_file?: string | null | true;
  /** The app's own `env` block. */
  env?: Record<string, string>;
  filter_env?: boolean | string | string[];
  append_env_to_name?: boolean;
  disable_logs?: boolean;
  port?: string;
  /** `instances` written as all the cores ('max', 0): PM2 then keeps one set of log files unless exec_mode says cluster. */
  all_cores?: boolean;
};

type Reader = (value: unknown, draft: Draft) => Parsed<unknown>;

const set = <K extends keyof Draft>(key: K, parse: (value: unknown) => Parsed<Draft[K]>): Reader => (value, draft) => {
  const parsed = parse(value);
  if (parsed.ok) draft[key] = parsed.value;
  return parsed;
};

const logFile = (value: unknown): Parsed<string | null | true> => (value === true ? { ok: true, value: true } : parseOptionalText(value));

/** Key -> reader, for every key pmx acts on (PM2's aliases included). */
export const APP_KEYS: Record<string, Reader> = {
  // `name: ''` is unset: the app is named after its script, as PM2 names it
  name: (value, draft) => (value === '' ? { ok: true, value: undefined } : set('name', parseName)(value, draft)),
  script: set('script', parseText),
  exec: set('script', parseText),
  cmd: set('script', parseText),
  command: set('script', parseText),
  cwd: set('cwd', parseText),
  args: set('args', parseWords),
  interpreter: set('interpreter', parseText),
  exec_interpreter: set('interpreter', parseText),
  interpreter_args: set('interpreter_args', parseWords),
  node_args: set('interpreter_args', parseWords),
  namespace: set('namespace', parseName),
  instances: (value, draft) => {
    const parsed = parseInstances(value);
    if (parsed.ok) {
      draft.instances = parsed.value;
      if (value === 'max' || Number(value) === 0) draft.all_cores = true;
    }
    return parsed;
  },
  exec_mode: set('exec_mode', parseExecMode),
  env: set('env', parseEnv),
  filter_env: set('filter_env', parseFilterEnv),
  append_env_to_name: set('append_env_to_name', parseBoolean),
  port: set('port', parsePort),
  autorestart: set('autorestart', parseBoolean),
  autostart: set('autostart', parseBoolean),
  max_restarts: set('max_restarts', (value) => parseCount(value)),
  min_uptime: set('min_uptime', parseDuration),
  restart_delay: set('restart_delay', parseDuration),
  exp_backoff_restart_delay: set('exp_backoff_restart_delay', parseDuration),
  max_memory_restart: set('max_memory_restart', parseSize),
  cron_restart: set('cron_restart', parseCron),
  cron: set('cron_restart', parseCron),
  stop_exit_codes: set('stop_exit_codes', parseCodes),
  kill_timeout: set('kill_timeout', parseDuration),
  pid_file: set('pid_file', parseOptionalText),
  drain_timeout: set('drain_timeout', parseDuration),
  shutdown_with_message: set('shutdown_with_message', parseBoolean),
  wait_ready: set('wait_ready', parseBoolean),
  listen_timeout: set('listen_timeout', parseDuration),
  out_file: set('out_file', parseOptionalText),
  output: set('out_file', parseOptionalText),
  out: set('out_file', parseOptionalText),
  out_log: set('out_file', parseOptionalText),
  error_file: set('error_file', parseOptionalText),
  error: set('error_file', parseOptionalText),
  err: set('error_file', parseOptionalText),
  err_file: set('error_file', parseOptionalText),
  err_log: set('error_file', parseOptionalText),
  log_file: set('log_file', logFile),
  log: set('log_file', logFile),
  log_mode: set('log_mode', parseMode),
  disable_logs: set('disable_logs', parseBoolean),
  merge_logs: set('merge_logs', parseBoolean),
  combine_logs: set('merge_logs', parseBoolean),
  log_date_format: set('log_date_format', parseOptionalText),
  log_type: set('log_type', parseLogType),
  time: set('time', parseBoolean),
  instance_var: set('instance_var', parseText),
  increment_var: set('increment_var', parseVariableName),
  watch: set('watch', parseWatch),
  ignore_watch: set('ignore_watch', parseStrings),
  watch_delay: set('watch_delay', parseDuration),
  listen: set('listen', parseListen),
  log_rotate: set('log_rotate', parseLogRotate),
  pmx: set('pmx', parseBoolean),
  hang_timeout: set('hang_timeout', parseHangTimeout),
  health: set('health_check', parseHealth),
  restart_limit: set('restart_limit', parseRestartLimit),
  notify: set('notify', parseBoolean),
  watchdog: set('watchdog', parseWatchdog),
};

const anything = (value: unknown): Parsed<unknown> => ({ ok: true, value });
const object = (value: unknown): Parsed<unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? { ok: true, value } : { ok: false, expected: 'an object' };
const list = (value: unknown): Parsed<unknown> => (Array.isArray(value) ? { ok: true, value } : { ok: false, expected: 'an array' });

/** Keys PM2 has that pmx accepts without acting on them, with PM2's type for each: PM2 rejects a wrong type, so does pmx. */
export const PM2_ONLY_KEYS: Record<string, (value: unknown) => Parsed<unknown>> = {
  vizion: parseBoolean,
  automation: parseBoolean,
  treekill: parseBoolean,
  source_map_support: parseBoolean,
  disable_source_map_support: parseBoolean,
  force: parseBoolean,
  trace: parseBoolean,
  disable_trace: parseBoolean,
  v8: parseBoolean,
  event_loop_inspector: parseBoolean,
  deep_monitoring: parseBoolean,
  windowsHide: parseBoolean,
  write: parseBoolean,
  execute_command: parseBoolean,
  name_prefix: parseText,
  install_url: parseText,
  username: parseText,
  pid: parseOptionalText,
  uid: parseUserIdentity,
  user: parseUserIdentity,
  gid: parseGroupIdentity,
  kill_retry_time: parseDuration,
  watch_options: object,
  io: object,
  post_update: list,
  version: anything,
  node_version: anything,
  exec_watch: anything,
  container: anything,
  dist: anything,
  docker: anything,
};

/** Every key an app may have, for "did you mean" suggestions. */
export const KNOWN_KEYS: readonly string[] = [...Object.keys(APP_KEYS), ...Object.keys(PM2_ONLY_KEYS)];
