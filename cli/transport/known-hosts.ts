// Host-key verification against OpenSSH known_hosts files: plain and hashed (|1|salt|hash)
// entries, [host]:port for other ports, wildcard and negated patterns, revoked keys.
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostPatternsMatch } from './host-patterns.js';

/** What the known_hosts files say about a host's key. */
export type HostKeyVerdict =
  | { kind: 'match' }
  | { kind: 'unknown' }
  | { kind: 'mismatch'; file: string; line: number }
  | { kind: 'revoked'; file: string; line: number };

interface Entry {
  file: string;
  line: number;
  marker: string | undefined;
  type: string;
  blob: Buffer;
}

/** Host-key algorithms in the order ssh2 offers them by default. */
const DEFAULT_HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** OpenSSH's fingerprint of a public key blob: `SHA256:<base64, no padding>`. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside a public key blob (e.g. ssh-ed25519). */
export function keyType(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** The name known_hosts uses for a host: `host`, or `[host]:port` for a port other than 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Looks the host up in every file, as OpenSSH does: a revoked key is refused, any matching key wins, else a same-type key is a mismatch. */
export function verifyHostKey(files: string[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const type = keyType(blob);
  const entries = entriesFor(files, knownHostsName(host, port));
  const revoked = entries.find((entry) => entry.marker === '@revoked' && entry.blob.equals(blob));
  if (revoked) return { kind: 'revoked', file: revoked.file, line: revoked.line };
  const plain = entries.filter((entry) => entry.marker === undefined);
  if (plain.some((entry) => entry.blob.equals(blob))) return { kind: 'match' };
  const changed = plain.find((entry) => entry.type === type);
  return changed ? { kind: 'mismatch', file: changed.file, line: changed.line } : { kind: 'unknown' };
}

/** Host-key algorithms to offer, those of the keys already known for the host first (so a known key is the one negotiated). */
export function preferredHostKeyAlgorithms(files: string[], host: string, port: number): string[] {
  const known = entriesFor(files, knownHostsName(host, port)).filter((entry) => entry.marker === undefined).map((entry) => entry.type);
  const first = DEFAULT_HOST_KEY_ALGORITHMS.filter((algorithm) => known.some((type) => type === algorithm || (type === 'ssh-rsa' && algorithm.startsWith('rsa-sha2-'))));
  return [...first, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((algorithm) => !first.includes(algorithm))];
}

/** Appends the host's key to `file` (StrictHostKeyChecking accept-new), creating its directory. */
export function addHostKey(file: string, host: string, port: number, blob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${knownHostsName(host, port)} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

function entriesFor(files: string[], name: string): Entry[] {
  const entries: Entry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    text.split('\n').forEach((line, index) => {
      const fields = line.trim().split(/\s+/);
      if (fields[0]?.startsWith('#')) return;
      const marker = fields[0]?.startsWith('@') ? fields.shift() : undefined;
      const [patterns, type, key] = fields;
      if (!patterns || !type || !key || marker === '@cert-authority' || !hostMatches(patterns, name)) return;
      entries.push({ file, line: index + 1, marker, type, blob: Buffer.from(key, 'base64') });
    });
  }
  return entries;
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatches(patterns, name);
  return hostPatternsMatch(patterns.split(','), name);
}

function hashedMatches(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}
