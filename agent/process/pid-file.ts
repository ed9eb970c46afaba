// PM2's pid files (pids/<name>-<id>.pid): written when a child starts, removed when it exits.
import { unlinkSync, writeFileSync } from 'node:fs';

/** Writes `pid` into `file`; the file is informative only, so a failure is ignored. */
export function writePidFile(file: string, pid: number): void {
  try {
    writeFileSync(file, String(pid));
  } catch {
    // the pid file is informative only
  }
}

/** Removes the pid file, if it is there. */
export function removePidFile(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

