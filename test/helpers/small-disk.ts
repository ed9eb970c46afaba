// A small tmpfs for the tests that need a full disk, and the filling of it.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';

/** Mounts a tmpfs of `size` (e.g. '256k') on `dir` (which exists), with `mode` for its root. */
export function mountSmallDisk(dir: string, size: string, mode = '0755'): void {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=${mode}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (mounted.status !== 0) throw new Error(`mount: ${mounted.stderr}`);
}

/** Writes `filler` until the disk it is on is full; throws unless the write that stopped it failed with ENOSPC. */
export function fillDisk(filler: string): void {
  const fd = openSync(filler, 'w');
  try {
    for (;;) writeSync(fd, Buffer.alloc(4096, 'f'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}
