// save / resurrect: the process list written atomically to PMX_HOME/dump.pmx and read back.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, copyFileSync } from 'node:fs';
import type { AppSpec } from './protocol/app-spec.js';
import type { PublicStatus } from './process/states.js';
import { AgentFault } from './fault.js';
import { guardDump } from './protocol/home-guard.js';

export const DUMP_FORMAT = 1;

/** One saved process. */
export interface DumpEntry {
  pm_id: number;
  instance: number;
  status: PublicStatus;
  spec: AppSpec;
}

interface DumpFile {
  pmx_dump: number;
  saved_at: string;
  processes: DumpEntry[];
}

/**
 * Writes the dump atomically (temp file, fsync, rename) and keeps the previous one as `.bak`.
 * An empty list never replaces a non-empty dump unless `force` is set.
 */
export function writeDump(file: string, entries: DumpEntry[], force: boolean): void {
  if (entries.length === 0 && !force) {
    const previous = tryRead(file);
    if (previous && previous.processes.length > 0) {
      throw new AgentFault('DUMP_REFUSED', `refusing to replace ${file} (${previous.processes.length} processes) with an empty list`, {
        file,
        saved: previous.processes.length,
      });
    }
  }
  const body: DumpFile = { pmx_dump: DUMP_FORMAT, saved_at: new Date().toISOString(), processes: entries };
  const temp = `${file}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(body, null, 2));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (existsSync(file)) copyFileSync(file, `${file}.bak`);
  renameSync(temp, file);
  fsyncDirectory(file);
}

/** Reads the dump, falling back to the `.bak` copy when the main file is unreadable. */
export function readDump(file: string): DumpEntry[] {
  for (const path of [file, `${file}.bak`]) guardDump(path);
  const dump = tryRead(file) ?? tryRead(`${file}.bak`);
  if (!dump) {
    throw new AgentFault('DUMP_MISSING', `no readable dump at ${file}: run 'pmx save' first`, { file });
  }
  return dump.processes;
}

function tryRead(file: string): DumpFile | null {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as DumpFile;
    return Array.isArray(parsed.processes) ? parsed : null;
  } catch {
    return null;
  }
}

function fsyncDirectory(file: string): void {
  const dir = file.slice(0, file.lastIndexOf('/')) || '/';
  try {
    const fd = openSync(dir, 'r');
    fsyncSync(fd);
    closeSync(fd);
  } catch {
    // best effort: not every filesystem lets a directory be fsynced
  }
}
