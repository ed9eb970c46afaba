// The words a failed launch is reported in: true of what failed, not of the command node spawned.
import { accessSync, constants, statSync } from 'node:fs';

/**
 * Why a launch failed, in words true of it: node names the command it spawned (`spawn /bin/sh
 * ENOENT`) when it is the app's working directory that is gone (a release folder removed, the
 * folder `pmx serve` served deleted) or cannot be entered.
 */
export function launchProblem(error: Error, cwd: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  return (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' ? cwdProblem(cwd) : null) ?? error.message;
}

/** What keeps a child from starting in `cwd`, or null when nothing does. */
function cwdProblem(cwd: string): string | null {
  try {
    if (!statSync(cwd).isDirectory()) return `its working directory ${cwd} is not a directory (ENOTDIR)`;
    accessSync(cwd, constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return code === 'ENOENT' ? `its working directory ${cwd} does not exist (ENOENT)` : `its working directory ${cwd} cannot be entered (${code})`;
  }
}
