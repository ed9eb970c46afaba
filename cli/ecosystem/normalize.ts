// One app of an ecosystem file (or the flags of `pmx start`) into a complete, validated AppSpec.
import { basename, dirname, join } from 'node:path';
import { resolveHome } from '../../agent/protocol/home.js';
import { APP_DEFAULTS, type AppSpec, logFileName } from '../../agent/protocol/app-spec.js';
import { APP_KEYS, KNOWN_KEYS, PM2_ONLY_KEYS, type Draft } from './schema.js';
import { EcosystemError, describeValue } from './errors.js';
import { appEnvironment } from './env.js';
import { envNulVariable, parseEnv } from './values.js';
import { launchSizeProblem, nameProblem } from '../../agent/protocol/limits.js';
import { resolveProgram } from './program.js';
import { absolute, expandHome, isDirectory, packageVersion } from './resolve-script.js';
import { nearest } from './suggest.js';

/** PM2's stamp for `time: true` / `--time`. */
const TIME_FORMAT = 'YYYY-MM-DDTHH:mm:ss';

/** Where an app comes from, for messages: a file and app, or the command line. */
export interface Origin {
  /** "ecosystem.config.js: app 'api'" or "pmx start" */
  label: string;
  file?: string;
  app?: string;
  /** How a key is called in messages: `instances` in a file, `--instances` on the command line. */
  keyName: (key: string) => string;
}

/** What an app is read with: problems are collected (nothing is returned with any), warnings kept. */
export interface ReadContext {
  origin: Origin;
  problems: EcosystemError[];
  warnings: string[];
}

/** A problem with `key` of this app: expected this, got that. */
function keyProblem(origin: Origin, key: string, expected: string, value: unknown): EcosystemError {
  const message = `${origin.label}: ${origin.keyName(key)} must be ${expected}, got ${describeValue(value)}`;
  return new EcosystemError(message, { code: 'ECOSYSTEM_INVALID', file: origin.file, app: origin.app, key, value });
}

/** A NUL in an environment variable: named without its value, which may be a secret. */
export function envNulProblem(origin: Origin, key: string): EcosystemError {
  const message = `${origin.label}: ${origin.keyName(key)} holds a NUL character, which no environment variable can carry`;
  return new EcosystemError(message, { code: 'ECOSYSTEM_INVALID', file: origin.file, app: origin.app, key });
}

/** An environment exec would refuse (E2BIG): one variable too long, or the whole too large; named without its value. */
function envSizeProblem(origin: Origin, key: string | null, bytes: number, limit: number): EcosystemError {
  const fix = 'pass large data in a file and its path in the environment instead';
  const message =
    key === null
      ? `${origin.label}: the environment as a whole, with the arguments, takes ${bytes} bytes: more than the ${limit} (1 MiB) pmx starts an app with, safely under Linux's ARG_MAX; ${fix}`
      : `${origin.label}: ${origin.keyName(key)} takes ${bytes} bytes as NAME=value: more than ${limit}, Linux's limit for one environment variable (MAX_ARG_STRLEN); ${fix}`;
  return new EcosystemError(message, { code: 'ECOSYSTEM_INVALID', file: origin.file, app: origin.app, key: key ?? 'env' });
}

/** Everything outside the app that completing it depends on. */
export interface CompleteContext extends ReadContext {
  /** Relative `cwd` and, without one, the script resolve against this directory. */
  baseDir: string;
  baseEnv: Record<string, string | undefined>;
  envName?: string;
  /** `deploy.<envName>.env`. */
  deployEnv?: Record<string, string>;
  /** The app's `env_<envName>`. */
  namedEnv?: Record<string, string>;
}

