// The shape of one dump entry, checked before anything is started: an entry of the wrong shape
// (edited by hand, written by another tool) is an error naming the file, the entry and the key.
// Keys a dump written by an older pmx lacks take their defaults.
import { APP_DEFAULTS, type AppSpec } from './protocol/app-spec.js';
import { ProcessState, type PublicStatus } from './process/states.js';
import { AgentFault } from './fault.js';

/** One saved process. */
export interface DumpEntry {
  pm_id: number;
  instance: number;
  status: PublicStatus;
  spec: AppSpec;
}

type Check = (value: unknown) => string | null;

const text: Check = (value) => (typeof value === 'string' ? null : 'a string');
const nonEmpty: Check = (value) => (typeof value === 'string' && value !== '' ? null : 'a non-empty string');
const textOrNull: Check = (value) => (value === null || typeof value === 'string' ? null : 'a string or null');
const flag: Check = (value) => (typeof value === 'boolean' ? null : 'true or false');
const count: Check = (value) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? null : 'a number >= 0');
const texts: Check = (value) => (Array.isArray(value) && value.every((item) => typeof item === 'string') ? null : 'a list of strings');
const integers: Check = (value) => (Array.isArray(value) && value.every(Number.isInteger) ? null : 'a list of integers');
const strings: Check = (value) =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string') ? null : 'an object of strings';
const oneOf = (...allowed: string[]): Check => (value) => (allowed.includes(value as string) ? null : allowed.map((item) => `'${item}'`).join(' or '));

/** The check of each key of a spec. */
const SPEC_KEYS: Record<keyof AppSpec, Check> = {
  name: nonEmpty,
  namespace: text,
  script: nonEmpty,
  args: texts,
  cwd: nonEmpty,
  interpreter: text,
  interpreter_args: texts,
  env: strings,
  app_env: (value) => (value === undefined ? null : strings(value)),
  exec_mode: oneOf('fork_mode', 'cluster_mode'),
  instances: (value) => (Number.isInteger(value) && (value as number) >= 1 ? null : 'an integer >= 1'),
  autorestart: flag,
  max_restarts: count,
  min_uptime: count,
  restart_delay: count,
  exp_backoff_restart_delay: count,
  max_memory_restart: count,
  cron_restart: textOrNull,
  stop_exit_codes: integers,
  kill_timeout: count,
  shutdown_with_message: flag,
  wait_ready: flag,
  listen_timeout: count,
  out_file: textOrNull,
  error_file: textOrNull,
  log_file: textOrNull,
  merge_logs: flag,
  log_date_format: textOrNull,
  log_type: oneOf('raw', 'json'),
  time: flag,
  instance_var: nonEmpty,
  watch: (value) => (typeof value === 'boolean' || texts(value) === null ? null : 'true, false or a list of paths'),
  ignore_watch: texts,
  watch_delay: count,
  log_rotate: (value) => (value === null || (typeof value === 'object' && !Array.isArray(value)) ? null : 'an object or null'),
  listen: texts,
  version: textOrNull,
  pmx: (value) => (value === undefined ? null : flag(value)),
};

const REQUIRED: readonly (keyof AppSpec)[] = ['name', 'script', 'cwd', 'env'];
const STATUSES: readonly string[] = Object.values(ProcessState).filter((status) => status !== ProcessState.REPLACING);

/** The entries of a dump read from `file`, checked; the first entry of the wrong shape is a DUMP_INVALID fault. */
export function checkDumpEntries(raw: unknown[], file: string): DumpEntry[] {
  return raw.map((entry, index) => checkEntry(entry, index, file));
}

function checkEntry(entry: unknown, index: number, file: string): DumpEntry {
  const fail = (key: string, expected: string, value: unknown): never => {
    const name = (entry as { spec?: { name?: unknown } } | null)?.spec?.name;
    const which = `entry ${index}${typeof name === 'string' ? ` ('${name}')` : ''}`;
    throw new AgentFault('DUMP_INVALID', `${file}: ${which}: ${key} must be ${expected}, got ${describe(value)}`, { file, entry: index, key });
  };
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return fail('the entry', 'an object', entry);
  const { pm_id, instance, status, spec } = entry as Record<string, unknown>;
  if (!Number.isInteger(pm_id) || (pm_id as number) < 0) fail('pm_id', 'an integer >= 0', pm_id);
  if (!Number.isInteger(instance) || (instance as number) < 0) fail('instance', 'an integer >= 0', instance);
  if (!STATUSES.includes(status as string)) fail('status', `one of ${STATUSES.join(', ')}`, status);
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) return fail('spec', 'an object', spec);
  const given = spec as Record<string, unknown>;
  for (const key of REQUIRED) if (!(key in given)) fail(`spec.${key}`, SPEC_KEYS[key](undefined) ?? 'present', undefined);
  const full = { ...APP_DEFAULTS, ...given } as Record<string, unknown>;
  for (const [key, check] of Object.entries(SPEC_KEYS)) {
    const problem = check(full[key]);
    if (problem) fail(`spec.${key}`, problem, full[key]);
  }
  return { pm_id: pm_id as number, instance: instance as number, status: status as PublicStatus, spec: full as unknown as AppSpec };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
