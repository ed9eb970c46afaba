// The Prometheus endpoint the agent serves on request (`pmx metrics`, or PMX_METRICS_PORT when
// the agent starts): GET /metrics answers the exposition text of every process. It is plain HTTP
// without authentication, bound to 127.0.0.1 unless another host is asked for.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from '../registry.js';
import { AgentFault } from '../fault.js';

/** Where the endpoint listens. */
export interface EndpointAddress {
  host: string;
  port: number;
}

export const DEFAULT_METRICS_HOST = '127.0.0.1';
/** The port PM2's Prometheus exporter module uses. */
export const DEFAULT_METRICS_PORT = 9209;
/** Connections the endpoint holds at most (fewer when the descriptor limit is small). */
export const METRICS_MAX_CONNECTIONS = 32;

/** The agent's endpoint: at most one server, replaced when asked to listen elsewhere. */
export class MetricsEndpoint {
  private server: Server | null = null;
  private bound: EndpointAddress | null = null;
  private moving: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly registry: Registry,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Where it listens now, or null. */
  address(): EndpointAddress | null {
    return this.bound;
  }

  /**
   * Listens on `address`, then closes the server it replaces: a move that fails (a port taken, a
   * host that does not resolve) leaves the endpoint where it was, and the fault says so. Only a
   * move to the port it already holds needs that port freed first; the old address is taken back
   * when the new one then fails.
   */
  listen(address: EndpointAddress): Promise<EndpointAddress> {
    // one move at a time: two at once would each replace the same server, and one would be lost
    const moved = this.moving.then(() => this.move(address));
    this.moving = moved.catch(() => undefined);
    return moved;
  }

  private async move(address: EndpointAddress): Promise<EndpointAddress> {
    // asked again for where it already listens (port 0: any port will do): nothing to change
    if (this.bound && this.bound.host === address.host && (address.port === 0 || address.port === this.bound.port)) return this.bound;
    const previous = this.bound;
    let server: Server;
    try {
      server = await this.open(address);
    } catch (error) {
      if (!previous || previous.port !== address.port || !(error instanceof AgentFault) || error.data?.errno !== 'EADDRINUSE') throw this.kept(error, previous);
      await this.shut(); // the port is ours: free it for the new host
      try {
        server = await this.open(address);
      } catch (second) {
        const restored = await this.open(previous).then(
          (back) => this.take(back, previous),
          () => null,
        );
        throw restored ? this.kept(second, previous) : this.kept(second, null, previous);
      }
    }
    await this.shut();
    return this.take(server, address);
  }

  private take(server: Server, address: EndpointAddress): EndpointAddress {
    this.server = server;
    this.bound = { host: address.host, port: (server.address() as AddressInfo).port };
    return this.bound;
  }

  /** The fault of a failed move, saying what serves now: the endpoint kept, or none (`lost`: it could not be taken back). */
  private kept(error: unknown, kept: EndpointAddress | null, lost?: EndpointAddress): unknown {
    if (!(error instanceof AgentFault)) return error;
    const now = kept
      ? `; metrics are still served on ${kept.host}:${kept.port}`
      : lost
        ? `; the endpoint on ${lost.host}:${lost.port} was closed to free the port and could not be opened again: none serves now`
        : '';
    return new AgentFault(`${error.message}${now}`, { code: error.code, data: { ...error.data, serving: kept } });
  }

  /** A server listening on `address`, or a LISTEN_FAILED fault naming it. */
  private async open(address: EndpointAddress): Promise<Server> {
    // loaded on first use: node:http is no part of an agent's start (cold `pmx ls`)
    const [{ createServer }, { EXPOSITION_CONTENT_TYPE, renderExposition }, { hostAllowed, limitHttpServer }] = await Promise.all([
      import('node:http'),
      import('./prometheus.js'),
      import('../rpc/http-limits.js'),
    ]);
    let body: Buffer | null = null;
    let forgetting = false;
    const server = createServer({ connectionsCheckingInterval: 1000 }, (request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (!hostAllowed(request.headers.host, address.host)) {
        response.writeHead(421, { 'content-type': 'text/plain' }).end('pmx serves metrics on loopback to a host named by its address or localhost\n');
        return;
      }
      if (request.method !== 'GET' || path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('pmx serves Prometheus metrics at /metrics\n');
        return;
      }
      // rendered once for every request read in one turn (pipelined ones): each answer holds the same bytes
      body ??= Buffer.from(renderExposition(this.registry.all(), Date.now()));
      if (!forgetting) {
        forgetting = true;
        setImmediate(() => {
          body = null;
          forgetting = false;
        });
      }
      response.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE }).end(body);
    });
    limitHttpServer(server, 'metrics endpoint', METRICS_MAX_CONNECTIONS, 1 / 32, this.log);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(new AgentFault(`cannot serve metrics on ${address.host}:${address.port}: ${error.code ?? error.message}`, { code: 'LISTEN_FAILED', data: { ...address, errno: error.code ?? null } }));
      });
      server.listen(address.port, address.host, () => resolve());
    });
    // the agent exits on its own terms: an open endpoint never keeps it alive
    server.unref();
    return server;
  }

  /** Stops serving, after any move under way; resolves once the port is free. */
  close(): Promise<void> {
    const closed = this.moving.then(() => this.shut());
    this.moving = closed.catch(() => undefined);
    return closed;
  }

  private async shut(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.bound = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
