// Compressing rotated files into `<rotated>.gz`, and finishing what an agent killed while it
// compressed left: the .gz appears only complete, so a half-written one never passes for an archive.
import { closeSync, constants, createReadStream, createWriteStream, fstatSync, futimesSync, lstatSync, readdirSync, renameSync, rmSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createExclusive, guardFolder, openExisting, umaskMayStrip } from './log-open.js';
import { reserve, rotatedPattern } from './rotated-files.js';

/** What a compression is written into before it is complete (`<rotated>.gz.tmp`). */
const PARTIAL = '.tmp';

/**
 * Compresses `rotated` into `<rotated>.gz` (keeping its times, as gzip does, so that age still
 * orders rotated files) and removes it. Written into `<rotated>.gz.tmp` first, renamed once
 * complete; both are made anew (O_EXCL, never through a link) with the log's `mode`. A name that
 * is taken (another user may guess it from date_format) leaves the file uncompressed, told to `report`.
 */
export async function compressRotated(rotated: string, mode: number, report: (message: string) => void): Promise<void> {
  const { createGzip } = await import('node:zlib'); // only agents that compress load zlib
  const gz = `${rotated}.gz`;
  const partial = `${gz}${PARTIAL}`;
  const out = createExclusive(partial, constants.O_WRONLY, mode, umaskMayStrip(mode));
  if (out === null) return report(taken(rotated, partial));
  try {
    const source = openExisting(rotated, constants.O_RDONLY, 'read');
    const { atime, mtime } = fstatSync(source);
    await pipeline(createReadStream(rotated, { fd: source }), createGzip(), createWriteStream(partial, { fd: out, flush: true, autoClose: false }));
    futimesSync(out, atime, mtime);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  } finally {
    closeSync(out);
  }
  if (!reserve(gz)) {
    rmSync(partial, { force: true });
    return report(taken(rotated, gz));
  }
  renameSync(partial, gz);
  unlinkSync(rotated);
}

/**
 * Finishes the compressions of the rotated files of `path` that an agent killed meanwhile left
 * (run when the log is opened with compress on: start, adoption, reloadLogs). Its own partial
 * files are removed; a rotated file without a .gz is compressed; one beside a .gz of this user
 * that does not hold it whole (an older pmx wrote the .gz in place) is compressed again, and one
 * beside a whole .gz (killed before removing it) is removed. Only regular files of this user,
 * named as rotation names them, are touched.
 */
export async function finishCompressions(path: string, dateFormat: string, mode: number, report: (message: string) => void): Promise<void> {
  const dir = dirname(path);
  let names: string[];
  try {
    guardFolder(path);
    names = readdirSync(dir);
  } catch {
    return; // a folder refused or not there: the writer's open says why, and there is nothing to finish
  }
  const own = rotatedPattern(path, dateFormat);
  for (const name of names) {
    if (name.endsWith(`.gz${PARTIAL}`) && own.test(name.slice(0, -PARTIAL.length)) && ownFile(join(dir, name))) rmSync(join(dir, name), { force: true });
  }
  for (const name of names) {
    const rotated = join(dir, name);
    if (!own.test(name) || name.endsWith('.gz')) continue;
    const stats = ownFile(rotated);
    if (!stats) continue;
    const gz = `${rotated}.gz`;
    const there = lstatOrNull(gz);
    if (there) {
      if (!ownFile(gz)) continue; // another user's: not written over (said when it was rotated)
      if (await holdsWhole(gz, stats.size)) {
        unlinkSync(rotated);
        continue;
      }
      rmSync(gz, { force: true });
    }
    await compressRotated(rotated, mode, report);
  }
}

/** Whether the .gz at `gz` is a whole gzip stream of `size` bytes. */
async function holdsWhole(gz: string, size: number): Promise<boolean> {
  const { createGunzip } = await import('node:zlib');
  let bytes = 0;
  try {
    const source = openExisting(gz, constants.O_RDONLY, 'read');
    await pipeline(createReadStream(gz, { fd: source }), createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) bytes += chunk.length;
    });
    return bytes === size;
  } catch {
    return false;
  }
}

function taken(rotated: string, name: string): string {
  return `not compressing ${rotated}: ${name} is there already (uid ${lstatOrNull(name)?.uid ?? '?'}), and pmx does not write over a file it did not make; ${rotated} is kept uncompressed`;
}

/** The stats of a regular file of this user at `path` (never followed), or null. */
function ownFile(path: string): Stats | null {
  const stats = lstatOrNull(path);
  return stats?.isFile() && stats.uid === (process.geteuid?.() ?? stats.uid) ? stats : null;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
