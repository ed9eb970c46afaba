// save / resurrect: the process list written atomically to PMX_HOME/dump.pmx and read back.
// The previous dump is kept as dump.pmx.bak, but only one that parses: a torn file never
// replaces the good backup. Reading names the file the list came from and warns about a torn one.
import { closeSync, copyFileSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { AgentFault } from './fault.js';
import { guardDump } from './protocol/home-guard.js';
import { checkDumpEntries, type DumpEntry } from './dump-entry.js';

export type { DumpEntry } from './dump-entry.js';

export const DUMP_FORMAT = 1;

interface DumpFile {
  pmx_dump: number;
  saved_at: string;
  processes: DumpEntry[];
}

/** A dump as read: its entries, the file they came from, and warnings for the user. */
export interface ReadDump {
  entries: DumpEntry[];
  file: string;
  warnings: string[];
}

/**
 * Writes the dump atomically (temp file, fsync, rename) and keeps the previous one as `.bak` if it
 * parses. An empty list never replaces a non-empty saved one unless `force` is set. Returns warnings.
 */
export function writeDump(file: string, entries: DumpEntry[], force: boolean): string[] {
  const current = parse(file);
  const backup = `${file}.bak`;
  if (entries.length === 0 && !force) {
    const previous = current.dump ?? parse(backup).dump;
    if (previous && previous.processes.length > 0) {
      throw new AgentFault(`refusing to replace ${file} (${previous.processes.length} processes) with an empty list`, { code: 'DUMP_REFUSED', file, data: {
        file,
        saved: previous.processes.length,
      } });
    }
  }
  const body: DumpFile = { pmx_dump: DUMP_FORMAT, saved_at: new Date().toISOString(), processes: entries };
  const temp = `${file}.${process.pid}.tmp`;
  const warnings: string[] = [];
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      // all of it or an error: one writeSync may write part of it on a nearly full disk
      writeFileSync(fd, JSON.stringify(body, null, 2));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (current.dump) {
      // copied aside, then renamed: a copy cut short by a full disk never takes the place of a good .bak
      copyFileSync(file, `${backup}.${process.pid}.tmp`);
      renameSync(`${backup}.${process.pid}.tmp`, backup);
    } else if (current.problem) warnings.push(`${file} was ${current.problem}: it was replaced, and ${backup} kept as it was`);
    // inside: a rename that fails (dump.pmx a directory) leaves no copy of every app's environment behind
    renameSync(temp, file);
  } catch (error) {
    // nothing half-written is left behind: the dump and its .bak are as they were
    rmSync(temp, { force: true });
    rmSync(`${backup}.${process.pid}.tmp`, { force: true });
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new AgentFault(`cannot save to ${file} (${why}${(error as NodeJS.ErrnoException).path && (error as NodeJS.ErrnoException).path !== temp ? ` writing ${(error as NodeJS.ErrnoException).path}` : ''}): the saved list is as it was`, { code: 'DUMP_WRITE_FAILED', file, data: { file } });
  }
  fsyncDirectory(file);
  return warnings;
}

/** Reads the dump, or its `.bak` copy when the dump is torn (said in the warnings); a fault when neither can be used. */
export function readDump(file: string): ReadDump {
  for (const path of [file, `${file}.bak`]) guardDump(path);
  const main = parse(file);
  if (main.dump) return { entries: checkDumpEntries(main.dump.processes, file), file, warnings: [] };
  const backup = `${file}.bak`;
  const fallback = parse(backup);
  if (!main.problem && !fallback.dump) {
    throw new AgentFault(`no dump at ${file}: run 'pmx save' first`, { code: 'DUMP_MISSING', file, data: { file } });
  }
  if (!fallback.dump) {
    const why = `${file} is ${main.problem ?? 'missing'} and ${backup} is ${fallback.problem ?? 'missing'}`;
    throw new AgentFault(`no usable dump: ${why}`, { code: 'DUMP_UNREADABLE', file, data: { file } });
  }
  const savedAt = fallback.dump.saved_at ? `, saved ${fallback.dump.saved_at}` : '';
  const warning = main.problem
    ? `${file} is ${main.problem}: used the previous dump ${backup}${savedAt}`
    : `${file} is missing: used the previous dump ${backup}${savedAt}`;
  return { entries: checkDumpEntries(fallback.dump.processes, backup), file: backup, warnings: [warning] };
}

/** A dump file parsed, or what is wrong with it; neither when it does not exist. */
function parse(file: string): { dump: DumpFile | null; problem: string | null } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { dump: null, problem: code === 'ENOENT' ? null : `unreadable (${code})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { dump: null, problem: `torn or not JSON (${jsonProblem(error, text)})` };
  }
  if (Array.isArray(parsed)) {
    // PM2's dump.pm2 is a bare list of its process descriptions
    return { dump: null, problem: "PM2's dump (a list of its processes), not a pmx dump: 'pmx import pm2' reads PM2's dump.pm2" };
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as DumpFile).processes)) {
    return { dump: null, problem: 'not a pmx dump (no list of processes)' };
  }
  const format = (parsed as DumpFile).pmx_dump;
  // written by a newer pmx: its entries may mean what this one does not know (a downgrade)
  if (typeof format === 'number' && format > DUMP_FORMAT) return { dump: null, problem: `of format ${format}, which this pmx (format ${DUMP_FORMAT}) does not read: saved by a newer pmx` };
  return { dump: parsed as DumpFile, problem: null };
}

/**
 * Where JSON.parse gave up in `text`, as a byte offset: never its message, which quotes the text
 * around the fault (an env value, a secret).
 */
export function jsonProblem(error: unknown, text: string): string {
  const message = (error as Error).message ?? '';
  const at = /at position (\d+)/.exec(message);
  if (at) return `invalid JSON at character ${at[1]} of ${text.length}`;
  if (/end of JSON input|Unterminated/.test(message)) return `cut short after ${text.length} characters`;
  return `invalid JSON, ${text.length} characters`;
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
