// PM2's pid files (pids/<name>-<id>.pid): written when a child starts, removed when it exits.
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes `pid` into `file`, readable by its user alone whatever the umask (as every file pmx
 * makes). A symbolic link or a file of another user is left alone (a pid path may be named
 * anywhere with --pid). The file is informative only, so a failure is ignored.
 */
export function writePidFile(file: string, pid: number): void {
  let fd: number | null = null;
  try {
    // its folder made if missing (a pid_file under /run after a reboot), as PM2 makes it
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    const euid = process.geteuid?.();
    if (euid !== undefined && fstatSync(fd).uid !== euid) return;
    fchmodSync(fd, 0o600);
    ftruncateSync(fd, 0);
    writeSync(fd, String(pid));
  } catch {
    // the pid file is informative only
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Removes the pid file, if it is there and ours: a link or another user's file at that path is left alone. */
export function removePidFile(file: string): void {
  try {
    const stats = lstatSync(file);
    const euid = process.geteuid?.();
    if (!stats.isFile() || (euid !== undefined && stats.uid !== euid)) return;
    unlinkSync(file);
  } catch {
    // already gone
  }
}

