// What the API's start() is given, as PM2 takes it: an ecosystem file, a script with PM2's app
// options, one options object with `script`, a list of them, or `{ apps: [...] }`; turned into
// validated app specs.
import { resolve } from 'node:path';
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import type { StartMode } from '../../agent/protocol/types.js';
import type { EcosystemError } from '../ecosystem/errors.js';
import { isEcosystemFile } from '../ecosystem/find.js';

/** An app as PM2's API takes it: ecosystem keys (`name`, `script`, `args`, `instances`, `exec_mode`, `env`, ...), plus `force` to start another copy and, with a file, `env` naming `env_<name>` and `only`. */
export interface StartOptions {
  name?: string;
  script?: string;
  args?: string | string[];
  cwd?: string;
  instances?: number | string;
  exec_mode?: 'fork' | 'cluster' | 'fork_mode' | 'cluster_mode';
  interpreter?: string;
  node_args?: string | string[];
  env?: Record<string, string | number | boolean> | string;
  force?: boolean;
  only?: string;
  [key: string]: unknown;
}

/** What start() takes besides a script path: one app, a list of apps, or an ecosystem object. */
export type StartTarget = StartOptions | StartOptions[] | { apps: StartOptions[] };

/** What start() hands the agent, and the apps of a file or object left out because their script is not there. */
export interface AppsToStart {
  apps: AppSpec[];
  mode: StartMode;
  missing: EcosystemError[];
}

/**
 * The specs to start and how, by PM2's rules: a file or an object starts its missing apps and
 * restarts the running ones (an app whose script is not there is left out, in `missing`, and the
 * others go on); a script path starts it, refused when it already runs (unless `force`), and fails
 * when it is not there. Relative paths are taken from `cwd`.
 */
export async function appsToStart(target: string | StartTarget, options: StartOptions, cwd = process.cwd()): Promise<AppsToStart> {
  const ecosystem = await import('../ecosystem/index.js');
  const baseEnv = process.env;
  if (typeof target === 'string' && isEcosystemFile(target)) {
    const only = typeof options.only === 'string' ? options.only.split(/[, ]/).filter(Boolean) : undefined;
    const envName = typeof options.env === 'string' ? options.env : undefined;
    const { apps, missing } = await ecosystem.loadEcosystem(resolve(cwd, target), { baseEnv, cwd, envName, only, skipMissingScripts: true });
    return { apps, mode: 'startOrRestart', missing };
  }
  if (typeof target === 'string') {
    const raw: StartOptions = { ...options, script: target };
    const force = raw.force === true;
    delete raw.force;
    // PM2's script form takes the app's arguments as `scriptArgs` (its CLI's `-- args`)
    if (raw.scriptArgs !== undefined) {
      raw.args = raw.scriptArgs as string | string[];
      delete raw.scriptArgs;
    }
    const { apps } = await load({ apps: [raw] }, cwd, false);
    return { apps, mode: force ? 'force' : 'start', missing: [] };
  }
  const list = Array.isArray(target) ? target : Array.isArray((target as { apps?: unknown }).apps) ? (target as { apps: StartOptions[] }).apps : [target as StartOptions];
  const force = list.some((app) => app.force === true);
  const { apps, missing } = await load({ apps: list.map(({ force: _force, ...app }) => app) }, cwd, true);
  return { apps, mode: force ? 'force' : 'startOrRestart', missing };
}

async function load(content: { apps: StartOptions[] }, cwd: string, skipMissingScripts: boolean): Promise<{ apps: AppSpec[]; missing: EcosystemError[] }> {
  const ecosystem = await import('../ecosystem/index.js');
  const { apps, warnings, missing } = await ecosystem.loadEcosystemValue(content, 'pmx.start()', { baseEnv: process.env, cwd, skipMissingScripts });
  for (const warning of warnings) process.emitWarning(warning, 'PmxWarning');
  return { apps, missing };
}
