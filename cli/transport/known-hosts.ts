// Host-key verification against OpenSSH known_hosts files: plain and hashed (|1|salt|hash)
// entries, [host]:port for other ports, wildcard and negated patterns, revoked keys.
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';

/** What the known_hosts files say about a host's key. */
export type HostKeyVerdict =
  | { kind: 'match' }
  | { kind: 'unknown' }
  | { kind: 'mismatch'; file: string; line: number }
  | { kind: 'revoked'; file: string; line: number };

/** OpenSSH's fingerprint of a public key blob: `SHA256:<base64, no padding>`. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside a public key blob (e.g. ssh-ed25519). */
export function keyType(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** Looks `host`:`port` up in `files`; the first file that knows the host decides. */
export function verifyHostKey(files: string[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const type = keyType(blob);
  let mismatch: HostKeyVerdict | null = null;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let index = 0; index < lines.length; index++) {
      const fields = lines[index]!.trim().split(/\s+/);
      if (fields.length < 3 || fields[0]!.startsWith('#')) continue;
      const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
      const [patterns, entryType, key] = fields as [string, string, string];
      if (marker === '@cert-authority' || !hostMatches(patterns, name)) continue;
      const same = Buffer.from(key, 'base64').equals(blob);
      if (marker === '@revoked') {
        if (same) return { kind: 'revoked', file, line: index + 1 };
        continue;
      }
      if (same) return { kind: 'match' };
      if (entryType === type) mismatch ??= { kind: 'mismatch', file, line: index + 1 };
    }
  }
  return mismatch ?? { kind: 'unknown' };
}

/** Appends the host's key to `file` (StrictHostKeyChecking accept-new). */
export function addHostKey(file: string, host: string, port: number, blob: Buffer): void {
  const name = port === 22 ? host : `[${host}]:${port}`;
  appendFileSync(file, `${name} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (!globToRegExp(negated ? pattern.slice(1) : pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedMatches(entry: string, name: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}
