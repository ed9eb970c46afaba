// Random UUIDs (version 4) for the agent: one per process (PM2's unique_id) and one per launch (its
// marker). node:crypto's randomUUID loaded node:crypto and initialised OpenSSL for this alone: about
// 2 MB of the agent's resident memory, which nothing else of an agent at work needs (the dashboard
// loads it when one is asked for). The bytes come from the kernel's random source, read into a pool
// as Node's own randomUUID keeps one; node:crypto only where /dev/urandom cannot be read.
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Bytes read at a time: 256 ids. */
const POOL_BYTES = 4096;
const ID_BYTES = 16;

let pool: Buffer = Buffer.alloc(0);
let used = 0;

/** A random UUID of version 4 (RFC 9562), as crypto.randomUUID() makes. */
export function randomUUID(): string {
  if (used + ID_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const bytes = pool.subarray(used, used + ID_BYTES);
  used += ID_BYTES;
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  // spent bytes are not kept: an id is never made twice from them, nor read back from the pool
  bytes.fill(0);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function randomBytes(size: number): Buffer {
  const buffer = Buffer.alloc(size);
  let fd: number;
  try {
    fd = openSync('/dev/urandom', 'r');
  } catch {
    return (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).randomFillSync(buffer);
  }
  try {
    for (let filled = 0; filled < size; ) {
      const read = readSync(fd, buffer, filled, size - filled, null);
      if (read === 0) throw new Error('/dev/urandom: unexpected end of file');
      filled += read;
    }
  } finally {
    closeSync(fd);
  }
  return buffer;
}