/** Reads the keys of `raw` into a draft; bad values become problems, unknown keys warnings with a suggestion. */
export function readKeys(raw: Record<string, unknown>, context: ReadContext): Draft {
  const { origin, problems, warnings } = context;
  const draft: Draft = {};
  for (const [given, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const key = snakeAlias(given, raw);
    // own keys only: `toString` or `constructor` is no key of an app, whatever Object.prototype has
    const check = key.startsWith('env_') ? parseEnv : Object.hasOwn(PM2_ONLY_KEYS, key) ? PM2_ONLY_KEYS[key] : undefined;
    const reader = (Object.hasOwn(APP_KEYS, key) ? APP_KEYS[key] : undefined) ?? (check && ((item: unknown) => check(item)));
    if (!reader) {
      const suggestion = nearest(key, KNOWN_KEYS);
      warnings.push(`${origin.label}: unknown key \`${key}\`${suggestion ? ` (did you mean \`${suggestion}\`?)` : ''}`);
      continue;
    }
    const parsed = reader(value, draft);
    // `watch:` with no value in YAML, `cwd: null` in JSON: unset, as PM2 takes them (where null
    // means something, as `out_file: null` does, the key's reader took it)
    if (!parsed.ok && value === null) continue;
    if (parsed.ok) {
      if (parsed.warning) warnings.push(`${origin.label}: ${origin.keyName(key)} ${parsed.warning}`);
      continue;
    }
    const nul = key === 'env' || key.startsWith('env_') ? envNulVariable(value) : null;
    problems.push(nul === null ? keyProblem(origin, key, parsed.expected, value) : envNulProblem(origin, `${key}.${nul}`));
  }
  return draft;
}

/**
 * The key `given` stands for: PM2 takes every option in camelCase too (`execMode`, `maxMemoryRestart`,
 * `nodeArgs`: its Config makes an alias of each), so a camelCase key is its snake_case one when
 * that is a key pmx knows and the app does not give it as well; else `given` itself.
 */
function snakeAlias(given: string, raw: Record<string, unknown>): string {
  const known = (key: string): boolean => Object.hasOwn(APP_KEYS, key) || Object.hasOwn(PM2_ONLY_KEYS, key);
  if (!/[A-Z]/.test(given) || known(given)) return given;
  const snake = given.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  return known(snake) && !Object.hasOwn(raw, snake) ? snake : given;
}

/** Completes a valid draft: paths resolved, defaults applied, environment merged; null (and problems) when it cannot be. */
export function completeSpec(draft: Draft, context: CompleteContext): AppSpec | null {
  const { origin, problems, baseEnv } = context;
  const fail = (key: string, expected: string, value: unknown): null => {
    problems.push(keyProblem(origin, key, expected, value));
    return null;
  };
  if (!draft.script) {
    problems.push(new EcosystemError(`${origin.label}: ${origin.keyName('script')} is required (the file or command to run)`, { code: 'ECOSYSTEM_INVALID', file: origin.file, app: origin.app, key: 'script' }));
    return null;
  }
  const home = baseEnv.HOME;
  const cwd = draft.cwd ? absolute(expandHome(draft.cwd, home), context.baseDir) : context.baseDir;
  if (!isDirectory(cwd)) return fail('cwd', 'an existing directory', draft.cwd ?? cwd);
  const program = resolveProgram({ script: draft.script, args: draft.args, interpreter: draft.interpreter }, cwd, baseEnv);
  if ('fault' in program) {
    const message = `${origin.label}: ${origin.keyName(program.fault)} ${program.reason}`;
    const code = program.fault === 'script' ? 'SCRIPT_NOT_FOUND' : 'ECOSYSTEM_INVALID';
    problems.push(new EcosystemError(message, { code, file: origin.file, app: origin.app, key: program.fault, value: draft.script }));
    return null;
  }
  const { script, args, interpreter } = program;
  const name = draft.name ?? program.defaultName;
  if (name === 'all') return fail('name', "a name other than 'all' (it selects every process)", name);
  // PM2 takes such a name; on the command line the number names this app first, as with PM2
  if (/^\d+$/.test(name)) context.warnings.push(`${origin.label}: ${origin.keyName('name')} '${name}' is a number: on the command line the number names this app, as with PM2, and no longer the process of id ${name}`);
  const fullName = draft.append_env_to_name && context.envName ? `${name}-${context.envName}` : name;
  if (nameProblem(fullName) !== null) return fail('name', 'a name without control characters such as a newline (without `name`, the script file name is used)', fullName);
  const node = basename(interpreter) === 'node';
  let exec_mode = draft.exec_mode ?? (draft.instances !== undefined && node ? 'cluster_mode' : 'fork_mode');
  if (exec_mode === 'cluster_mode' && !node) {
    context.warnings.push(`${origin.label}: cluster mode runs node scripts only; '${fullName}' runs with ${interpreter}, in fork mode`);
    exec_mode = 'fork_mode';
  }
  if (draft.hang_timeout && (!node || draft.pmx === false)) {
    context.warnings.push(`${origin.label}: ${origin.keyName('hang_timeout')} watches the event loop of Node apps through the metrics preload; '${fullName}' ${node ? 'has pmx: false' : `runs with ${interpreter}`}, so it is never found hung`);
  }
  // systemd's notify protocol: asked for, or the only way a non-Node app can say it is ready (wait_ready), or needed for watchdog pings
  const notify = draft.notify ?? ((draft.wait_ready === true && !node) || Boolean(draft.watchdog));
  const { env, app_env } = appEnvironment({
    shell: baseEnv,
    deploy: context.deployEnv,
    app: draft.env,
    port: draft.port,
    named: context.namedEnv,
    filter: draft.filter_env,
    python: interpreter.includes('python'),
  });
  const tooLarge = launchSizeProblem(env, [interpreter, ...(draft.interpreter_args ?? []), script, ...args]);
  if (tooLarge) {
    problems.push(envSizeProblem(origin, tooLarge.variable === null ? null : envKey(tooLarge.variable, draft, context), tooLarge.bytes, tooLarge.limit));
    return null;
  }
  const logPath = (file: string | null | undefined): string | null => {
    if (draft.disable_logs) return '/dev/null';
    if (!file) return null;
    return file === 'NULL' || file === '/dev/null' ? '/dev/null' : absolute(expandHome(file, home), cwd);
  };
  const { filter_env, append_env_to_name, disable_logs, port, log_file, all_cores, ...keys } = draft;
  const defaultLog = join(resolveHome(baseEnv).logs, `${logFileName(fullName)}.log`);
  return {
    ...APP_DEFAULTS,
    ...keys,
    name: fullName,
    script,
    args,
    cwd,
    interpreter,
    env,
    app_env,
    instances: draft.instances ?? APP_DEFAULTS.instances,
    exec_mode,
    notify,
    // `notify: true` is systemd's Type=notify: launching until READY=1 (within listen_timeout)
    wait_ready: draft.wait_ready ?? draft.notify === true,
    // PM2's default: one set of log files for an app that asked for no cluster and no instances, or
    // for all the cores ('max', 0: PM2 reads no number there), else one per process
    merge_logs: draft.merge_logs ?? (draft.exec_mode !== 'cluster_mode' && (draft.instances === undefined || draft.all_cores === true)),
    // as in PM2, `time` wins over a log_date_format of the app's
    log_date_format: draft.time ? TIME_FORMAT : (draft.log_date_format ?? APP_DEFAULTS.log_date_format),
    out_file: logPath(draft.out_file),
    pid_file: draft.pid_file ? absolute(expandHome(draft.pid_file, home), cwd) : null,
    error_file: logPath(draft.error_file),
    log_file: log_file === true && !disable_logs ? defaultLog : logPath(log_file === true ? null : log_file),
    // as PM2: the package.json nearest the script (a script run from another folder is still its package's)
    version: packageVersion(dirname(script)) ?? packageVersion(cwd),
  };
}

/** The key of the file a variable of the app's environment comes from, the last layer that sets it first (see env.ts). */
function envKey(name: string, draft: Draft, context: CompleteContext): string {
  if (context.namedEnv?.[name] !== undefined) return `env_${context.envName}.${name}`;
  if (name === 'PORT' && draft.port !== undefined) return 'port';
  if (draft.env?.[name] !== undefined) return `env.${name}`;
  if (context.deployEnv?.[name] !== undefined) return `deploy.${context.envName}.env.${name}`;
  return name;
}
