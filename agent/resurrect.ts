// resurrect: the processes of the dump registered again and started, except those already here
// (an agent that took over a dead one's processes must not start them twice).
import type { Registry } from './registry.js';
import type { SupervisedProcess } from './process/supervised.js';
import { isDormant } from './process/states.js';
import { readDump } from './dump.js';

/** What a resurrect did: the processes it registered, the file it read, and what to warn about. */
export interface Restored {
  processes: SupervisedProcess[];
  /** The file the list came from: the dump, or its backup when the dump is torn. */
  file: string;
  warnings: string[];
  /** Entries skipped because their name and instance already run here. */
  alreadyPresent: number;
}

/**
 * Registers the dump's processes and starts those that ran when it was saved; does not wait for
 * them to come online. Nothing is registered when the dump cannot be used (a fault names why).
 */
export async function restoreDump(registry: Registry, dumpFile: string, log: (line: string) => void): Promise<Restored> {
  const dump = readDump(dumpFile);
  for (const warning of dump.warnings) log(warning);
  const processes: SupervisedProcess[] = [];
  let alreadyPresent = 0;
  for (const entry of dump.entries) {
    if (registry.named(entry.spec.name).some((proc) => proc.instance === entry.instance)) {
      alreadyPresent++;
      continue;
    }
    const proc = await registry.prepare(entry.spec, entry.instance, entry.pm_id);
    if (!isDormant(entry.status)) proc.dispatch({ type: 'start' });
    processes.push(proc);
  }
  log(`resurrected ${processes.length} processes from ${dump.file}${alreadyPresent > 0 ? ` (${alreadyPresent} already running)` : ''}`);
  return { processes, file: dump.file, warnings: dump.warnings, alreadyPresent };
}
