// The `deploy` section of an ecosystem file (PM2's keys, plus pmx's optional ones) into a
// validated DeployEnvironment; every error names the file, the environment and the key.
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { DeployEnvironment, DeployStrategy, HealthCheck } from './types.js';
import { DeployConfigError } from './errors.js';
import { loginField, readHosts } from './host-targets.js';
import { readMaxFail, readRolling } from './ramp.js';
import { readSecretSettings, SECRET_KEYS } from './secrets-config.js';
import { parseSshOptions } from '../transport/ssh-options.js';
import { quote } from '../transport/quote.js';

/** Where the reader looks for ~/.ssh and the local user name. */
export interface ReadOptions {
  home: string;
  env: Record<string, string | undefined>;
  /** The directory `pmx deploy` runs in: the default post-deploy names the file relative to it, as PM2's does (default: the file's own directory). */
  cwd?: string;
}

const PM2_KEYS = ['user', 'host', 'port', 'key', 'ref', 'repo', 'path', 'ssh_options', 'pre-setup', 'post-setup', 'pre-deploy-local', 'pre-deploy', 'post-deploy', 'env', 'fetch', 'forward-agent', 'needs_tty'];
const PMX_KEYS = ['strategy', 'keep_releases', 'shared_files', 'shared_dirs', 'parallel', 'rolling', 'batch_wait', 'max_fail', 'healthcheck', 'auto_rollback', 'lock_timeout', 'hook_timeout'];
const KNOWN_KEYS = [...PM2_KEYS, ...PMX_KEYS, ...SECRET_KEYS];

const REQUIRED_HINTS: Record<string, string> = {
  path: "the remote directory to deploy into, e.g. '/srv/app'",
  repo: "the git repository to deploy, e.g. 'git@github.com:me/app.git'",
  ref: "the git ref to deploy, e.g. 'origin/main'",
  host: "a host name or address (ranges such as 'web[01:50].example.com' expand), an array of them, or {host, port, user, key, roles, labels} objects",
};

/** The environment names of a deploy section. */
export function listEnvironments(deploy: unknown): string[] {
  return isObject(deploy) ? Object.keys(deploy) : [];
}

