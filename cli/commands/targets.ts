// Turning command-line targets (ids, names, script paths, namespaces, all, /regex/, ecosystem
// files) into selectors, and matching a listed process against one.
import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import type { ProcessDescription, Selector } from '../../agent/protocol/types.js';
import { InvalidTarget, matchSelector, parseTarget, type PathLookup } from '../../agent/protocol/selector.js';
import { CliError } from '../client/errors.js';

const FILES: PathLookup = { exists: existsSync, resolve: (path) => resolve(path) };

/** A selector for one target word (agent/protocol/selector.ts has the rule); ecosystem files are handled by the caller. */
export function selectorFor(target: string): Selector {
  try {
    return parseTarget(target, FILES);
  } catch (error) {
    if (error instanceof InvalidTarget) throw new CliError(error.message, { code: 'BAD_ARGUMENT' });
    throw error;
  }
}

/** The listed processes the agent would select with `selector`, in list order. */
export function selectedAmong(all: readonly ProcessDescription[], selector: Selector): ProcessDescription[] {
  return matchSelector(all, selector, (proc) => ({ id: proc.pm_id, name: proc.name, namespace: proc.pm2_env.namespace, script: proc.pm2_env.pm_exec_path }));
}

/** True when a target word names an ecosystem file that exists (PM2 decides by the file name). */
export async function isEcosystemTarget(target: string): Promise<boolean> {
  const { isEcosystemFile } = await import('../ecosystem/find.js');
  return isEcosystemFile(target) && existsSync(target);
}

/**
 * PM2's rule for a word given to start: an id, `all`, a /regex/ that is no file (pmx's own), or a
 * name or namespace a process has (a word with no `/` and no extension) is restarted; anything else
 * is a script. `list` is asked only for a name.
 */
export async function restartsOnStart(target: string, list: () => Promise<readonly ProcessDescription[]>): Promise<boolean> {
  if (/^\d+$/.test(target) || target === 'all') return true;
  if (/^\/.+\/[a-z]*$/.test(target) && !existsSync(target)) return true;
  if (target.includes('/') || extname(target) !== '') return false;
  return (await list()).some((proc) => proc.name === target || proc.pm2_env.namespace === target);
}
