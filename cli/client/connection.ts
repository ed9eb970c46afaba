// A connection to the local agent: one request at a time in flight per id, answers matched by id;
// once subscribed, it also carries the agent's events (lines with no id).
import { connect, type Socket } from 'node:net';
import type { Method, Methods, Response } from '../../agent/protocol/types.js';
import { readMessages, writeMessage } from '../../agent/protocol/framing.js';
import { CliError } from './errors.js';

/** An open connection to an agent socket. */
export class AgentConnection {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private closedError: Error | null = null;
  private eventListener: ((event: string, data: unknown) => void) | null = null;
  /** The pid the agent gave in its answer to hello, once it has. */
  agentPid: number | null = null;

  private constructor(private readonly socket: Socket, readonly socketPath: string) {
    readMessages(
      socket,
      (message) => this.receive(message as Response),
      (error) => this.failAll(new CliError(`bad reply from the agent: ${error.message}`, { code: 'INTERNAL' })),
    );
    // `closed`: a request it was sent may have been carried out in part (unanswered.ts)
    socket.on('close', () => this.failAll(new CliError(`the agent closed the connection (${socketPath})`, { code: 'AGENT_UNREACHABLE', data: { closed: true } })));
    // a reset (the agent died with a request unread) is a close too: what was sent may have been carried out in part
    socket.on('error', (error: NodeJS.ErrnoException) => this.failAll(new CliError(`agent connection failed: ${error.message}`, { code: 'AGENT_UNREACHABLE', data: { closed: error.code === 'ECONNRESET' || error.code === 'EPIPE' } })));
  }

  /** Connects to `socketPath`; rejects with the socket error (ENOENT, ECONNREFUSED, ...). */
  static open(socketPath: string, timeoutMs: number): Promise<AgentConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(new Error(`connect to ${socketPath} timed out`), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new AgentConnection(socket, socketPath));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Sends one request; `timeoutMs` bounds the wait for its answer (none by default). */
  call<M extends Method>(method: M, params: Methods[M]['params'], timeoutMs = 0): Promise<Methods[M]['result']> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new CliError(`the agent did not answer '${method}' within ${timeoutMs / 1000} s (${this.socketPath})`, { code: 'AGENT_UNREACHABLE', hint: "check 'pmx ping', or end the agent's process and run the command again" }));
        }, timeoutMs);
      }
      this.pending.set(id, {
        resolve: (value) => {
          if (timer) clearTimeout(timer);
          resolve(value as Methods[M]['result']);
        },
        reject: (error) => {
          if (timer) clearTimeout(timer);
          reject(error);
        },
      });
      writeMessage(this.socket, { id, method, params });
    });
  }

  /** Subscribes this connection to the agent's events: `listener` gets each one from the answer on. */
  async subscribe(listener: (event: string, data: unknown) => void): Promise<void> {
    this.eventListener = listener;
    await this.call('subscribe', {});
  }

  /** False once the agent has ended the connection (its end read, even if the close is still to come). */
  get open(): boolean {
    return this.closedError === null && !this.socket.destroyed && !this.socket.readableEnded;
  }

  /** Calls `listener` once the agent has closed the connection. */
  onClose(listener: () => void): void {
    if (this.socket.destroyed) listener();
    else this.socket.once('close', listener);
  }

  close(): void {
    this.closedError ??= new CliError('connection closed', { code: 'AGENT_UNREACHABLE' });
    this.socket.destroy();
  }

  private receive(response: Response | { event: string; data: unknown }): void {
    if (!('id' in response)) {
      if (typeof response.event === 'string') this.eventListener?.(response.event, response.data);
      return;
    }
    // a fault the agent could not tie to a request (a line too long, not JSON) fails every request
    if (response.id === -1 && !response.ok) return this.failAll(CliError.fromFault(response.error));
    const waiter = this.pending.get(response.id);
    if (!waiter) return;
    this.pending.delete(response.id);
    if (response.ok) waiter.resolve(response.result);
    else waiter.reject(CliError.fromFault(response.error));
  }

  private failAll(error: Error): void {
    this.closedError ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