/** Reads one environment; `envName` may be omitted when the section has exactly one. */
export function readDeployEnvironment(deploy: unknown, envName: string | undefined, file: string, options: ReadOptions): DeployEnvironment {
  const shown = basename(file);
  const names = listEnvironments(deploy);
  if (names.length === 0) throw new DeployConfigError(`${shown}: no \`deploy\` section with an environment in it`, { file, key: 'deploy' });
  const name = envName ?? (names.length === 1 ? names[0]! : undefined);
  if (name === undefined) throw new DeployConfigError(`${shown}: name a deploy environment (${names.join(', ')})`, { file, key: 'deploy' });
  const section = (deploy as Record<string, unknown>)[name];
  if (!Object.hasOwn(deploy as object, name)) throw new DeployConfigError(`${shown}: no deploy environment '${name}' (known: ${names.join(', ')})`, { file, environment: name });
  if (!isObject(section)) throw new DeployConfigError(`${shown}: deploy.${name}: expected an object of deploy settings, got ${show(section)}`, { file, environment: name });

  const fail = (key: string, expected: string, value: unknown = section[key]): never => {
    throw new DeployConfigError(`${shown}: deploy.${name}.${key}: expected ${expected}, got ${show(value)}`, { file, environment: name, key });
  };
  const required = (key: string): never => {
    throw new DeployConfigError(`${shown}: deploy.${name}: \`${key}\` is required (${REQUIRED_HINTS[key]})`, { file, environment: name, key });
  };
  const warnings: string[] = [];
  const warn = (key: string | null, message: string): void => void warnings.push(`${shown}: deploy.${name}${key ? `.${key}` : ''}: ${message}`);
  for (const key of Object.keys(section).filter((k) => !KNOWN_KEYS.includes(k))) warn(null, `unknown key \`${key}\` is ignored${suggest(key)}`);
  const text = (key: string): string | null => {
    const value = section[key];
    if (value === undefined || value === null || value === '') return null;
    return typeof value === 'string' ? value : fail(key, 'a string');
  };
  const count = (key: string, fallback: number, min: number): number => {
    const value = section[key];
    if (value === undefined) return fallback;
    return typeof value === 'number' && Number.isInteger(value) && value >= min ? value : fail(key, `a whole number of at least ${min}`);
  };

  const path = text('path') ?? required('path');
  if (!isAbsolute(path)) fail('path', "an absolute remote path such as '/srv/app'");
  const repo = text('repo') ?? required('repo');
  const ref = text('ref') ?? required('ref');
  for (const key of ['user', 'key'] as const) loginField(section, key, (expected) => fail(key, expected));
  if (section.host === undefined || section.host === null || section.host === '') required('host');
  const ssh = parseSshOptions(section.ssh_options, (expected) => fail('ssh_options', expected));
  for (const option of ssh.unknown) warn('ssh_options', `${option} is not supported by pmx and is ignored`);
  const hosts = readHosts({
    section,
    ssh: ssh.values,
    home: options.home,
    localUser: options.env.USER ?? options.env.LOGNAME ?? localUserName(),
    fail,
    warn,
  });
  const strategy = section.strategy ?? 'git';
  if (strategy !== 'git' && strategy !== 'release') fail('strategy', "'git' or 'release'");
  const autoRollback = section.auto_rollback ?? true;
  if (typeof autoRollback !== 'boolean') fail('auto_rollback', 'true or false');
  return {
    name,
    file,
    hosts,
    repo,
    ref,
    path,
    preSetup: text('pre-setup'),
    postSetup: text('post-setup'),
    preDeployLocal: text('pre-deploy-local'),
    preDeploy: text('pre-deploy'),
    postDeploy: text('post-deploy') ?? defaultPostDeploy(file, name, options.cwd ?? dirname(file)),
    ...readSecretSettings(section, file, fail),
    env: readEnv(section.env, fail, warn),
    fastFetch: section.fetch === 'fast',
    strategy: strategy as DeployStrategy,
    keepReleases: count('keep_releases', 5, 1),
    sharedFiles: relativePaths('shared_files', section.shared_files, fail),
    sharedDirs: relativePaths('shared_dirs', section.shared_dirs, fail),
    parallel: count('parallel', hosts.length, 1),
    rolling: readRolling(section.rolling, fail),
    batchWaitMs: section.batch_wait === undefined ? 0 : duration(section.batch_wait) ?? fail('batch_wait', "a number of ms or a duration such as '30s'"),
    maxFail: readMaxFail(section.max_fail, fail),
    healthcheck: readHealthcheck(section.healthcheck, fail),
    autoRollback: autoRollback as boolean,
    lockTimeoutMs: section.lock_timeout === undefined ? 0 : duration(section.lock_timeout) ?? fail('lock_timeout', "a number of ms or a duration such as '30s'"),
    hookTimeoutMs: hookTimeout(section.hook_timeout, fail),
    warnings,
  };
}

/**
 * PM2's post-deploy when the environment has none (or ''): `pm2 startOrRestart <file> --env <env>`,
 * the file as it was named from the directory deploy runs in; run in `current`, it starts or
 * restarts the apps on the release just published (and on the one a revert goes back to).
 */
export function defaultPostDeploy(file: string, envName: string, cwd: string): string {
  const named = relative(cwd, file).split(sep).join('/') || basename(file);
  return `pmx startOrRestart ${quote(named)} --env ${quote(envName)}`;
}

/** The local script file a hook names (its first word, relative to the ecosystem file's directory), or null. */
export function localScriptPath(hook: string, fileDir: string): string | null {
  const first = hook.trim().split(/\s+/)[0];
  if (!first) return null;
  const path = resolve(fileDir, first);
  try {
    return statSync(path).isFile() ? path : null;
  } catch {
    return null;
  }
}

/** Whether a hook (PM2's `pre-setup`) names a local script to run on the host rather than a command. */
export function isLocalScript(hook: string, fileDir: string): boolean {
  return localScriptPath(hook, fileDir) !== null;
}

