// The agent's Unix-socket server: reads requests, checks them, runs their handler, writes one
// response each. Connections are capped and idle ones closed (connection-cap.ts); a request line
// past MAX_REQUEST_BYTES is refused and its connection closed.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync } from 'node:fs';
import type { Method, Request, Response } from '../protocol/types.js';
import { MAX_REQUEST_BYTES, readMessages, writeMessage } from '../protocol/framing.js';
import { AgentFault } from '../fault.js';
import { handlers, type AgentContext } from './handlers.js';
import { checkParams, isMethod } from './params.js';
import { ConnectionCap } from './connection-cap.js';
import { connectionCap } from './fd-limit.js';

/** Connections the socket holds at most (fewer when the descriptor limit is small). */
export const SOCKET_MAX_CONNECTIONS = 256;
/** A connection with no request in flight is closed after this long. */
export const SOCKET_IDLE_MS = 30_000;
/** Answers a peer has left unread before the next one, at most: past this it is not reading, and its connection is closed. */
const MAX_UNREAD_REPLY_BYTES = 64 * 1024 * 1024;
/**
 * Events a bus subscriber has left unread, at most: past this, events are dropped until it has
 * read them all (it is then told how many). Shared when several fall behind: MAX_UNREAD_ALL_BYTES
 * among them all, but never less than MIN_UNREAD_EVENT_BYTES each.
 */
const MAX_UNREAD_EVENT_BYTES = 16 * 1024 * 1024;
const MAX_UNREAD_ALL_BYTES = 64 * 1024 * 1024;
const MIN_UNREAD_EVENT_BYTES = 1024 * 1024;
/** At most one line in the agent log a minute about subscribers that fell behind. */
const DROP_LOG_EVERY_MS = 60_000;
let lastDropLog = 0;
/**
 * After refusing a message that is too long, the agent goes on reading (and dropping) what the
 * peer still sends, for at most this long or this many bytes, before it closes: closed at once,
 * a peer still writing meets EPIPE and may drop the refusal unread (a lingering close, as HTTP
 * servers do after an error).
 */
const LINGER_MS = 2000;
// a peer writes on into buffers it filled before the refusal came: 1 MB was met in a few ms, and a
// client whose next write met EPIPE was torn down (by Node) before it had read the refusal
const LINGER_BYTES = MAX_REQUEST_BYTES;

/** Listens on `socketPath` (mode 0600); `afterKill` runs once the reply to `kill` is written. */
export function listen(socketPath: string, ctx: AgentContext, afterKill: () => void): Promise<Server> {
  const cap = new ConnectionCap({ surface: 'agent socket', max: connectionCap(SOCKET_MAX_CONNECTIONS, 1 / 8), idleMs: SOCKET_IDLE_MS }, ctx.log);
  // a quarter of the connections at most: the rest stay for commands, even under a flood of idle ones
  ctx.events.limit = Math.max(1, Math.floor(cap.policy.max / 4));
  const subscribed = new WeakSet<Socket>();
  const server = createServer((socket) => {
    cap.admit(socket);
    if (!socket.destroyed) serve(socket, ctx, cap, afterKill, subscribed);
  });
  server.once('close', () => cap.closeAll());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // the socket is created with the umask in force: make it private from the first instant
    const umask = process.umask(0o177);
    server.listen(socketPath, () => {
      process.umask(umask);
      chmodSync(socketPath, 0o600);
      server.off('error', reject);
      resolve(server);
    });
  });
}

function serve(socket: Socket, ctx: AgentContext, cap: ConnectionCap, afterKill: () => void, subscribed: WeakSet<Socket>): void {
  socket.on('error', () => socket.destroy());
  readMessages(
    socket,
    (message) => {
      cap.busy(socket);
      void answer(message, ctx).then(({ method, response }) => {
        cap.done(socket);
        if (method === 'kill' && response.ok) socket.end(JSON.stringify(response) + '\n', afterKill);
        else if (socket.writableLength > MAX_UNREAD_REPLY_BYTES) socket.destroy();
        else writeMessage(socket, response);
        // one subscription a connection, whatever it asks: every event comes once
        if (method === 'subscribe' && response.ok && !socket.destroyed && !subscribed.has(socket)) {
          subscribed.add(socket);
          subscribe(socket, ctx, cap);
        }
      });
    },
    (error) => {
      if (!error.tooLong) {
        writeMessage(socket, { id: -1, ok: false, error: { code: 'INVALID_REQUEST', message: error.message } });
        return;
      }
      // the rest of the line is not read: answer, then close the connection
      const fault = { code: 'MESSAGE_TOO_LARGE', message: `request refused: longer than ${MAX_REQUEST_BYTES} bytes, the limit of one message`, data: { limit: MAX_REQUEST_BYTES } };
      socket.end(JSON.stringify({ id: -1, ok: false, error: fault }) + '\n', () => lingerThenClose(socket));
    },
    MAX_REQUEST_BYTES,
  );
}

