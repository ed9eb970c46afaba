// PM2's pid files (pids/<name>-<id>.pid): written when a child starts, removed when it exits.
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { NEVER_BLOCK, checkOpened, explained, guardFolder, placedAt, prepareFolder } from '../logs/log-open.js';

/**
 * Writes `pid` into `file`, readable by its user alone whatever the umask (as every file pmx
 * makes). A symbolic link or a file of another user is left alone (a pid path may be named
 * anywhere with --pid), and so is a FIFO, a device or a file with another name (the open never
 * waits for a FIFO's reader: log-open.ts). The file is informative only: a failure stops nothing,
 * and is returned for the agent log (null when written, or left alone because it is not ours).
 */
export function writePidFile(file: string, pid: number): string | null {
  let fd: number | null = null;
  try {
    // its folder made if missing (a pid_file under /run after a reboot), as PM2 makes it, on a
    // way no other user can change (a link of theirs on it would have root write where they chose)
    const where = prepareFolder(file, 0o700);
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | NEVER_BLOCK, 0o600);
    } catch (error) {
      throw explained(file, error, 'write', 'pid files');
    }
    const stats = fstatSync(fd);
    checkOpened(file, stats, 'write', 'pid files');
    // opened where its way led, not through a folder swapped since: nothing is emptied elsewhere
    placedAt(fd, where, file, 'write', 'pid files');
    const euid = process.geteuid?.();
    if (euid !== undefined && stats.uid !== euid) return null;
    fchmodSync(fd, 0o600);
    ftruncateSync(fd, 0);
    writeSync(fd, String(pid));
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Removes the pid file, if it is there and ours: a link or another user's file at that path is left alone. */
export function removePidFile(file: string): void {
  try {
    // a folder on the way another user could have swapped since the file was written: nothing is removed through it
    guardFolder(file);
    const stats = lstatSync(file);
    const euid = process.geteuid?.();
    if (!stats.isFile() || (euid !== undefined && stats.uid !== euid)) return;
    unlinkSync(file);
  } catch {
    // already gone
  }
}

