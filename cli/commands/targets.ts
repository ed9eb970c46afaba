// Turning command-line targets (ids, names, namespaces, all, /regex/, ecosystem files) into selectors.
import { existsSync } from 'node:fs';
import type { Selector } from '../../agent/protocol/types.js';
import { CliError } from '../client/errors.js';

/** A selector for one target word; ecosystem files are handled by the caller. */
export function selectorFor(target: string): Selector {
  if (target === 'all') return { kind: 'all' };
  if (/^\d+$/.test(target)) return { kind: 'id', id: Number(target) };
  const regex = /^\/(.+)\/([dgimsuy]*)$/.exec(target);
  if (regex) {
    try {
      new RegExp(regex[1]!, regex[2]);
    } catch (error) {
      throw new CliError('BAD_ARGUMENT', `invalid regular expression ${target}: ${(error as Error).message}`);
    }
    return { kind: 'regex', source: regex[1]!, flags: regex[2]!.replace('g', '') };
  }
  return { kind: 'name', name: target };
}

/** True when a target word names an ecosystem file that exists (PM2 decides by the file name). */
export async function isEcosystemTarget(target: string): Promise<boolean> {
  const { isEcosystemFile } = await import('../ecosystem/find.js');
  return isEcosystemFile(target) && existsSync(target);
}
