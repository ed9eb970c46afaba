// Named pipes (FIFOs) under PMX_HOME/pipes that carry fork-mode apps' stdout and stderr, and a
// Node app's metrics (its samples, which the hang watch reads, and what it sends with
// process.send). Node's stdio pipes are socketpairs, dead for good once the agent dies; a FIFO can
// be opened again by the next agent, which so keeps an adopted app's logs and metrics flowing.
//
// The app's end is opened read-write: the app itself then counts as a reader, so while no agent
// runs its writes wait in the pipe (64 KB) instead of failing with EPIPE (which kills most apps).
// The agent reads its own non-blocking end as a net.Socket: no thread pool, and the end of file
// once the app and every descendant holding the pipe are gone.
//
// Node cannot make a FIFO (there is no mkfifo()), so `mkfifo` makes them in batches, ahead of
// need; a FIFO whose readers have seen its end is clean and is used again, by this agent or the next.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, realpathSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { systemTool } from '../protocol/system-tool.js';

/** The FIFOs of one launch; `metrics` for a Node app with the metrics preload. */
export interface OutputPipePaths {
  out: string;
  err: string;
  metrics?: string;
}

/** A launch's FIFOs opened: `write` for the child's stdio (closed once it is spawned), `read` for the agent. */
export interface OpenedPipes {
  paths: OutputPipePaths;
  write: { out: number; err: number; metrics?: number };
  read: { out: Socket; err: Socket; metrics?: Socket };
}

/** Made in one `mkfifo` each time the free ones run low; doubled (up to MAX_BATCH) each time a launch had to wait for them. */
const BATCH = 32;
const MAX_BATCH = 1024;
const LOW_WATER = 8;
/** FIFOs one background `mkfifo` of a reservation makes: several run at once, beside the agent. */
const RESERVE_CHUNK = 256;

/** The FIFOs of one agent: free ones, and those carrying a process's output. */
export class OutputPipes {
  private readonly free: string[] = [];
  private next = 0;
  /** FIFOs that background `mkfifo`s are making now. */
  private pending = 0;
  /** FIFOs reserved and not yet asked of a `mkfifo`. */
  private wanted = 0;
  /** Told each time a background `mkfifo` ends. */
  private readonly waiters: (() => void)[] = [];
  /** How many the next `mkfifo` makes: a start of 1,000 apps needs 2,000, not 63 runs of it. */
  private batch = BATCH;

  constructor(private readonly dir: string) {}

