// Every app key PM2 knows, with how pmx reads it into an AppSpec draft. A key mapped to `null` is
// accepted (PM2 has it) but has no effect in pmx.
import { createRequire } from 'node:module';
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import {
  type Parsed,
  parseBoolean,
  parseCodes,
  parseCount,
  parseDuration,
  parseEnv,
  parseInstances,
  parseSize,
  parseWords,
} from './values.js';

/** Raw values gathered from a file or flags before paths and defaults are resolved. */
export type Draft = Partial<AppSpec> & { script?: string; cwd?: string; env?: Record<string, string> };

type Reader = (value: unknown, draft: Draft) => Parsed<unknown>;

const set = <K extends keyof Draft>(key: K, parse: (value: unknown) => Parsed<Draft[K]>): Reader => (value, draft) => {
  const parsed = parse(value);
  if (parsed.ok) draft[key] = parsed.value;
  return parsed;
};

const text = (value: unknown): Parsed<string> =>
  typeof value === 'string' && value.length > 0 ? { ok: true, value } : { ok: false, expected: 'a non-empty string' };
const optionalText = (value: unknown): Parsed<string | null> =>
  value === null || value === false ? { ok: true, value: null } : text(value);

/** croner, loaded only when a file has a cron key: most starts never need it. */
const loadCron = (): typeof import('croner').Cron => (createRequire(import.meta.url)('croner') as typeof import('croner')).Cron;

function cron(value: unknown): Parsed<string | null> {
  if (value === null || value === false || value === '') return { ok: true, value: null };
  if (typeof value !== 'string') return { ok: false, expected: "a cron expression such as '0 3 * * *'" };
  try {
    new (loadCron())(value, { paused: true }).stop();
    return { ok: true, value };
  } catch (error) {
    return { ok: false, expected: `a valid cron expression (${(error as Error).message})` };
  }
}

function execMode(value: unknown): Parsed<AppSpec['exec_mode']> {
  if (value === 'fork' || value === 'fork_mode') return { ok: true, value: 'fork_mode' };
  if (value === 'cluster' || value === 'cluster_mode') return { ok: true, value: 'cluster_mode' };
  return { ok: false, expected: "'fork' or 'cluster'" };
}

function watch(value: unknown): Parsed<boolean | string[]> {
  if (typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'string') return { ok: true, value: [value] };
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return { ok: true, value };
  return { ok: false, expected: 'true, false, a path or an array of paths' };
}

function strings(value: unknown): Parsed<string[]> {
  if (typeof value === 'string') return { ok: true, value: [value] };
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return { ok: true, value };
  return { ok: false, expected: 'a string or an array of strings' };
}

function listen(value: unknown): Parsed<string[]> {
  const list = Array.isArray(value) ? value : [value];
  if (list.every((item) => (typeof item === 'number' && Number.isInteger(item)) || (typeof item === 'string' && item !== ''))) {
    return { ok: true, value: list.map(String) };
  }
  return { ok: false, expected: "a port, '[host:]port', or an array of them" };
}

function logType(value: unknown): Parsed<AppSpec['log_type']> {
  return value === 'json' || value === 'raw' ? { ok: true, value } : { ok: false, expected: "'json' or 'raw'" };
}

/** `log_rotate: { max_size: '10M', retain: 5, compress: true, rotate_interval: '0 0 * * *', date_format }`. */
function logRotate(value: unknown): Parsed<AppSpec['log_rotate']> {
  if (value === null || value === false) return { ok: true, value: null };
  const expected = "an object with max_size ('10M'), retain (a count), compress (true/false), rotate_interval (a cron expression), date_format";
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, expected };
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((key) => !['max_size', 'retain', 'compress', 'rotate_interval', 'date_format'].includes(key));
  if (unknown.length > 0) return { ok: false, expected: `${expected} (unknown: ${unknown.join(', ')})` };
  const size = raw.max_size === undefined ? ({ ok: true, value: 0 } as const) : parseSize(raw.max_size);
  const retain = raw.retain === undefined ? ({ ok: true, value: 30 } as const) : parseCount(raw.retain, 1);
  const compress = raw.compress === undefined ? ({ ok: true, value: false } as const) : parseBoolean(raw.compress);
  const interval = raw.rotate_interval === undefined ? ({ ok: true, value: null } as const) : cron(raw.rotate_interval);
  const format = raw.date_format === undefined ? ({ ok: true, value: 'YYYY-MM-DD_HH-mm-ss' } as const) : text(raw.date_format);
  for (const [key, parsed] of [['max_size', size], ['retain', retain], ['compress', compress], ['rotate_interval', interval], ['date_format', format]] as const) {
    if (!parsed.ok) return { ok: false, expected: `${expected}; its ${key} must be ${parsed.expected}` };
  }
  return {
    ok: true,
    value: {
      max_size: (size as { value: number }).value,
      retain: (retain as { value: number }).value,
      compress: (compress as { value: boolean }).value,
      rotate_interval: (interval as { value: string | null }).value,
      date_format: (format as { value: string }).value,
    },
  };
}

