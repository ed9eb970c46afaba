// A bound on the connections one listener holds, so that another local user cannot spend the
// agent's file descriptors: past the cap the connection idle the longest is closed to make room
// (a flood of idle connections never locks out the CLI or a browser), and a connection with no
// request in flight is closed once it has been idle for `idleMs` (slow or silent peers included).
import type { Socket } from 'node:net';

/** How one surface (the agent socket, a dashboard, the metrics endpoint) bounds its connections. */
export interface CapPolicy {
  /** Named in the agent log: "agent socket", "dashboard 127.0.0.1:9615", ... */
  surface: string;
  max: number;
  idleMs: number;
}

interface Tracked {
  /** Requests being answered on this connection. */
  inFlight: number;
  /** Set while the connection is idle: it closes it when it fires. */
  timer: NodeJS.Timeout | null;
}

/** At most one "closing connections" line per surface this often. */
const LOG_EVERY_MS = 60_000;

/** The connections of one listener; `admit` each new one, `busy`/`done` around each request. */
export class ConnectionCap {
  /** In arrival order; an idle connection is moved to the end when it becomes idle. */
  private readonly open = new Map<Socket, Tracked>();
  private lastLog = 0;

  constructor(
    readonly policy: CapPolicy,
    private readonly log: (line: string) => void,
  ) {}

  /** Tracks `socket`; beyond the cap, closes the longest idle connection, or this one when none is idle. */
  admit(socket: Socket): void {
    if (this.open.size >= this.policy.max) {
      const idle = this.longestIdle();
      this.report();
      if (!idle) {
        socket.destroy();
        return;
      }
      idle.destroy();
      this.forget(idle);
    }
    const tracked: Tracked = { inFlight: 0, timer: null };
    this.open.set(socket, tracked);
    this.startIdle(socket, tracked);
    socket.once('close', () => this.forget(socket));
  }

  /** A request arrived on `socket`: it is not idle until `done`. */
  busy(socket: Socket): void {
    const tracked = this.open.get(socket);
    if (!tracked) return;
    tracked.inFlight++;
    if (tracked.timer) clearTimeout(tracked.timer);
    tracked.timer = null;
  }

  /** A request on `socket` was answered; with none left, its idle time starts. */
  done(socket: Socket): void {
    const tracked = this.open.get(socket);
    if (!tracked || --tracked.inFlight > 0) return;
    tracked.inFlight = 0;
    this.open.delete(socket);
    this.open.set(socket, tracked); // idle since now: the last to be evicted
    this.startIdle(socket, tracked);
  }

  /** Connections held now. */
  get size(): number {
    return this.open.size;
  }

  /** Closes every connection (the listener is closing). */
  closeAll(): void {
    for (const socket of [...this.open.keys()]) socket.destroy();
  }

  private startIdle(socket: Socket, tracked: Tracked): void {
    tracked.timer = setTimeout(() => socket.destroy(), this.policy.idleMs);
    tracked.timer.unref();
  }

  private longestIdle(): Socket | null {
    for (const [socket, tracked] of this.open) if (tracked.inFlight === 0) return socket;
    return null;
  }

  private forget(socket: Socket): void {
    const tracked = this.open.get(socket);
    if (!tracked) return;
    if (tracked.timer) clearTimeout(tracked.timer);
    this.open.delete(socket);
  }

  private report(): void {
    const now = Date.now();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.lastLog = now;
    this.log(`${this.policy.surface}: ${this.policy.max} connections open (its cap); closing the longest idle ones to admit new ones`);
  }
}