/**
 * Pushes the bus's events on `socket` until it closes. It is never idle (events come when they
 * come). A subscriber that falls MAX_UNREAD_EVENT_BYTES behind (a log flood faster than it reads,
 * or one that stopped reading) misses the events that come until it has read what it was sent,
 * and is then told how many it missed: memory stays bounded, and nothing is lost unsaid.
 */
function subscribe(socket: Socket, ctx: AgentContext, cap: ConnectionCap): void {
  cap.busy(socket);
  let dropped = 0;
  let since = 0;
  const stop = ctx.events.subscribe((event) => {
    const allowed = Math.max(MIN_UNREAD_EVENT_BYTES, Math.min(MAX_UNREAD_EVENT_BYTES, MAX_UNREAD_ALL_BYTES / ctx.events.size));
    // written as bytes, so that what waits is counted in bytes (a string's length is in characters)
    if (dropped === 0 && socket.writableLength <= allowed) {
      if (!socket.destroyed && socket.writable) socket.write(Buffer.from(JSON.stringify(event) + '\n'));
      return;
    }
    if (dropped === 0) {
      since = Date.now();
      socket.once('drain', () => {
        writeMessage(socket, { event: 'pmx:dropped', data: { count: dropped, since, at: Date.now() } });
        dropped = 0;
      });
      if (since - lastDropLog >= DROP_LOG_EVERY_MS) {
        lastDropLog = since;
        ctx.log(`a bus subscriber fell ${Math.round(allowed / 1024 / 1024)} MB behind: its events are dropped until it catches up (it is told how many)`);
      }
    }
    // what the bus hands out: one packet a line
    const lines = (event.data as { lines?: unknown } | null)?.lines;
    dropped += Array.isArray(lines) ? lines.length : 1;
  });
  socket.once('close', stop);
}

/** Drops what the peer still sends for a while (it then reads the refusal), and closes. */
function lingerThenClose(socket: Socket): void {
  let dropped = 0;
  const close = (): void => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  socket.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > LINGER_BYTES) close();
  });
  socket.once('close', () => clearTimeout(timer));
}

/** Methods that start processes or record the list: refused while the agent is ending. */
const STARTING_METHODS: ReadonlySet<Method> = new Set<Method>(['start', 'restart', 'reload', 'scale', 'resurrect', 'save']);

/** The response to one message, with the method it named when that is one of ours. */
async function answer(message: unknown, ctx: AgentContext): Promise<{ method: Method | null; response: Response }> {
  const request = (message !== null && typeof message === 'object' && !Array.isArray(message) ? message : {}) as Partial<Request>;
  const id = typeof request.id === 'number' ? request.id : -1;
  const method: unknown = request.method;
  if (!isMethod(method)) {
    const shown = message === request ? (method === undefined ? 'none' : JSON.stringify(method).slice(0, 100)) : 'none: a request is a JSON object';
    return { method: null, response: { id, ok: false, error: { code: 'INVALID_REQUEST', message: `unknown method ${shown}` } } };
  }
  try {
    const params = checkParams(method, request.params);
    // an agent on its way out starts nothing and records nothing: it would stop or lose it a moment later
    if (STARTING_METHODS.has(method) && ctx.stopping?.()) {
      throw new AgentFault(`the agent (pid ${process.pid}) is stopping every process to end: ${method} refused`, { code: 'AGENT_STOPPING', data: { method } });
    }
    const handler = handlers[method] as (params: unknown, ctx: AgentContext) => unknown;
    const result = await handler(params, ctx);
    // what the answer says is true, and in the state file, before the caller reads it
    ctx.beforeAnswer?.();
    return { method, response: { id, ok: true, result } };
  } catch (error) {
    ctx.beforeAnswer?.();
    if (error instanceof AgentFault) return { method, response: { id, ok: false, error: error.toWire() } };
    ctx.log(`internal error in ${method}: ${(error as Error).stack ?? String(error)}`);
    return { method, response: { id, ok: false, error: { code: 'INTERNAL', message: (error as Error).message } } };
  }
}