const ignored: Reader = () => ({ ok: true, value: undefined });

/** Key -> reader, for every key an app may have (aliases included). */
export const APP_KEYS: Record<string, Reader> = {
  name: set('name', text),
  script: set('script', text),
  cwd: set('cwd', text),
  args: set('args', parseWords),
  interpreter: set('interpreter', text),
  exec_interpreter: set('interpreter', text),
  interpreter_args: set('interpreter_args', parseWords),
  node_args: set('interpreter_args', parseWords),
  namespace: set('namespace', text),
  instances: set('instances', (value) => parseInstances(value)),
  exec_mode: set('exec_mode', execMode),
  env: set('env', parseEnv),
  autorestart: set('autorestart', parseBoolean),
  max_restarts: set('max_restarts', (value) => parseCount(value)),
  min_uptime: set('min_uptime', parseDuration),
  restart_delay: set('restart_delay', parseDuration),
  exp_backoff_restart_delay: set('exp_backoff_restart_delay', parseDuration),
  max_memory_restart: set('max_memory_restart', parseSize),
  cron_restart: set('cron_restart', cron),
  cron: set('cron_restart', cron),
  stop_exit_codes: set('stop_exit_codes', parseCodes),
  kill_timeout: set('kill_timeout', parseDuration),
  shutdown_with_message: set('shutdown_with_message', parseBoolean),
  wait_ready: set('wait_ready', parseBoolean),
  listen_timeout: set('listen_timeout', parseDuration),
  out_file: set('out_file', optionalText),
  output: set('out_file', optionalText),
  error_file: set('error_file', optionalText),
  error: set('error_file', optionalText),
  err_file: set('error_file', optionalText),
  log_file: set('log_file', (value) => (value === true ? { ok: true, value: 'default' } : optionalText(value))),
  log: set('log_file', (value) => (value === true ? { ok: true, value: 'default' } : optionalText(value))),
  merge_logs: set('merge_logs', parseBoolean),
  combine_logs: set('merge_logs', parseBoolean),
  log_date_format: set('log_date_format', optionalText),
  log_type: set('log_type', logType),
  time: set('time', parseBoolean),
  instance_var: set('instance_var', text),
  watch: set('watch', watch),
  ignore_watch: set('ignore_watch', strings),
  watch_delay: set('watch_delay', parseDuration),
  listen: set('listen', listen),
  log_rotate: set('log_rotate', logRotate),
  // PM2 keys that pmx accepts without acting on them
  version: ignored,
  vizion: ignored,
  automation: ignored,
  treekill: ignored,
  pmx: ignored,
  source_map_support: ignored,
  disable_source_map_support: ignored,
  increment_var: ignored,
  filter_env: ignored,
  append_env_to_name: ignored,
  force: ignored,
  autostart: ignored,
  post_update: ignored,
  trace: ignored,
  disable_trace: ignored,
  deep_monitoring: ignored,
  kill_retry_time: ignored,
  watch_options: ignored,
  windowsHide: ignored,
  uid: ignored,
  gid: ignored,
  user: ignored,
  username: ignored,
  port: ignored,
  pid_file: ignored,
  pid: ignored,
  node_version: ignored,
  io: ignored,
  env_file: ignored,
  container: ignored,
  dist: ignored,
  docker: ignored,
  exec_watch: ignored,
};
