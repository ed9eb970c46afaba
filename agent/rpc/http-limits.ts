// The same bounds for the agent's HTTP listeners (dashboards, the metrics endpoint), which any
// local user can connect to: a cap on connections and on the requests of each, and time limits on
// idle, slow and kept-alive ones.
import type { Server } from 'node:http';
import { isIP } from 'node:net';
import { ConnectionCap } from './connection-cap.js';
import { connectionCap } from './fd-limit.js';

/** A connection that has sent no complete request yet, or none for this long, is closed. */
export const HTTP_IDLE_MS = 10_000;
/** The request's headers must arrive within this. */
export const HTTP_HEADERS_MS = 10_000;
/** The whole request, body included, must arrive within this. */
export const HTTP_REQUEST_MS = 30_000;
/** An idle kept-alive connection is closed after this (Node's default). */
export const HTTP_KEEP_ALIVE_MS = 5_000;
/**
 * Requests one connection may send: the last answer says `Connection: close`, and a request
 * pipelined past it is answered 503 and its connection closed. A client that sends thousands of
 * requests at once and reads none would otherwise have the agent make and hold every answer.
 */
export const HTTP_MAX_REQUESTS_PER_SOCKET = 100;
/** A connection on which nothing moves for this long (a client that stopped reading its answer) is closed; event streams send every 15 s. */
export const HTTP_STALLED_MS = 60_000;

/** Caps `server`'s connections at `preferred` (or `share` of the descriptor limit) and sets its time limits. */
export function limitHttpServer(server: Server, surface: string, preferred: number, share: number, log: (line: string) => void): ConnectionCap {
  const cap = new ConnectionCap({ surface, max: connectionCap(preferred, share), idleMs: HTTP_IDLE_MS }, log);
  server.headersTimeout = HTTP_HEADERS_MS;
  server.requestTimeout = HTTP_REQUEST_MS;
  server.keepAliveTimeout = HTTP_KEEP_ALIVE_MS;
  server.timeout = HTTP_STALLED_MS;
  server.maxRequestsPerSocket = HTTP_MAX_REQUESTS_PER_SOCKET;
  // past it, what the connection pipelined more is dropped with it, unparsed and unanswered
  server.on('dropRequest', (_request, socket) => socket.destroy());
  server.on('connection', (socket) => cap.admit(socket));
  server.on('request', (request, response) => {
    cap.busy(request.socket);
    response.once('close', () => cap.done(request.socket));
  });
  server.once('close', () => cap.closeAll());
  return cap;
}

/**
 * Whether a request to a listener bound to `boundHost` names a host a rebinding page could not:
 * on loopback, the Host must be an address or `localhost`. A web page whose own name was made to
 * resolve to 127.0.0.1 (DNS rebinding) sends its name, and would otherwise read the answer.
 */
export function hostAllowed(hostHeader: string | undefined, boundHost: string): boolean {
  if (!/^(?:127\.\d+\.\d+\.\d+|::1|localhost)$/i.test(boundHost)) return true;
  if (!hostHeader) return false;
  const name = (/^\[([^\]]*)\](?::\d*)?$/.exec(hostHeader)?.[1] ?? hostHeader.replace(/:\d*$/, '')).toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || isIP(name) !== 0;
}
