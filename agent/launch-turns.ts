// How a start or a resurrect of many processes proceeds: in turns of the event loop, so that the
// agent answers other requests between them (LaunchTurns), and what a `stop all` or `delete all`
// that comes between turns does to the apps it has not reached yet (Unreached).
import type { AppSpec } from './protocol/app-spec.js';
import { AgentFault } from './fault.js';
import type { Registry } from './registry.js';
import type { SupervisedProcess } from './process/supervised.js';

/**
 * Processes spawned in one turn of the event loop by a start or a scale up: the agent answers
 * other requests (ls, a second start, the dashboard) between batches.
 */
export const SPAWN_BATCH = 16;
/**
 * Turns a large start is spread over at most: each turn ends with the state file written whole
 * (the launched apps' gates wait for it), so batches of 16 made a 1,000-app start write it 63
 * times and take a fifth longer; larger batches keep it to 16 writes.
 */
const START_TURNS = 16;

/**
 * The turns of the event loop a start or resurrect launches in: at most max(SPAWN_BATCH, total /
 * START_TURNS) launches a turn, the agent answering other requests (an ls, the dashboard) between
 * turns and launching nothing more once it began stopping everything (`pmx kill`). Every launch's
 * output FIFOs are reserved at once, made beside the spawns; a turn waits for its own only.
 */
export class LaunchTurns {
  private readonly batch: number;
  /** The launches the FIFOs of a turn are waited for: a batch, or all of them when fewer. */
  private readonly turnNeed: number;
  private launched = 0;

  constructor(
    private readonly registry: Registry,
    launches: { spec: AppSpec; count: number }[],
    private readonly method: string,
    private readonly stopping: () => boolean,
  ) {
    const total = launches.reduce((sum, { count }) => sum + count, 0);
    this.batch = Math.max(SPAWN_BATCH, Math.ceil(total / START_TURNS));
    this.turnNeed = Math.min(this.batch, total);
    registry.reservePipes(launches);
  }

  /** Before what is launched for `name`: a full turn ends first; a turn that begins waits for its FIFOs. */
  async before(name: string): Promise<void> {
    if (this.launched >= this.batch) {
      await new Promise((resolve) => setImmediate(resolve));
      this.launched = 0;
      if (this.stopping()) throw new AgentFault(`the agent (pid ${process.pid}) is stopping every process to end: the ${this.method} of ${name} and the apps after it refused`, { code: 'AGENT_STOPPING', app: name, data: { method: this.method } });
    }
    if (this.launched === 0) await this.registry.pipesReady(this.turnNeed);
  }

  /** One more process launched in this turn. */
  count(): void {
    this.launched++;
  }
}

/**
 * The apps a start or resurrect had not reached when a `stop all` or `delete all` came: they are
 * treated as if the command had come after them (not registered; registered and stopped), and
 * named in the fault that says the command did not complete.
 */
export class Unreached {
  private readonly mark: number;
  private readonly names = { stop: [] as string[], delete: [] as string[] };

  constructor(private readonly registry: Registry) {
    this.mark = registry.askedOfAllMark();
  }

  /** Whether a delete (it wins) or a stop of every process came since this operation began. */
  since(): 'stop' | 'delete' | null {
    return this.registry.askedOfAllSince(this.mark);
  }

  skip(name: string, by: 'stop' | 'delete'): void {
    if (!this.names[by].includes(name)) this.names[by].push(name);
  }

  /** One line for each kind of app skipped, for the fault. */
  lines(action: string): string[] {
    return [
      ...(this.names.delete.length > 0 ? [`${this.names.delete.join(', ')} not started: \`delete all\` came during the ${action}`] : []),
      ...(this.names.stop.length > 0 ? [`${this.names.stop.join(', ')} left stopped: \`stop all\` came during the ${action}`] : []),
    ];
  }
}

/**
 * The end of the deletes under way of processes named `name`, or null when none is: a start or a
 * resurrect that comes after a delete waits for it, then registers the app anew, instead of taking
 * what the delete is taking away for an app already there (and leaving nothing running).
 */
export function deletionOf(registry: Registry, name: string): Promise<unknown> | null {
  const leaving = registry.named(name).filter(beingDeleted);
  return leaving.length === 0 ? null : Promise.all(leaving.map(removal));
}

/** A delete of the process is under way. */
export const beingDeleted = (proc: SupervisedProcess): boolean => proc.lifecycle.pending?.goal === 'removed';
/** Resolves once the process is gone from the registry. */
export const removal = (proc: SupervisedProcess): Promise<void> => new Promise((resolve) => proc.once('removed', () => resolve()));

/**
 * What a start or resurrect of `name` waits for before it looks at the registry: a delete of the
 * app under way (deletionOf), or another start registering it while its listening sockets open
 * (Registry.openingOf: without the wait both took the app for a new one). Null when neither is.
 */
export function settlingOf(registry: Registry, name: string): Promise<unknown> | null {
  const opening = registry.openingOf(name);
  const deleting = deletionOf(registry, name);
  if (!opening && !deleting) return null;
  return Promise.all([opening?.catch(() => undefined), deleting]);
}
