// Processes found by a variable of their environment. Each launch of an app carries its own
// PMX_LAUNCH marker, which its descendants inherit wherever they go: a double fork, setsid, a
// detached child with no output, a parent that died while no agent watched. The tree of parents
// and process groups loses such a process once it is re-parented; the marker does not (the
// environment /proc shows is the one a process started with, whatever it unsets since).
import { readFileSync } from 'node:fs';
import { sharedTable } from './process-tree.js';

/** The variable that carries a launch's marker. */
export const LAUNCH_VARIABLE = 'PMX_LAUNCH';

/**
 * The marker of a launch's exec probes: swept with the launch, and alone when the next agent
 * adopts the launch (the probes the dead agent had running are its no longer, and may hang).
 */
export function probeMarker(marker: string): string {
  return `${marker}.probe`;
}

const ENTRY = `${LAUNCH_VARIABLE}=`;

/**
 * Every process whose environment names one of `markers`, by pid and start time. The agent's own
 * children are skipped (a launch that is current is never swept, and they are the many): what a
 * launch leaves behind has lost its parent and hangs from init or a subreaper.
 */
export function findMarked(markers: ReadonlySet<string>): { pid: number; startTicks: number }[] {
  const found: { pid: number; startTicks: number }[] = [];
  for (const [pid, row] of sharedTable().table) {
    if (pid === process.pid || row.ppid === process.pid || row.state === 'Z') continue;
    const marker = markerOf(pid);
    if (marker !== null && markers.has(marker)) found.push({ pid, startTicks: row.startTicks });
  }
  return found;
}

/** The launch marker in a process's environment, or null (none, or not ours to read). */
export function markerOf(pid: number): string | null {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return null;
  }
  const at = environ.startsWith(ENTRY) ? 0 : environ.indexOf(`\0${ENTRY}`) + 1;
  if (at === 0 && !environ.startsWith(ENTRY)) return null;
  const start = at + ENTRY.length;
  const end = environ.indexOf('\0', start);
  return environ.slice(start, end < 0 ? undefined : end);
}
