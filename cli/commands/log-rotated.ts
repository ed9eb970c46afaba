// The rotated files of a log on disk, as a reader sees them: one entry per rotation, whether it is
// still plain, compressed, or both for a moment (while the agent compresses it), oldest first.
import { closeSync, fstatSync, lstatSync, readdirSync, readFileSync, readSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openLogForReading } from '../../agent/logs/log-open.js';
import { compareRotatedNames, rotatedPattern } from '../../agent/logs/rotated-files.js';

/** One rotation of a log: its rotated name, under which it is plain, compressed (`<path>.gz`), or both. */
export interface RotatedFile {
  /** The rotated name, without `.gz`. */
  path: string;
  plain: Stats | null;
  gz: Stats | null;
  /** When it was last written (the .gz keeps the time of the file it holds). */
  mtimeMs: number;
}

/**
 * The rotated files of the log at `path` named as the agent names them with `dateFormat`, in the
 * order they were rotated: by when they were last written, and within one millisecond by name
 * (`x__<date>`, `x__<date>.2`, ... `x__<date>.10`).
 */
export function rotatedFilesOf(path: string, dateFormat: string): RotatedFile[] {
  const dir = dirname(path);
  const own = rotatedPattern(path, dateFormat);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const byPath = new Map<string, RotatedFile>();
  for (const name of names) {
    if (!own.test(name)) continue;
    const stats = regularFile(join(dir, name));
    if (stats === null) continue;
    const compressed = name.endsWith('.gz');
    const rotated = join(dir, compressed ? name.slice(0, -3) : name);
    const entry = byPath.get(rotated) ?? { path: rotated, plain: null, gz: null, mtimeMs: stats.mtimeMs };
    if (compressed) entry.gz = stats;
    else entry.plain = stats;
    entry.mtimeMs = (entry.plain ?? stats).mtimeMs;
    byPath.set(rotated, entry);
  }
  return [...byPath.values()].sort((a, b) => Math.floor(a.mtimeMs) - Math.floor(b.mtimeMs) || compareRotatedNames(path, a.path, b.path));
}

/** A rotated file open for reading, under its plain name or as its .gz. */
export interface OpenedRotated {
  fd: number;
  compressed: boolean;
}

/**
 * The rotated file open for reading: its plain name, else its .gz, which the agent may have made
 * since the listing (it removes the plain file only once the .gz is complete); null when it was
 * removed meanwhile.
 */
export function openRotated(file: RotatedFile): OpenedRotated | null {
  for (const [path, compressed] of [[file.path, false], [`${file.path}.gz`, true]] as const) {
    if (!compressed && file.plain === null) continue;
    try {
      return { fd: openLogForReading(path), compressed };
    } catch {
      // compressed or pruned since it was listed: the next name, or nothing
    }
  }
  return null;
}

/** What an opened rotated file holds, uncompressed, and closes it; null when it cannot be read (a .gz cut short). */
export function contentOf(opened: OpenedRotated): Buffer | null {
  try {
    const content = readFileSync(opened.fd);
    return opened.compressed ? gunzipSync(content) : content;
  } catch {
    return null;
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * The rotated files listed in `rotated` that were moved aside before the file open as `fd` (all of
 * them when it is not among them: still at the path). It is looked at after the listing, so that
 * a file rotated and compressed since it was opened is still found, by its .gz.
 */
export function rotatedBefore(rotated: RotatedFile[], fd: number): RotatedFile[] {
  const current = fstatSync(fd);
  const at = rotated.findIndex((file) => holds(file, current));
  return at < 0 ? rotated : rotated.slice(0, at);
}

/** Whether `file` is the file `stats` describes: its plain name still, or its .gz (same time to the ms, as the agent keeps it, and same length). */
export function holds(file: RotatedFile, stats: Stats): boolean {
  if (file.plain !== null) return sameFile(file.plain, stats);
  return file.gz !== null && Math.abs(file.gz.mtimeMs - stats.mtimeMs) < 1 && gzLength(file) === stats.size % 2 ** 32;
}

/** Whether two stats describe one file. */
export function sameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

/** The stats of a regular file at `path`, never followed, or null (gone since the listing, or not a file). */
function regularFile(path: string): Stats | null {
  try {
    const stats = lstatSync(path);
    return stats.isFile() ? stats : null;
  } catch {
    return null;
  }
}

/** The length of what the .gz of `file` holds (ISIZE, the last 4 bytes of a gzip stream: modulo 2^32), or null when it cannot be read. */
export function gzLength(file: RotatedFile): number | null {
  const gz = `${file.path}.gz`;
  let fd: number;
  try {
    fd = openLogForReading(gz);
  } catch {
    return null;
  }
  try {
    const { size } = fstatSync(fd);
    const trailer = Buffer.alloc(4);
    return size >= 18 && readSync(fd, trailer, 0, 4, size - 4) === 4 ? trailer.readUInt32LE(0) : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
