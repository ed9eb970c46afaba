// resurrect: the processes of the dump registered again and started, except those already here
// (an agent that took over a dead one's processes must not start them twice).
import type { Registry } from './registry.js';
import type { SupervisedProcess } from './process/supervised.js';
import { ProcessState, isDormant, isRunning } from './process/states.js';
import { readDump } from './dump.js';
import { LaunchTurns, Unreached, settlingOf } from './launch-turns.js';
import { AgentFault } from './fault.js';

/** What a resurrect did: the processes it registered, the file it read, and what to warn about. */
export interface Restored {
  processes: SupervisedProcess[];
  /** The file the list came from: the dump, or its backup when the dump is torn. */
  file: string;
  warnings: string[];
  /** Entries skipped because an app of their name is already here (running or not). */
  alreadyPresent: number;
  /** Of those, the ones not running (stopped or errored): left so, not started. */
  alreadyStopped: number;
}

/**
 * Registers the dump's processes and starts those that ran when it was saved, in batches as a
 * start launches them (the agent answers other requests in between); does not wait for them to
 * come online. Nothing is registered when the dump cannot be used (a fault names why).
 */
export async function restoreDump(registry: Registry, dumpFile: string, log: (line: string) => void, stopping: () => boolean = () => false): Promise<Restored> {
  const dump = readDump(dumpFile);
  for (const warning of dump.warnings) log(warning);
  const processes: SupervisedProcess[] = [];
  let alreadyPresent = 0;
  let alreadyStopped = 0;
  const turns = new LaunchTurns(registry, dump.entries.filter((entry) => !isDormant(entry.status)).map((entry) => ({ spec: entry.spec, count: 1 })), 'resurrect', stopping);
  /** The entries not reached when a `stop all` or `delete all` came: as if it had come after them. */
  const unreached = new Unreached(registry);
  for (const entry of dump.entries) {
    await turns.before(entry.spec.name);
    const settling = settlingOf(registry, entry.spec.name);
    if (settling) await settling;
    const everything = unreached.since();
    if (everything === 'delete') {
      unreached.skip(entry.spec.name, 'delete');
      continue;
    }
    // an app of that name here already, not of this resurrect: all of the dump's are left out, as
    // PM2 leaves them (matched by instance, another script under the name got the dump's other instances)
    const present = registry.named(entry.spec.name).filter((proc) => !processes.includes(proc));
    if (present.length > 0) {
      alreadyPresent++;
      if (!present.some((proc) => isRunning(proc.status))) alreadyStopped++;
      continue;
    }
    const proc = await registry.prepare(entry.spec, entry.instance, entry.pm_id);
    // registered and asked in one go: a state file written between the two would show it stopped
    if (everything === 'stop' && !isDormant(entry.status)) {
      proc.dispatch({ type: 'stop' });
      unreached.skip(entry.spec.name, 'stop');
    } else if (!isDormant(entry.status)) {
      proc.dispatch({ type: 'start' });
      turns.count();
    }
    // stopped by a command when it was saved: stays so (cron_restart leaves it), as the stop left it
    else if (entry.stopped_by === 'command') proc.dispatch({ type: 'stop' });
    // given up on (a crash loop) when it was saved: errored still, not stopped as if asked to
    else if (entry.status === ProcessState.ERRORED) proc.restore({ ...proc.lifecycle, status: ProcessState.ERRORED });
    processes.push(proc);
  }
  log(`resurrected ${processes.length} processes from ${dump.file}${alreadyPresent > 0 ? ` (${alreadyPresent} already here, ${alreadyStopped} of them not running)` : ''}`);
  const skipped = unreached.lines('resurrect');
  if (skipped.length > 0) throw new AgentFault(`resurrect did not complete: ${skipped.join('; ')}`, { code: 'SUPERSEDED', data: { action: 'resurrect', ids: [] } });
  return { processes, file: dump.file, warnings: dump.warnings, alreadyPresent, alreadyStopped };
}
