// Loaded into every cluster worker of a Node app (`node --import`): lets the agent drain the
// worker before stopping it, so a reload never drops or resets a connection.
//
// On { pmx: 'drain' } the worker stops accepting (its servers close, the cluster primary sends
// new connections to other workers), answers every further request on a kept-alive connection
// with `Connection: close` so the client reconnects elsewhere, closes HTTP/2 sessions gracefully
// (GOAWAY: their open streams finish, new ones go elsewhere), closes connections that stay idle,
// and says { pmx: 'drained' } once its last connection has ended.
import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Http2Session } from 'node:http2';
import { Server, Socket } from 'node:net';

// as PM2 names its apps, so that `ps` and `pgrep -f 'node /path/app.js'` find them (PROCESS_TITLE
// overrides); and the app's own children (child_process.fork) start as plain node, without this file
if (process.env.pm_exec_path) process.title = process.env.PROCESS_TITLE || `node ${process.env.pm_exec_path}`;
// (found by name: the host-side bundle builds this file as CommonJS, without import.meta)
const at = process.execArgv.findIndex((arg, index) => index > 0 && process.execArgv[index - 1] === '--import' && arg.endsWith('/cluster-preload.js'));
if (at > 0) process.execArgv.splice(at - 1, 2);

/** An idle kept-alive connection is closed after this long once draining has begun. */
const IDLE_CLOSE_MS = 1000;

const servers = new Set<Server>();
const listen = Server.prototype.listen;
// every listening server of the app, HTTP or not, is closed when draining starts
Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  servers.add(this);
  this.once('close', () => servers.delete(this));
  // every accepted connection counts, even before its first request arrives; tracked before the
  // server's own listener runs, as an HTTP/2 server makes its session there
  this.prependListener('connection', (socket: Socket) => {
    track(socket);
    if (draining) closeWhenIdle(socket);
  });
  // an HTTP/2 server's streams are no HTTP/1 requests: its session is closed as a whole
  this.on('session', (session: Http2Session) => {
    const socket = sessionConnection(session);
    if (socket) socket[kSession] = session;
    if (draining) session.close();
  });
  return listen.apply(this, args as Parameters<typeof listen>);
} as typeof listen;
/** Requests in progress on a socket, kept on the socket itself (cheaper per request than a WeakMap). */
const kBusy = Symbol('pmx.busy');
/** The tracked connection itself, so that it is found through the proxy an HTTP/2 session gives of it. */
const kSelf = Symbol('pmx.self');
/** The HTTP/2 session a connection carries. */
const kSession = Symbol('pmx.session');
type Counted = Socket & { [kBusy]?: number; [kSelf]?: Counted; [kSession]?: Http2Session };
const sockets = new Set<Counted>();
let draining = false;

// one shared subscriber per channel, no listener or closure per request: this runs on every
// request the app serves. A response the client aborted never finishes, but its socket closes.
channel('http.server.request.start').subscribe((message) => {
  const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
  const socket = connectionOf(request.socket);
  socket[kBusy] = (socket[kBusy] ?? 0) + 1;
  // a request that arrives while draining is answered, then its connection closes cleanly
  if (draining) response.shouldKeepAlive = false;
});
channel('http.server.response.finish').subscribe((message) => {
  const socket = connectionOf((message as { request: IncomingMessage }).request.socket);
  socket[kBusy] = (socket[kBusy] ?? 1) - 1;
  if (draining) closeWhenIdle(socket);
});

/**
 * The accepted connection a request came on, where its requests are counted: the socket itself,
 * or for HTTPS the TCP socket its TLS socket wraps (a TLS server's 'connection' is the TCP one,
 * and counting on the TLS socket left the TCP one idle to the drain, which cut it mid-request).
 */
function connectionOf(socket: Socket): Counted {
  const parent = (socket as Socket & { _parent?: unknown })._parent;
  return (parent instanceof Socket ? parent : socket) as Counted;
}

/** The accepted connection an HTTP/2 session runs on: the TCP socket, or the one under its TLS socket. */
function sessionConnection(session: Http2Session): Counted | undefined {
  const socket = session.socket as Counted & { _parent?: unknown };
  return socket._parent instanceof Socket ? (socket._parent as Counted) : socket[kSelf];
}

function track(socket: Socket): void {
  if (!sockets.has(socket)) {
    sockets.add(socket);
    (socket as Counted)[kSelf] = socket;
    socket.once('close', () => {
      sockets.delete(socket);
      if (draining) reportIfDrained();
    });
  }
}

function closeWhenIdle(socket: Counted): void {
  setTimeout(() => {
    if ((socket[kBusy] ?? 0) === 0 && !socket[kSession] && !socket.destroyed) socket.destroy();
  }, IDLE_CLOSE_MS).unref();
}

function reportIfDrained(): void {
  if (sockets.size === 0 && process.connected) process.send?.({ pmx: 'drained' });
}

function drain(): void {
  if (draining) return;
  draining = true;
  for (const server of servers) {
    // Node's close() also drops idle kept-alive connections at once, racing clients that are
    // about to reuse them: keep them, they are closed after their next response instead
    if ('closeIdleConnections' in server) (server as HttpServer).closeIdleConnections = () => undefined;
    server.close();
  }
  for (const socket of sockets) {
    if (socket[kSession]) socket[kSession].close();
    else if ((socket[kBusy] ?? 0) === 0) closeWhenIdle(socket);
  }
  reportIfDrained();
}

process.on('message', (message: unknown) => {
  const kind = message && typeof message === 'object' ? (message as { pmx?: unknown }).pmx : undefined;
  if (kind === 'drain') drain();
  // the agent's last word before SIGINT: once this is answered, every connection it handed over
  // before our servers closed has been answered too (refused, so it went to another worker)
  else if (kind === 'ping') process.send?.({ pmx: 'pong' });
});
