// The rotated files of a log (`<base>__<date>[.<n>]<ext>[.gz]`) on disk: naming the next one
// after those already there, moving the log aside without replacing any, and pruning them.
import { closeSync, constants, lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { escapeRegExp, formatDate, stampPattern } from './timestamp.js';
import { createExclusive } from './log-open.js';

/** The most digits of a rotated file's number, and the most names passed over in one rotation. */
const MAX_DIGITS = 9;
const MAX_TRIES = 1000;

/**
 * Renames the log at `path` to the next rotated name of `now` and returns that name, or null when
 * nothing is at `path` (removed by hand). The name is never one on disk, plain, compressed or
 * being compressed: the
 * number follows the highest of that date there (an earlier agent's or run's rotations; counters
 * in memory start again with each), and the name is taken with O_EXCL|O_NOFOLLOW before the log
 * is renamed onto it, so a rename never replaces a file pmx did not just make. (Not link+unlink:
 * an agent killed between the two would leave the log with two names, which opens refuse.)
 */
export function moveAside(path: string, dateFormat: string, now: Date): string | null {
  const dir = dirname(path);
  const ext = extname(path);
  const stem = `${basename(path, ext)}__${formatDate(now, dateFormat)}`;
  // numbers pmx gives have at most MAX_DIGITS digits: a longer one (planted, or copied in) is not
  // counted, else its number + 1 could be itself (2^53) and the search would never end
  const ofThisDate = new RegExp(`^${escapeRegExp(stem)}(?:\\.(\\d{1,${MAX_DIGITS}}))?${escapeRegExp(ext)}(?:\\.gz)?(?:\\.tmp)?$`);
  let highest = 0;
  for (const name of readdirSync(dir)) {
    const match = ofThisDate.exec(name);
    if (match) highest = Math.max(highest, match[1] ? Number(match[1]) : 1);
  }
  for (let n = highest + 1; ; n++) {
    // names taken meanwhile by someone else are passed over, a bounded number of them
    if (n > highest + MAX_TRIES) throw new Error(`no free name for a rotated file of ${path}: ${MAX_TRIES} names after ${stem}.${highest}${ext} are taken`);
    const rotated = join(dir, `${stem}${n > 1 ? `.${n}` : ''}${ext}`);
    if (!reserve(rotated)) continue;
    if (exists(`${rotated}.gz`) || exists(`${rotated}.gz.tmp`)) {
      rmSync(rotated, { force: true });
      continue;
    }
    try {
      renameSync(path, rotated);
      return rotated;
    } catch (error) {
      rmSync(rotated, { force: true });
      // ENOENT is the log's removal only when the log is indeed gone: a rename that fails for its
      // target (a folder removed meanwhile) is a failure to report, not a reason to start afresh
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !exists(path)) return null;
      throw error;
    }
  }
}

/**
 * Keeps the newest `retain` rotated files of the log at `path`, oldest removed first. Only its own
 * rotated files count: named as moveAside names them, regular files of this user; another user's
 * `<name>__notes.log` beside them is not touched.
 */
export function pruneRotated(path: string, dateFormat: string, retain: number): void {
  const dir = dirname(path);
  const own = rotatedPattern(path, dateFormat);
  const rotated = readdirSync(dir)
    .filter((name) => own.test(name))
    .map((name) => ({ name, mtime: ownFileMtime(join(dir, name)) }))
    .filter(({ mtime }) => mtime !== null)
    .sort((a, b) => b.mtime! - a.mtime! || compareRotatedNames(path, b.name, a.name));
  for (const { name } of rotated.slice(retain)) rmSync(join(dir, name), { force: true });
}

/**
 * The order of two rotated files of `path` rotated within one mtime, by name without .gz and the
 * extension: `x__<date>` before `x__<date>.2` before `x__<date>.10`, compressed or not (whole names
 * put `x__<date>.log.gz`, the first, after `x__<date>.2.log`).
 */
export function compareRotatedNames(path: string, a: string, b: string): number {
  const stem = (name: string): string => basename(name.replace(/\.gz$/, ''), extname(path));
  return stem(a).localeCompare(stem(b), undefined, { numeric: true });
}

/**
 * Why `dateFormat` cannot be part of a rotated file's name, or null when it can: a date it writes
 * with a '/' names a folder that is not there ('YYYY/MM/DD' turned size rotation off, the log
 * growing without bound). Checked when the ecosystem file is read, and by the agent for any client.
 */
export function dateFormatProblem(dateFormat: string): string | null {
  const written = formatDate(new Date(), dateFormat);
  return written.includes('/') ? `a date format whose dates can be part of a file name (it writes '${written}', whose '/' would name a folder)` : null;
}

/** The names moveAside gives the rotated files of `path` (`<base>__<date>[.<n>]<ext>`, maybe `.gz`). */
export function rotatedPattern(path: string, dateFormat: string): RegExp {
  const ext = extname(path);
  return new RegExp(`^${escapeRegExp(basename(path, ext))}__${stampPattern(dateFormat)}(\\.\\d{1,${MAX_DIGITS}})?${escapeRegExp(ext)}(\\.gz)?$`);
}

/** Takes the name `path` with a new empty file (never through a link); false when something is there. */
export function reserve(path: string): boolean {
  const fd = createExclusive(path, constants.O_WRONLY, 0o600, false);
  if (fd === null) return false;
  closeSync(fd);
  return true;
}

/** Whether anything is at `path`, a link that leads nowhere included. */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The mtime of a regular file of this user at `path` (never followed), or null: gone since the listing, or not ours to remove. */
function ownFileMtime(path: string): number | null {
  try {
    const stats = lstatSync(path);
    return stats.isFile() && stats.uid === (process.geteuid?.() ?? stats.uid) ? stats.mtimeMs : null;
  } catch {
    return null;
  }
}
