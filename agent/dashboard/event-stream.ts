// Server-Sent Events over one HTTP response: the page's live list and a process's live log both
// arrive this way, since EventSource reconnects by itself and needs no library.
import type { ServerResponse } from 'node:http';

/** A comment line this often keeps an idle stream open through proxies. */
const KEEPALIVE_MS = 15_000;

/** One open event stream to one browser tab. */
export class EventStream {
  private readonly keepalive: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly response: ServerResponse) {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    response.flushHeaders();
    this.keepalive = setInterval(() => this.response.write(': keepalive\n\n'), KEEPALIVE_MS);
    this.keepalive.unref();
    response.once('close', () => {
      this.closed = true;
      clearInterval(this.keepalive);
    });
  }

  /** Sends one event; `data` is JSON, which never holds a raw newline, so it fits one data line. */
  send(event: string, data: unknown): void {
    if (this.closed) return;
    this.response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Runs `listener` once the browser goes away. */
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.response.once('close', listener);
  }
}
