// The last lines of a log file, read from its end: the log panel opens with them before live lines.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Bytes read from the end of a file: enough for the lines shown, bounded for huge lines. */
const TAIL_BYTES = 64 * 1024;

/** Up to `count` last whole lines of `file`; none when it cannot be read. */
export function tailLines(file: string, count: number): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    const lines = buffer.subarray(0, read).toString('utf8').split('\n');
    if (start > 0) lines.shift(); // the first line was cut by the read
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}
