// `unique_id`, as PM2 shows it: a UUID (scripts and dashboards written for PM2 check its shape).
// pmx's is derived from what identifies a process in its list (namespace, name, id), so it stays the
// same across restarts and agent recoveries without being stored; UUID version 5's layout.
import { createHash } from 'node:crypto';

const made = new Map<string, string>();

/** The process's UUID: the same for the same namespace, name and id. */
export function uniqueId(namespace: string, name: string, id: number): string {
  const key = `${namespace}\0${name}\0${id}`;
  let uuid = made.get(key);
  if (uuid === undefined) {
    const hex = createHash('sha1').update(`pmx:${key}`).digest('hex');
    const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    made.set(key, uuid);
  }
  return uuid;
}
