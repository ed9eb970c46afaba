// What the API's start() is given, as PM2 takes it: an ecosystem file, a script with PM2's app
// options, or one options object with `script`; turned into validated app specs.
import { resolve } from 'node:path';
import type { AppSpec } from '../../agent/protocol/app-spec.js';
import type { StartMode } from '../../agent/protocol/types.js';
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

/** The specs to start and how: a file starts its missing apps and restarts the others (PM2's rule). */
export async function appsToStart(target: string | StartOptions, options: StartOptions): Promise<{ apps: AppSpec[]; mode: StartMode }> {
  const ecosystem = await import('../ecosystem/index.js');
  const baseEnv = process.env;
  if (typeof target === 'string' && isEcosystemFile(target)) {
    const only = typeof options.only === 'string' ? options.only.split(/[, ]/).filter(Boolean) : undefined;
    const envName = typeof options.env === 'string' ? options.env : undefined;
    const { apps } = await ecosystem.loadEcosystem(resolve(target), { baseEnv, cwd: process.cwd(), envName, only });
    return { apps, mode: 'startOrRestart' };
  }
  const raw: StartOptions = typeof target === 'string' ? { ...options, script: target } : { ...target };
  const force = raw.force === true;
  delete raw.force;
  const { apps, warnings } = await ecosystem.loadEcosystemValue({ apps: [raw] }, 'pmx.start()', { baseEnv, cwd: process.cwd() });
  for (const warning of warnings) process.emitWarning(warning, 'PmxWarning');
  return { apps, mode: force ? 'force' : 'start' };
}
