// The process list, sent to every open page once a second for the table and its charts: one timer
// for all pages, running only while one is open.
import type { EventStream } from './event-stream.js';
import type { DashboardProcess } from './process-view.js';

/** One sample of the list, as the 'list' event carries it. */
export interface ListSample {
  /** ms since epoch when the list was taken. */
  at: number;
  processes: DashboardProcess[];
}

/** Sends the list to the open pages' event streams. */
export class ListFeed {
  private readonly streams = new Set<EventStream>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly snapshot: () => DashboardProcess[],
    private readonly intervalMs: number,
  ) {}

  /** Sends the list to `stream` now and at every tick until it closes. */
  add(stream: EventStream): void {
    this.streams.add(stream);
    stream.send('list', this.sample());
    stream.onClose(() => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stop();
    });
    if (!this.timer) {
      this.timer = setInterval(() => this.broadcast(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Stops the timer once no page is open. */
  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private broadcast(): void {
    const sample = this.sample();
    for (const stream of this.streams) stream.send('list', sample);
  }

  private sample(): ListSample {
    return { at: Date.now(), processes: this.snapshot() };
  }
}
