// The shape of an AppSpec as it arrives on the socket: every key of the right type, names
// without control characters, no NUL anywhere, instances within bounds. The CLI sends valid
// specs; anything else that can open the socket gets a validation error, never a TypeError.
import type { AppSpec } from '../protocol/app-spec.js';
import { dateFormatProblem } from '../logs/rotated-files.js';
import { MAX_INSTANCES, MAX_NAME_LENGTH, MAX_TIMER_MS, hasNul, launchSizeProblem, nameProblem } from '../protocol/limits.js';

type Check = (value: unknown) => string | null;

const text: Check = (value) => (typeof value !== 'string' ? 'a string' : hasNul(value) ? 'a string without NUL characters' : null);
const nonEmpty: Check = (value) => text(value) ?? ((value as string).length === 0 ? 'a non-empty string' : null);
const name: Check = (value) => {
  const problem = text(value) === null ? nameProblem(value as string) : 'not a string';
  return problem === null ? null : `a name of 1 to ${MAX_NAME_LENGTH} characters without control characters (${problem})`;
};
const orNull = (check: Check): Check => (value) => (value === null ? null : check(value));
const optional = (check: Check): Check => (value) => (value === undefined ? null : check(value));
const bool: Check = (value) => (typeof value === 'boolean' ? null : 'true or false');
const count: Check = (value) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? null : 'a number of at least 0');
/** ms a timer waits: at most 2^31 - 1 (Node fires a longer timer at once). */
const duration: Check = (value) => count(value) ?? ((value as number) > MAX_TIMER_MS ? `a duration of at most ${MAX_TIMER_MS} ms` : null);
const texts: Check = (value) => (Array.isArray(value) && value.every((item) => text(item) === null) ? null : 'an array of strings without NUL characters');
const oneOf = (...allowed: string[]): Check => (value) => (allowed.includes(value as string) ? null : allowed.map((item) => `'${item}'`).join(' or '));

/** Environment variables: names without '=' or NUL (and not `__proto__`), string values without NUL. */
const environment: Check = (value) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'an object of variables';
  for (const [key, item] of Object.entries(value)) {
    // what follows an '=' is taken for a value (`SECRET=hunter2`): never shown
    if (key === '' || key.includes('=') || hasNul(key) || key === '__proto__') return `variable names without '=' or NUL (got ${JSON.stringify(key.includes('=') ? `${key.slice(0, key.indexOf('='))}=...` : key)})`;
    if (typeof item !== 'string' || hasNul(item)) return `string values without NUL characters (${JSON.stringify(key)} is not one)`;
  }
  return null;
};

const instances: Check = (value) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_INSTANCES ? null : `a whole number from 1 to ${MAX_INSTANCES} (the limit of instances per app)`;

const rotation: Check = (value) => {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return 'an object or null';
  const r = value as Record<string, unknown>;
  return count(r.max_size) ?? count(r.retain) ?? bool(r.compress) ?? orNull(text)(r.rotate_interval) ?? text(r.date_format) ?? dateFormatProblem(r.date_format as string);
};

const port = (value: unknown): boolean => Number.isInteger(value) && (value as number) > 0 && (value as number) < 65536;

const healthTarget: Check = (value) => {
  const t = (value ?? {}) as Record<string, unknown>;
  const keys = typeof value === 'object' && value !== null ? Object.keys(t) : [];
  if (keys.length !== 1 || !['http', 'tcp', 'exec'].includes(keys[0]!)) return 'an object with one of http, tcp or exec';
  if ('http' in t) return typeof t.http === 'string' && URL.canParse(t.http) && /^https?:$/.test(new URL(t.http).protocol) ? null : 'an object whose http is an http:// or https:// URL';
  if ('exec' in t) return nonEmpty(t.exec);
  const tcp = (t.tcp ?? {}) as Record<string, unknown>;
  return 'tcp' in t && text(tcp.host) === null && port(tcp.port) ? null : 'an object with one of http, tcp ({ host, port }) or exec';
};

