// The values a startup hook is rendered with: who, where, which node, which PATH, how long a
// stop may take. Computed once here; templates only place them.
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UserEntry } from './users.js';

/** What every template is rendered with. */
export interface StartupValues {
  serviceName: string;
  user: string;
  /** The user's home directory (`--hp`). */
  home: string;
  pmxHome: string;
  /** Absolute path of the node binary that runs pmx now. */
  node: string;
  /** Absolute path of bin/pmx-runtime.js. */
  runtime: string;
  /** Absolute path of bin/pmx.cjs (the CLI: `pmx kill` for init scripts that stop by command). */
  cli: string;
  /** The minimal PATH that finds node and pmx, plus the system directories. */
  path: string;
  /** How long the init system lets the agent stop every app before it kills what is left. */
  stopTimeoutSec: number;
}

/** What the values are computed from. */
export interface StartupInput {
  user: UserEntry;
  home: string;
  pmxHome: string;
  serviceName: string;
  node: string;
  /** The caller's PATH, searched only for the directory of a `pmx` that is this pmx. */
  callerPath: string;
  /** The longest kill_timeout (ms) among the running and saved apps. */
  maxKillTimeoutMs: number;
}

/** What systemd gives services by default; apps keep finding sh, env, python3, git... */
export const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Computes the values of a hook. */
export function startupValues(input: StartupInput): StartupValues {
  const root = packageRoot();
  const cli = join(root, 'bin/pmx.cjs');
  return {
    serviceName: input.serviceName,
    user: input.user.name,
    home: input.home,
    pmxHome: input.pmxHome,
    node: input.node,
    runtime: join(root, 'bin/pmx-runtime.js'),
    cli,
    path: minimalPath(input.node, pmxOnPath(input.callerPath, cli)),
    stopTimeoutSec: stopTimeoutSec(input.maxKillTimeoutMs),
  };
}

/** PM2's default name, one service per user: `pmx-<user>`. */
export function defaultServiceName(user: string): string {
  return `pmx-${user}`;
}

/** node's directory, the directory of a `pmx` command that is this pmx, then the system's. */
export function minimalPath(node: string, pmxDir: string | null): string {
  return [...new Set([dirname(node), ...(pmxDir ? [pmxDir] : []), ...SYSTEM_PATH])].join(delimiter);
}

/** The directory on `callerPath` whose `pmx` resolves to `cli` (a global install), or null. */
export function pmxOnPath(callerPath: string, cli: string): string | null {
  const target = realpath(cli);
  for (const dir of callerPath.split(delimiter)) {
    if (!dir.startsWith('/')) continue; // a relative PATH entry means nothing to an init system
    const candidate = join(dir, 'pmx');
    if (existsSync(candidate) && realpath(candidate) === target) return dir;
  }
  return null;
}

/**
 * The agent stops every app at once, each within its kill_timeout (then SIGKILL): the init
 * system must wait longer than the longest one, with room for the agent itself.
 */
export function stopTimeoutSec(maxKillTimeoutMs: number): number {
  return Math.max(60, Math.ceil(maxKillTimeoutMs / 1000) + 30);
}

/** The directory that holds bin/ and deploy-templates/ (from the sources or from dist/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'deploy-templates/init')) && existsSync(join(dir, 'bin/pmx-runtime.js'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`deploy-templates/init not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
