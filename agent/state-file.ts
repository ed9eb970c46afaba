// agent.state: what the agent supervises, so that an agent started after this one died (SIGKILL,
// OOM) knows what it ran. Rewritten whole (temp file, rename): always before the apps started in
// a turn of the loop may run, at the end of a turn in which a process was removed, and otherwise at
// most every THROTTLE_MS (with 1,000 apps the file is a megabyte, and a start of all of them is
// hundreds of turns). A change not yet written is one the next agent handles right anyway: a
// process found launching is taken as online, one found stopping is stopped. Not fsynced: it must
// outlive the agent, not the machine; after a reboot none of its processes runs, and the boot id
// it carries says so.
//
// A full disk must not cost the record of a stop, a delete or a restart: the file is padded with
// spaces (JSON allows them) to leave room to grow, and beside it lies a spare of at least its size,
// written while there was space. When a new file cannot be written, the state is written over the
// spare's bytes (which needs no new space on the filesystems that overwrite in place: ext4, xfs,
// tmpfs; not btrfs or zfs) and the spare takes the file's name by rename, still atomically; the old
// file becomes the spare. Only a state that outgrew the room (new apps) is then refused.
import { closeSync, existsSync, fstatSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import type { AppSpec } from './protocol/app-spec.js';
import { jsonProblem } from './dump.js';
import type { Registry } from './registry.js';
import type { SupervisedProcess } from './process/supervised.js';
import type { Lifecycle } from './process/transition.js';
import { ProcessState, type ProcessStatus } from './process/states.js';
import type { OutputPipePaths } from './process/output-pipes.js';

export const STATE_FORMAT = 1;

/** Statuses in which a process runs nothing and starts nothing by itself. */
const IDLE: ReadonlySet<ProcessStatus> = new Set([ProcessState.STOPPED, ProcessState.ERRORED]);

/** The longest a change waits to be written, unless something forces it sooner. */
const THROTTLE_MS = 50;
/** How soon a write that failed is tried again. */
const RETRY_MS = 1000;

/** The size a state of `length` bytes is written to: room for restarts, stops and a new app or two. */
export function paddedSize(length: number): number {
  return Math.ceil((length + Math.max(8192, length / 16)) / 4096) * 4096;
}

/** One supervised process as the state file records it. */
export interface SavedProcess {
  id: number;
  instance: number;
  spec: AppSpec;
  lifecycle: Lifecycle;
  error: string | null;
  /**
   * The running child: pid and start time since boot (together they name it), its output pipes,
   * and its launch's marker (what it started carries it: found and stopped if the child dies while
   * no agent watches; absent in files of older agents).
   */
  child: { pid: number; startTicks: number; pipes: OutputPipePaths | null; launch?: string | null; notify?: string | null; stopping?: boolean } | null;
  /** A reload's replacement or retiring child, if one ran. */
  others?: { pid: number; startTicks: number; launch?: string | null }[];
  /** Registered by a start that had not asked it yet: the next agent starts it. */
  owed?: 'start';
  /** PM2's unique_id (absent in files of older agents, whose ids were made from namespace, name and id). */
  unique_id?: string;
}

export interface SavedState {
  pmx_state: number;
  agent_pid: number;
  /** /proc/sys/kernel/random/boot_id when written: pids of another boot name nothing of ours. */
  boot_id: string;
  processes: SavedProcess[];
  /**
   * The agent was stopping every process (`pmx kill`, `pmx update`, a service stop) when it wrote
   * this: its stops were the shutdown's, not the user's, and what it left is for the next agent to
   * stop, not to keep at rest as stopped by a command.
   */
  shutting_down?: true;
}

/** Keeps the state file in line with the registry. */
export class StateFile {
  private pending = false;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private retry: NodeJS.Timeout | null = null;
  /** Since when writes fail (ISO time), or null. */
  private failing: string | null = null;
  /** Each spec's JSON, made once: specs change rarely, states often. */
  private readonly specJson = new WeakMap<AppSpec, string>();
  private readonly boot = bootId();
  /** Processes not yet recorded when a write failed: kept from running (os.ts), so left out while idle. */
  private readonly refused = new WeakSet<SupervisedProcess>();
  private readonly spare: string;
  /** The spare's size, 0 when there is none. */
  private spareSize: number;
  /** Set by markShuttingDown: every state written from then on says so. */
  private shuttingDown = false;

  constructor(
    private readonly path: string,
    private readonly registry: Registry,
    private readonly log: (line: string) => void,
  ) {
    this.spare = `${path}.spare`;
    this.spareSize = settleSpare(path);
    const follow = (proc: SupervisedProcess): void => {
      const changed = (): void => this.schedule();
      proc.on('status', changed);
      proc.on('child', changed);
      // a reset of the counters, new options for an app at rest: lost to the next agent, were they not written
      proc.on('changed', changed);
      // a removed process must not come back after a crash: written at the end of this turn
      proc.once('removed', () => this.schedule(true));
      this.schedule();
    };
    // what the registry holds now was taken over from the state file a dead agent left
    for (const proc of registry.all()) (proc.recorded = true), follow(proc);
    registry.added.add(follow);
  }

  /** The agent stops every process to end: recorded now, before the first stop, and in every state written after. */
  markShuttingDown(): void {
    this.shuttingDown = true;
    this.pending = true;
    // a write that fails is logged and tried again by flush itself, as any other
    this.flush();
  }

  /** Writes the state soon: within THROTTLE_MS, or at the end of this turn when `urgent`. */
  schedule(urgent = false): void {
    this.pending = true;
    if (urgent) this.immediate ??= setImmediate(() => this.flush());
    else this.timer ??= setTimeout(() => this.flush(), THROTTLE_MS);
  }

  /** Writes the state now if a change is waiting; the write's error (named after the file), or null. */
  flush(): Error | null {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    if (!this.pending) return null;
    this.pending = false;
    const all = this.registry.all();
    // an app refused because it could not be recorded never ran: it takes no room in the file
    const kept = all.filter((proc) => !this.refused.has(proc) || proc.recorded || !IDLE.has(proc.status) || proc.running.current !== null);
    const processes = kept.map((proc) => this.entry(proc));
    const head = JSON.stringify({ pmx_state: STATE_FORMAT, agent_pid: process.pid, boot_id: this.boot, ...(this.shuttingDown ? { shutting_down: true } : {}) });
    const text = `${head.slice(0, -1)},"processes":[${processes.join(',')}]}\n`;
    const bytes = Buffer.from(text);
    const temp = `${this.path}.tmp`;
    try {
      const size = paddedSize(bytes.length);
      writePadded(temp, bytes, size);
      renameSync(temp, this.path);
      this.keepSpare(size);
    } catch (error) {
      rmSync(temp, { force: true });
      if (this.overSpare(bytes)) return this.written(kept);
      // tried again each second until it is written (space comes back); until then an app no state file named is not let run (os.ts)
      this.pending = true;
      this.retry ??= setTimeout(() => ((this.retry = null), this.schedule()), RETRY_MS);
      const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (this.failing === null) {
        this.failing = new Date().toISOString();
        this.log(`cannot write ${this.path}: ${(error as Error).message}; an agent started after this one dies would not know the processes started or restarted since`);
      }
      for (const proc of all) if (!proc.recorded) this.refused.add(proc);
      for (const proc of all) proc.stateError = `the agent cannot write ${this.path} (${why}) since ${this.failing}`;
      return new Error(`the agent cannot record it in ${this.path} (${why})`);
    }
    return this.written(kept);
  }

  private written(kept: SupervisedProcess[]): null {
    if (this.failing) this.log(`${this.path} written again (it could not be since ${this.failing})`);
    this.failing = null;
    for (const proc of kept) proc.recorded = true;
    for (const proc of this.registry.all()) proc.stateError = null;
    return null;
  }

  /**
   * Makes the spare at least `size` bytes while there is space (half as big again, so that a state
   * that grows, as during a start of 1,000 apps, remakes it a dozen times, not at every write); a
   * smaller one stays if it cannot grow.
   */
  private keepSpare(size: number): void {
    if (this.spareSize >= size) return;
    const grown = Math.ceil((size * 1.5) / 4096) * 4096;
    const temp = `${this.spare}.tmp`;
    try {
      writePadded(temp, Buffer.alloc(0), grown);
      renameSync(temp, this.spare);
      this.spareSize = grown;
    } catch {
      rmSync(temp, { force: true });
    }
  }

  /**
   * Writes `bytes` over the spare's and renames it over the file; the old file becomes the spare.
   * False when there is no spare, it is too small, or a step fails (the file is then as it was).
   */
  private overSpare(bytes: Buffer): boolean {
    if (bytes.length > this.spareSize) return false;
    const previous = `${this.path}.previous`;
    try {
      const fd = openSync(this.spare, 'r+');
      try {
        writeAllAt(fd, bytes, 0);
        writeSpaces(fd, bytes.length, this.spareSize);
      } finally {
        closeSync(fd);
      }
      // the old file keeps its blocks under a second name, then the spare takes the file's name
      const hadFile = existsSync(this.path);
      if (hadFile) linkSync(this.path, previous);
      renameSync(this.spare, this.path);
      if (hadFile) {
        renameSync(previous, this.spare);
        this.spareSize = statSync(this.spare).size;
      } else this.spareSize = 0;
      return true;
    } catch {
      rmSync(previous, { force: true });
      return false;
    }
  }

  /** Removes the file and its spare: the agent stopped every process and ends cleanly. */
  remove(): void {
    this.pending = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.retry) clearTimeout(this.retry);
    for (const path of [this.path, this.spare]) {
      try {
        unlinkSync(path);
      } catch {
        // never written
      }
    }
  }

  private entry(proc: SupervisedProcess): string {
    let spec = this.specJson.get(proc.spec);
    if (spec === undefined) {
      spec = JSON.stringify(proc.spec);
      this.specJson.set(proc.spec, spec);
    }
    const { current, others } = proc.running;
    const child = current ? { pid: current.identity.pid, startTicks: current.identity.startTicks, pipes: current.pipes, launch: current.launch, notify: current.notify, ...(current.stopping ? { stopping: true } : {}) } : null;
    const rest = JSON.stringify({ id: proc.id, instance: proc.instance, lifecycle: proc.lifecycle, error: proc.error, child, others, unique_id: proc.uniqueId, ...(proc.startOwed ? { owed: 'start' } : {}) });
    return `{"spec":${spec},${rest.slice(1)}`;
  }
}

