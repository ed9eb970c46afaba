// A process that an agent which died had started, now supervised by this one. It is not our
// child: no exit event comes from the kernel, and no IPC channel survived its agent. It stands in
// for a ChildProcess (pid, kill, 'exit') and learns of the exit from /proc (pid and start time,
// so a reused pid is never taken for it): when its output pipes reach their end, after each
// signal until it is gone, and at a periodic look over every adopted process.
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { ProcessIdentityRow, ProcessOs } from './os.js';

/** How often every adopted process is looked at, and how often (and how long) one that was signalled is. */
const LOOK_EVERY_MS = 1000;
const SIGNALLED_LOOK_MS = 50;
const SIGNALLED_FOR_MS = 5000;
/** exitCode once gone (non-null, as a ChildProcess's is after its exit): the real one is unknown. */
const UNKNOWN_EXIT_CODE = -1;

/** One adopted process. */
export class AdoptedChild extends EventEmitter {
  readonly pid: number;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  /** No IPC channel survives its agent: `shutdown_with_message` falls back to SIGINT. */
  readonly connected = false;
  readonly stdout = null;
  readonly stderr = null;
  private signalled: NodeJS.Timeout | null = null;

  constructor(
    private readonly identity: ProcessIdentityRow,
    private readonly os: ProcessOs,
    private readonly watch: AdoptedChildren,
    output: Readable[],
  ) {
    super();
    this.pid = identity.pid;
    for (const stream of output) stream.once('end', () => this.look());
    watch.add(this);
  }

  /** This object where a ChildProcess is expected (the members supervision uses are all here). */
  asChildProcess(): ChildProcess {
    return this as unknown as ChildProcess;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exited) return false;
    this.os.kill([this.identity], signal);
    // a signal that ends it is seen at once; one that does not (SIGUSR2) costs a few looks
    if (this.signalled) clearInterval(this.signalled);
    const until = Date.now() + SIGNALLED_FOR_MS;
    this.signalled = setInterval(() => {
      this.look();
      if (Date.now() > until && this.signalled) clearInterval(this.signalled);
    }, SIGNALLED_LOOK_MS);
    return true;
  }

  send(): boolean {
    return false;
  }

  disconnect(): void {}

  /** Emits 'exit' once the process is gone; its status went to its reaper, so the exit reports none. */
  look(): void {
    if (this.exited || this.os.alive(this.identity)) return;
    this.exitCode = UNKNOWN_EXIT_CODE;
    if (this.signalled) clearInterval(this.signalled);
    this.watch.delete(this);
    this.emit('exit', null, null);
  }

  get exited(): boolean {
    return this.exitCode !== null;
  }
}

/** The periodic look over every adopted process (one timer, however many). */
export class AdoptedChildren {
  private readonly children = new Set<AdoptedChild>();
  private timer: NodeJS.Timeout | null = null;

  add(child: AdoptedChild): void {
    this.children.add(child);
    this.timer ??= setInterval(() => {
      for (const each of [...this.children]) each.look();
    }, LOOK_EVERY_MS);
  }

  delete(child: AdoptedChild): void {
    this.children.delete(child);
    if (this.children.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = null;
  }
}
