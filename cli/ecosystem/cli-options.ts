// The flags of `pmx start` (commander's camelCase of PM2's names): one app from a script, or
// overrides over the apps of an ecosystem file.
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import { combineErrors, type EcosystemError } from './errors.js';
import { completeSpec, readKeys, type Origin, type ReadContext } from './normalize.js';
import { absolute } from './resolve-script.js';
import type { Draft } from './schema.js';

/** The option flags `pmx start` and its relatives accept, as commander gives them. */
export interface CliStartOptions {
  name?: string;
  namespace?: string;
  instances?: string;
  execMode?: string;
  interpreter?: string;
  interpreterArgs?: string;
  nodeArgs?: string;
  cwd?: string;
  watch?: boolean | string[];
  ignoreWatch?: string[];
  watchDelay?: string;
  maxMemoryRestart?: string;
  restartDelay?: string;
  expBackoffRestartDelay?: string;
  maxRestarts?: string;
  minUptime?: string;
  cronRestart?: string;
  cron?: string;
  stopExitCodes?: string[];
  killTimeout?: string;
  /** false with --no-autorestart; commander's default true counts as not given. */
  autorestart?: boolean;
  /** false with --no-autostart; commander's default true counts as not given. */
  autostart?: boolean;
  shutdownWithMessage?: boolean;
  /** false with --no-pmx (no Node runtime metrics); commander's default true counts as not given. */
  pmx?: boolean;
  waitReady?: boolean;
  listenTimeout?: string;
  output?: string;
  error?: string;
  log?: string | boolean;
  mergeLogs?: boolean;
  logDateFormat?: string;
  time?: boolean;
  logType?: string;
  instanceVar?: string;
  listen?: string[];
  /** --filter-env [names]: PM2's filter_env (true without names). */
  filterEnv?: string[] | boolean;
  disableLogs?: boolean;
  pid?: string;
}

/** Flag -> ecosystem key. */
const FLAG_KEYS: Record<keyof CliStartOptions, string> = {
  name: 'name',
  namespace: 'namespace',
  instances: 'instances',
  execMode: 'exec_mode',
  interpreter: 'interpreter',
  interpreterArgs: 'interpreter_args',
  nodeArgs: 'node_args',
  cwd: 'cwd',
  watch: 'watch',
  ignoreWatch: 'ignore_watch',
  watchDelay: 'watch_delay',
  maxMemoryRestart: 'max_memory_restart',
  restartDelay: 'restart_delay',
  expBackoffRestartDelay: 'exp_backoff_restart_delay',
  maxRestarts: 'max_restarts',
  minUptime: 'min_uptime',
  cronRestart: 'cron_restart',
  cron: 'cron',
  stopExitCodes: 'stop_exit_codes',
  killTimeout: 'kill_timeout',
  autorestart: 'autorestart',
  autostart: 'autostart',
  shutdownWithMessage: 'shutdown_with_message',
  pmx: 'pmx',
  waitReady: 'wait_ready',
  listenTimeout: 'listen_timeout',
  output: 'output',
  error: 'error',
  log: 'log',
  mergeLogs: 'merge_logs',
  logDateFormat: 'log_date_format',
  time: 'time',
  logType: 'log_type',
  instanceVar: 'instance_var',
  listen: 'listen',
  filterEnv: 'filter_env',
  disableLogs: 'disable_logs',
  pid: 'pid_file',
};

const KEY_FLAGS = new Map(Object.entries(FLAG_KEYS).map(([flag, key]) => [key, `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`]));

/** Messages about flags name the flag (`--kill-timeout`), not the ecosystem key. */
export const CLI_ORIGIN: Origin = {
  label: 'pmx start',
  keyName: (key) => `\`${KEY_FLAGS.get(key) ?? key}\``,
};

/** Keys a flag sets over a file's app only when the app leaves them unset (PM2's `_startJson`); others replace the app's. */
const FILL_ONLY = new Set(['namespace', 'watch', 'ignore_watch']);

/** The spec for `pmx start <script> [flags] -- args`; `cwd` is the shell's directory; what the flags warn of goes to `warnings`. */
export function specFromCli(script: string, opts: CliStartOptions, args: string[], baseEnv: Record<string, string | undefined>, cwd: string, warnings: string[] = []): AppSpec {
  const context: ReadContext = { origin: CLI_ORIGIN, problems: [], warnings };
  const draft = readKeys({ ...flagsToKeys(opts), script, ...(args.length > 0 ? { args } : {}) }, context);
  const spec = context.problems.length === 0 ? completeSpec(draft, { ...context, baseDir: cwd, baseEnv }) : null;
  if (!spec) throw combineErrors(context.problems);
  return spec;
}

/** The flags given with an ecosystem file, validated and read (`--name` has no meaning there and is left out with a warning). */
export function readOverrides(opts: CliStartOptions, cwd: string, warnings: string[], problems: EcosystemError[]): Draft {
  if (typeof opts.name === 'string') warnings.push('pmx start: `--name` names one app; with an ecosystem file each app keeps its own name');
  const { name: _name, ...rest } = flagsToKeys(opts);
  const draft = readKeys(rest, { origin: CLI_ORIGIN, problems, warnings });
  if (draft.cwd) draft.cwd = absolute(draft.cwd, cwd);
  return draft;
}

/** An app's draft with the flags applied over it. */
export function applyOverrides(app: Draft, flags: Draft): Draft {
  const merged: Record<string, unknown> = { ...app };
  for (const [key, value] of Object.entries(flags)) {
    if (!FILL_ONLY.has(key) || !merged[key]) merged[key] = value;
  }
  return merged as Draft;
}

/** The ecosystem keys the given flags set. `--no-autorestart`, `--no-autostart` and `--no-pmx` count only when given (commander defaults them to true). */
function flagsToKeys(flags: CliStartOptions): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const flag of Object.keys(FLAG_KEYS) as (keyof CliStartOptions)[]) {
    const value = flags[flag];
    if (value === undefined || ((flag === 'autorestart' || flag === 'autostart' || flag === 'pmx') && value === true)) continue;
    raw[FLAG_KEYS[flag]] = flag === 'watchDelay' ? watchDelayFlag(value) : value;
  }
  return raw;
}

/**
 * `--watch-delay` as PM2 reads it: a bare number is seconds (`--watch-delay 4`, `1.5`), a unit says
 * otherwise (`4000ms`, `2s`); in an ecosystem file `watch_delay` is ms in both.
 */
function watchDelayFlag(value: unknown): unknown {
  return typeof value === 'string' && /^\s*\d+(?:\.\d+)?\s*$/.test(value) ? Math.round(Number(value) * 1000) : value;
}