/** The state an agent left, or null when there is none; throws when the file cannot be read or parsed. */
export function readState(path: string): SavedState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let state: SavedState;
  try {
    state = JSON.parse(text) as SavedState;
  } catch (error) {
    throw new Error(jsonProblem(error, text));
  }
  if (state?.pmx_state !== STATE_FORMAT || !Array.isArray(state.processes)) throw new Error(`not a pmx state file of format ${STATE_FORMAT}`);
  return state;
}

/** Writes `bytes` then spaces up to `size` bytes into a new file at `path` (0600). */
function writePadded(path: string, bytes: Buffer, size: number): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    writeAllAt(fd, bytes, 0);
    writeSpaces(fd, bytes.length, size);
  } finally {
    closeSync(fd);
  }
}

function writeAllAt(fd: number, bytes: Buffer, at: number): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done, at + done);
}

/** Spaces written in pieces of this: one buffer for every write, whatever the size. */
const SPACES = Buffer.alloc(64 * 1024, ' ');

function writeSpaces(fd: number, from: number, to: number): void {
  for (let at = from; at < to; ) at += writeSync(fd, SPACES, 0, Math.min(SPACES.length, to - at), at);
}

/**
 * Finishes a swap that an agent's death cut short, and returns the spare's size (0 if none): the
 * old file left under `.previous` becomes the spare unless one is there.
 */
function settleSpare(path: string): number {
  const spare = `${path}.spare`;
  const previous = `${path}.previous`;
  try {
    if (existsSync(previous)) {
      if (existsSync(spare)) unlinkSync(previous);
      else renameSync(previous, spare);
    }
    const fd = openSync(spare, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

/** This boot's id. */
export function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  } catch {
    return 'unknown';
  }
}
