// The `unique_id` older agents gave a process, derived from namespace, name and id (UUID version 5's
// layout): the next agent keeps it for a process such an agent ran. New processes get a random one.
import { createRequire } from 'node:module';

/** node:crypto, loaded only by a recovery that meets such a process (an agent at work needs none of it). */
const crypto = (): typeof import('node:crypto') => createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

/** The process's UUID: the same for the same namespace, name and id. */
export function uniqueId(namespace: string, name: string, id: number): string {
  const hex = crypto().createHash('sha1').update(`pmx:${namespace}\0${name}\0${id}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
