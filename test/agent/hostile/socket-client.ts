// A raw client of the agent socket for the hostile-input tests: it sends exactly the bytes given,
// with none of the CLI's checks, and collects the JSON lines the agent answers.
import { connect, type Socket } from 'node:net';

/** An open connection to an agent socket. */
export class RawClient {
  /** The end of the stream after its last newline. */
  private partial = '';
  private readonly received: unknown[] = [];
  private readonly waiters: Array<() => void> = [];
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) if (line !== '') this.received.push(JSON.parse(line));
      for (const waiter of this.waiters.splice(0)) waiter();
    });
    socket.on('error', () => undefined); // a refused write after the agent closed: seen as `closed`
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.closed.then(() => {
      for (const waiter of this.waiters.splice(0)) waiter();
    });
  }

  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** The parsed lines received so far. */
  replies(): unknown[] {
    return this.received;
  }

  /** Resolves with the reply whose id is `id` (or the first one with id -1 when `id` is -1). */
  async reply(id: number): Promise<Reply> {
    for (;;) {
      const found = this.replies().find((reply) => (reply as Reply).id === id);
      if (found) return found as Reply;
      if (this.socket.destroyed) throw new Error(`the connection closed before a reply to ${id}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Sends one line (a message is JSON-encoded; a string is sent as it is). */
  send(message: unknown): void {
    this.socket.write((typeof message === 'string' ? message : JSON.stringify(message)) + '\n');
  }

  /** Sends one request and waits for its reply. */
  async call(id: number, method: unknown, params?: unknown): Promise<Reply> {
    this.send(params === undefined ? { id, method } : { id, method, params });
    return this.reply(id);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A reply as it travels on the socket. */
export interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: { code: string; message: string; data?: Record<string, unknown> };
}