  /**
   * Takes stock of the directory: FIFOs named in `inUse` stay with their adopted processes, and
   * one that any process still holds open (what an app left running: a daemon it forked, which
   * would write into the next app's log) is not used again; the rest are free. With `inUse` null
   * (what runs is not known) none is used again.
   */
  load(inUse: ReadonlySet<string> | null): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const held = inUse === null ? new Set<string>() : heldOpen(this.dir);
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      const number = Number(name);
      if (Number.isInteger(number)) this.next = Math.max(this.next, number + 1);
      if (inUse === null || inUse.has(path) || held.has(name)) continue;
      if (Number.isInteger(number) && isFifo(path)) this.free.push(path);
      else removeQuietly(path);
    }
  }

  /** Makes FIFOs in the background until a few are free (once the agent is up, off the start path). */
  prefill(): void {
    if (this.pending > 0 || this.free.length >= LOW_WATER) return;
    this.makeLater(this.batch);
  }

  /**
   * Makes FIFOs in the background until `count` are free or being made: a start that knows what
   * its launches need has `mkfifo` run beside its spawns (file creation is slow on some disks:
   * 0.4 ms a FIFO on a VM's ext4) instead of blocking the agent in a synchronous one.
   */
  reserve(count: number): void {
    this.wanted = Math.max(this.wanted, count - this.free.length - this.pending);
    if (this.pending === 0) this.makeWanted();
  }

  /** One `mkfifo` at a time (several at once contend for the directory), each the next chunk of what is wanted. */
  private makeWanted(): void {
    if (this.wanted <= 0) return;
    const count = Math.min(this.wanted, RESERVE_CHUNK);
    this.wanted -= count;
    this.makeLater(count);
  }

  /** Resolves once `count` FIFOs are free, or no more are being made. */
  async ready(count: number): Promise<void> {
    while (this.free.length < count && this.pending > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private makeLater(count: number): void {
    const names = this.names(count);
    this.pending += count;
    const child = spawn(systemTool('mkfifo'), ['-m', '600', ...names], { stdio: 'ignore' });
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.pending -= count;
      this.free.push(...names.filter(isFifo));
      this.makeWanted();
      for (const told of this.waiters.splice(0)) told();
    };
    child.once('error', end);
    child.once('exit', end);
  }

  /** Opens two free FIFOs for a launch, three with `metrics` (making some at once when too few are free). */
  open(metrics: boolean): OpenedPipes {
    const count = metrics ? 3 : 2;
    if (this.free.length < count) this.makeNow(count);
    const paths: OutputPipePaths = { out: this.free.pop()!, err: this.free.pop()!, ...(metrics ? { metrics: this.free.pop()! } : {}) };
    this.prefill();
    const write = { out: openSync(paths.out, constants.O_RDWR), err: openSync(paths.err, constants.O_RDWR), ...(paths.metrics ? { metrics: openSync(paths.metrics, constants.O_RDWR) } : {}) };
    return { paths, write, read: { out: this.reader(paths.out), err: this.reader(paths.err), ...(paths.metrics ? { metrics: this.reader(paths.metrics) } : {}) } };
  }

  /** Opens the agent's end of a FIFO that a running (adopted) process writes to. */
  reader(path: string): Socket {
    const socket = new Socket({ fd: openSync(path, constants.O_RDONLY | constants.O_NONBLOCK), readable: true, writable: false });
    // at its end no process writes to it any more: it is clean, and free again
    socket.once('end', () => this.free.push(path));
    socket.on('error', () => undefined);
    return socket;
  }

  /** Takes back the FIFOs of a launch that failed before a child had them: nothing was written, they are clean. */
  giveBack(pipes: OpenedPipes): void {
    for (const reader of [pipes.read.out, pipes.read.err, pipes.read.metrics]) {
      reader?.removeAllListeners('end');
      reader?.destroy();
    }
    this.free.push(...pathsOf(pipes.paths));
  }

  /** Closes the child's ends once it has them (or could not be started). */
  static closeWriteEnds(pipes: OpenedPipes): void {
    closeSync(pipes.write.out);
    closeSync(pipes.write.err);
    if (pipes.write.metrics !== undefined) closeSync(pipes.write.metrics);
  }

  private makeNow(needed: number): void {
    const names = this.names(this.batch);
    this.batch = Math.min(this.batch * 2, MAX_BATCH);
    const result = spawnSync(systemTool('mkfifo'), ['-m', '600', ...names], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (result.error) throw new Error(`cannot make the output pipes in ${this.dir}: ${result.error.message} (pmx needs mkfifo)`);
    this.free.push(...names.filter(isFifo));
    if (this.free.length < needed) throw new Error(`cannot make the output pipes in ${this.dir}: ${result.stderr.toString().trim()}`);
  }

  private names(count: number): string[] {
    const names: string[] = [];
    for (let i = 0; i < count; i++) names.push(join(this.dir, String(this.next++)));
    return names;
  }
}

/** The names of the files in `dir` that a process holds open, from /proc (processes not ours to read hold none of our 0700 home's). */
function heldOpen(dir: string): Set<string> {
  const held = new Set<string>();
  // /proc names the file by its real path
  const prefix = `${realpathSync(dir)}/`;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (target.startsWith(prefix)) held.add(target.slice(prefix.length));
      } catch {
        // closed meanwhile
      }
    }
  }
  return held;
}

/** Every FIFO of a launch. */
export function pathsOf(paths: OutputPipePaths): string[] {
  return [paths.out, paths.err, ...(paths.metrics ? [paths.metrics] : [])];
}

function isFifo(path: string): boolean {
  try {
    return lstatSync(path).isFIFO();
  } catch {
    return false;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or a directory someone put here: left alone
  }
}
