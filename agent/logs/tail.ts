// The last lines of a log file, read from its end only: `pmx logs` and the dashboard's log panel
// open with them before following live lines.
import { closeSync, fstatSync, readSync } from 'node:fs';
import { openLogForReading, refusalOf } from './log-open.js';

/** How much is read from the end at a time, until enough lines are in. */
const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Up to `count` last lines of `file` (no trailing empty line); none when it cannot be read. A file
 * the writer would not use either (log-open.ts) is not read: that refusal is thrown.
 */
export function lastLines(file: string, count: number): string[] {
  if (count === 0) return [];
  let fd: number;
  try {
    fd = openLogForReading(file);
  } catch (error) {
    if (refusalOf(error) !== null) throw error;
    return [];
  }
  try {
    let start = fstatSync(fd).size;
    const chunks: Buffer[] = [];
    let newlines = 0;
    // whole buffers are decoded once at the end: a character cut between two reads stays whole
    while (start > 0 && newlines <= count + 1) {
      const length = Math.min(CHUNK_BYTES, start);
      start -= length;
      const chunk = Buffer.alloc(length);
      readSync(fd, chunk, 0, length, start);
      chunks.unshift(chunk);
      for (const byte of chunk) if (byte === NEWLINE) newlines++;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text === '') return [];
    const lines = text.replace(/\n$/, '').split('\n');
    if (start > 0) lines.shift(); // cut by the first read
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}
