// Turning command-line targets (ids, names, script paths, namespaces, all, /regex/, ecosystem
// files) into selectors, and matching a listed process against one.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProcessDescription, Selector } from '../../agent/protocol/types.js';
import { CliError } from '../client/errors.js';

/** A selector for one target word; ecosystem files are handled by the caller. A name also matches the processes running that script path, as in PM2. */
export function selectorFor(target: string): Selector {
  if (target === 'all') return { kind: 'all' };
  if (/^\d+$/.test(target)) return { kind: 'id', id: Number(target) };
  const regex = /^\/(.+)\/([dgimsuy]*)$/.exec(target);
  if (regex && !existsSync(target)) {
    try {
      new RegExp(regex[1]!, regex[2]);
    } catch (error) {
      throw new CliError('BAD_ARGUMENT', `invalid regular expression ${target}: ${(error as Error).message}`);
    }
    return { kind: 'regex', source: regex[1]!, flags: regex[2]!.replace('g', '') };
  }
  return { kind: 'name', name: target, path: resolve(target) };
}

/** True when the agent would select `proc` with `selector` (names first, then namespaces, as the agent resolves them). */
export function selected(proc: ProcessDescription, selector: Selector, all: readonly ProcessDescription[] = [proc]): boolean {
  switch (selector.kind) {
    case 'all':
      return true;
    case 'id':
      return proc.pm_id === selector.id;
    case 'names':
      return selector.names.includes(proc.name);
    case 'namespace':
      return proc.pm2_env.namespace === selector.namespace;
    case 'regex':
      return new RegExp(selector.source, selector.flags).test(proc.name);
    case 'name': {
      const byName = (p: ProcessDescription): boolean => p.name === selector.name || (selector.path !== undefined && p.pm2_env.pm_exec_path === selector.path);
      return all.some(byName) ? byName(proc) : proc.pm2_env.namespace === selector.name;
    }
  }
}

/** True when a target word names an ecosystem file that exists (PM2 decides by the file name). */
export async function isEcosystemTarget(target: string): Promise<boolean> {
  const { isEcosystemFile } = await import('../ecosystem/find.js');
  return isEcosystemFile(target) && existsSync(target);
}
