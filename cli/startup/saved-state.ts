// Whether the saved dump would bring back what runs now: `pmx startup` reminds the user to
// `pmx save` when it would not, since the boot hook resurrects the dump and nothing else.
import { statSync } from 'node:fs';
import { readDump, type DumpEntry } from '../../agent/dump.js';
import type { ProcessDescription } from '../../agent/protocol/types.js';

/** How the dump compares with the running list. */
export type SavedState =
  | { kind: 'missing' }
  /** The agent does not answer: the dump cannot be compared with anything. */
  | { kind: 'unknown'; savedAt: Date }
  | { kind: 'current'; savedAt: Date }
  /** Names of the processes the dump lacks, holds in excess, or holds with other settings. */
  | { kind: 'stale'; savedAt: Date; unsaved: string[]; gone: string[]; changed: string[] };

/** Compares the dump at `file` (or its .bak) with `running` (null when no agent answers). */
export function compareWithDump(file: string, running: ProcessDescription[] | null): SavedState {
  let entries: DumpEntry[];
  try {
    entries = readDump(file).entries;
  } catch {
    return { kind: 'missing' };
  }
  const savedAt = modified(file);
  if (running === null) return { kind: 'unknown', savedAt };
  const saved = new Map(entries.map((entry) => [entry.pm_id, entry]));
  const now = new Map(running.map((proc) => [proc.pm_id, proc]));
  const label = (id: number, name: string): string => `${name} (id ${id})`;
  const unsaved = running.filter((proc) => !saved.has(proc.pm_id)).map((proc) => label(proc.pm_id, proc.name));
  const gone = entries.filter((entry) => !now.has(entry.pm_id)).map((entry) => label(entry.pm_id, entry.spec.name));
  const changed = running
    .filter((proc) => {
      const entry = saved.get(proc.pm_id);
      return entry !== undefined && !sameProcess(entry, proc);
    })
    .map((proc) => label(proc.pm_id, proc.name));
  if (unsaved.length + gone.length + changed.length === 0) return { kind: 'current', savedAt };
  return { kind: 'stale', savedAt, unsaved, gone, changed };
}

/** The longest kill_timeout (ms) among running and saved processes: the hook's stop timeout follows it. */
export function longestKillTimeout(file: string, running: ProcessDescription[] | null): number {
  let saved: DumpEntry[] = [];
  try {
    saved = readDump(file).entries;
  } catch {
    // nothing saved
  }
  const timeouts = [...saved.map((entry) => entry.spec.kill_timeout), ...(running ?? []).map((proc) => proc.pm2_env.kill_timeout)];
  return Math.max(0, ...timeouts.filter((ms) => Number.isFinite(ms)));
}

/**
 * Same app with the same settings, stopped by the user in both or in neither. A crash (errored)
 * is not a change: saving it again would not bring back more at boot.
 */
function sameProcess(entry: DumpEntry, proc: ProcessDescription): boolean {
  if ((entry.status === 'stopped') !== (proc.pm2_env.status === 'stopped')) return false;
  const env = proc.pm2_env as unknown as Record<string, unknown>;
  return Object.entries(entry.spec).every(([key, value]) => JSON.stringify(value) === JSON.stringify(env[key]));
}

function modified(file: string): Date {
  for (const candidate of [file, `${file}.bak`]) {
    try {
      return statSync(candidate).mtime;
    } catch {
      // try the copy
    }
  }
  return new Date(0);
}
