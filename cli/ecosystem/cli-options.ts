// The flags of `pmx start` (commander's camelCase of PM2's names) as ecosystem keys.
import type { Origin } from './normalize.js';

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
  autorestart?: boolean;
  shutdownWithMessage?: boolean;
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
  shutdownWithMessage: 'shutdown_with_message',
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
};

const KEY_FLAGS = new Map(Object.entries(FLAG_KEYS).map(([flag, key]) => [key, `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`]));

/** The ecosystem keys the given flags set. `--no-autorestart` counts only when given (commander defaults it to true). */
export function flagsToKeys(flags: CliStartOptions, keys: readonly string[] = Object.keys(FLAG_KEYS)): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const flag of keys as (keyof CliStartOptions)[]) {
    const value = flags[flag];
    const key = FLAG_KEYS[flag];
    if (value === undefined || key === undefined) continue;
    if (flag === 'autorestart' && value === true) continue;
    raw[key] = value;
  }
  return raw;
}

/** Messages about flags name the flag (`--kill-timeout`), not the ecosystem key. */
export const CLI_ORIGIN: Origin = {
  label: 'pmx start',
  keyName: (key) => `\`${KEY_FLAGS.get(key) ?? key}\``,
};

/** Flags that apply over every app of an ecosystem file when given with it. */
export const OVERRIDE_FLAGS: (keyof CliStartOptions)[] = (Object.keys(FLAG_KEYS) as (keyof CliStartOptions)[]).filter(
  (flag) => flag !== 'name' && flag !== 'cwd' && flag !== 'instances' && flag !== 'execMode',
);