const healthCheck: Check = (value) => {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return 'an object or null';
  const h = value as Record<string, unknown>;
  const positive = (item: unknown): string | null => (typeof item === 'number' && Number.isFinite(item) && item > 0 ? null : 'a number above 0');
  const problem = healthTarget(h.target) ?? positive(h.interval) ?? positive(h.timeout) ?? positive(h.failures) ?? count(h.start_period);
  return problem === null ? null : `a health check (${problem})`;
};

const restartLimit: Check = (value) => {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return 'an object or null';
  const { burst, interval } = value as Record<string, unknown>;
  const whole = (item: unknown): boolean => Number.isInteger(item) && (item as number) >= 1;
  return whole(burst) && whole(interval) ? null : 'a restart limit ({ burst, interval }: whole numbers of at least 1)';
};

const mode: Check = (value) => (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0o777 ? null : 'a file mode from 0 to 0777');

/** Every key of AppSpec and what it must be. */
export const SPEC_KEYS: Record<keyof AppSpec, Check> = {
  name,
  namespace: name,
  script: nonEmpty,
  args: texts,
  cwd: nonEmpty,
  interpreter: nonEmpty,
  interpreter_args: texts,
  env: environment,
  app_env: optional(environment),
  exec_mode: oneOf('fork_mode', 'cluster_mode'),
  instances,
  autorestart: bool,
  autostart: optional(bool),
  max_restarts: count,
  min_uptime: duration,
  restart_delay: duration,
  exp_backoff_restart_delay: duration,
  max_memory_restart: count,
  cron_restart: orNull(text),
  stop_exit_codes: (value) => (Array.isArray(value) && value.every((code) => Number.isInteger(code)) ? null : 'an array of exit codes'),
  kill_timeout: duration,
  pid_file: optional(orNull(nonEmpty)),
  drain_timeout: optional(duration),
  shutdown_with_message: bool,
  wait_ready: bool,
  listen_timeout: duration,
  out_file: orNull(nonEmpty),
  error_file: orNull(nonEmpty),
  log_file: orNull(nonEmpty),
  log_mode: optional(mode),
  merge_logs: bool,
  log_date_format: orNull(text),
  log_type: oneOf('raw', 'json'),
  time: bool,
  instance_var: nonEmpty,
  increment_var: optional(orNull((value) => (typeof value === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value) ? null : 'the name of an environment variable'))),
  watch: (value) => (typeof value === 'boolean' ? null : texts(value)),
  ignore_watch: texts,
  watch_delay: duration,
  log_rotate: rotation,
  listen: texts,
  version: orNull(text),
  pmx: optional(bool),
  hang_timeout: optional(duration),
  health_check: optional(healthCheck),
  restart_limit: optional(restartLimit),
  notify: optional(bool),
  watchdog: optional(count),
};

/** Why `value` is not a valid AppSpec (naming the app and the key), or null. */
export function specProblem(value: unknown, index: number): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `apps[${index}] must be an app spec object`;
  const spec = value as Record<string, unknown>;
  const label = typeof spec.name === 'string' && name(spec.name) === null ? `app '${spec.name}'` : `apps[${index}]`;
  const bad = badKey(spec);
  if (bad) return `${label}: ${bad.key} must be ${bad.expected}`;
  // exec would refuse it (E2BIG): refused here rather than registered errored
  const { env, args, interpreter_args, script, interpreter } = spec as unknown as AppSpec;
  const large = launchSizeProblem(env, [interpreter, ...interpreter_args, script, ...args]);
  if (!large) return null;
  return large.variable === null
    ? `${label}: env and args must take at most ${large.limit} bytes in all (got ${large.bytes})`
    : `${label}: env must hold variables of at most ${large.limit} bytes as NAME=value (${JSON.stringify(large.variable)} takes ${large.bytes})`;
}

/** The first key of `spec` that is not what an AppSpec needs, and what it must be; null when every key is right. */
export function badKey(spec: Record<string, unknown>): { key: string; expected: string } | null {
  for (const [key, check] of Object.entries(SPEC_KEYS)) {
    const expected = check(Object.hasOwn(spec, key) ? spec[key] : undefined);
    if (expected !== null) return { key, expected };
  }
  return null;
}
