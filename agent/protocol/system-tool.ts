// The path of a system tool pmx itself runs (flock, mkfifo): found on PATH, else in the system's
// own directories, so that a PATH an app or a deploy `env` set for its own needs (one that names
// no system directory) does not break pmx's locking or its output pipes.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where the system's tools are, whatever PATH says. */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The executable `name` on `path`, then in the system directories; `name` itself when none is found (spawning it reports ENOENT). */
export function systemTool(name: string, path: string = process.env.PATH ?? ''): string {
  return findExecutable(name, [...path.split(delimiter).filter((dir) => dir.startsWith('/')), ...SYSTEM_DIRS]) ?? name;
}

/** The first executable file named `name` in `dirs`, or null. */
export function findExecutable(name: string, dirs: readonly string[]): string | null {
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}