/** `hook_timeout`: 0 (none, as PM2) unless given; at least a second, as the host's `timeout` counts in seconds. */
function hookTimeout(value: unknown, fail: (key: string, expected: string, value?: unknown) => never): number {
  if (value === undefined || value === null || value === 0) return 0;
  const ms = duration(value);
  return ms !== null && ms >= 1000 ? ms : fail('hook_timeout', "a duration of at least 1 s such as '10m' (0: none)");
}

/** Milliseconds from a number (ms) or a string such as '500ms', '30s', '2m', '1h'; null if neither. */
export function duration(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value) : null;
  if (!match) return null;
  return Math.round(Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms']!);
}

// PM2 exports `env` with upper-cased names (`KEY.toUpperCase()=value`); so does pmx
function readEnv(value: unknown, fail: (key: string, expected: string, value?: unknown) => never, warn: (key: string, message: string) => void): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) return fail('env', 'an object of environment variables');
  const env: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    const name = key.toUpperCase();
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) fail(`env.${key}`, 'a variable name of letters, digits and _', key);
    if (raw === undefined) warn(`env.${key}`, 'is undefined and is not exported');
    else if (raw !== null && typeof raw === 'object') fail(`env.${key}`, 'a string, number or boolean', raw);
    else env[name] = String(raw);
  }
  return env;
}

function relativePaths(key: string, value: unknown, fail: (key: string, expected: string) => never): string[] {
  if (value === undefined || value === null) return [];
  const ok = Array.isArray(value) && value.every((item) => typeof item === 'string' && item !== '' && !isAbsolute(item) && !item.split('/').includes('..'));
  return ok ? (value as string[]) : fail(key, "an array of paths relative to the release, such as ['.env', 'uploads']");
}

function readHealthcheck(value: unknown, fail: (key: string, expected: string, value?: unknown) => never): HealthCheck | null {
  if (value === undefined || value === null || value === false) return null;
  const base = { timeoutMs: 5000, retries: 5, intervalMs: 1000, app: null };
  const isUrl = (text: string): boolean => /^https?:\/\/[^/\s]/i.test(text);
  if (typeof value === 'string' && value.trim() !== '') return isUrl(value) ? { ...base, url: value, command: null } : { ...base, url: null, command: value };
  const expected = "a URL, a command, or {url | command | app, timeout, retries, interval}";
  if (!isObject(value)) return fail('healthcheck', expected);
  const url = typeof value.url === 'string' && isUrl(value.url) ? value.url : null;
  const command = typeof value.command === 'string' && value.command.trim() !== '' ? value.command : null;
  if (value.app !== undefined && !(typeof value.app === 'string' && value.app.trim() !== '')) return fail('healthcheck.app', "the name of an app of the ecosystem file that has a `health` probe, such as 'api'", value.app);
  const app = value.app === undefined ? null : (value.app as string);
  if ([url, command, app].filter((given) => given !== null).length !== 1) return fail('healthcheck', `${expected} with exactly one of an http(s) url, a command and an app`);
  const time = (key: string, fallback: number): number => (value[key] === undefined ? fallback : duration(value[key]) ?? fail(`healthcheck.${key}`, "a number of ms or a duration such as '5s'", value[key]));
  const retries = value.retries === undefined ? base.retries : Number.isInteger(value.retries) && (value.retries as number) >= 0 ? (value.retries as number) : fail('healthcheck.retries', 'a whole number of at least 0', value.retries);
  return { url, command, app, timeoutMs: time('timeout', base.timeoutMs), retries, intervalMs: time('interval', base.intervalMs) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function suggest(key: string): string {
  const normal = (text: string): string => text.toLowerCase().replace(/[-_]/g, '');
  const match = KNOWN_KEYS.find((known) => normal(known) === normal(key));
  return match ? ` (did you mean \`${match}\`?)` : '';
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  const text = typeof value === 'function' ? 'a function' : JSON.stringify(value) ?? String(value);
  return `${text.length > 80 ? `${text.slice(0, 77)}...` : text} (${kind})`;
}

function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}
