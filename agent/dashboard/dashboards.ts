// The dashboards this agent serves, one per host:port. A second `pmx dashboard` for an address
// already served gets the running dashboard back, token included, instead of an error.
import { hostname } from 'node:os';
import { once } from 'node:events';
import type { DashboardAddress } from '../protocol/types.js';
import { AgentFault } from '../fault.js';
import type { DashboardDeps } from './http-server.js';

type Served = Omit<DashboardAddress, 'alreadyRunning'>;

/** The agent's dashboard servers; main.ts holds the one instance. */
export class Dashboards {
  /** By "host port"; a promise, so that two requests at once for one address open one server. */
  private readonly served = new Map<string, Promise<Served>>();

  constructor(private readonly log: (line: string) => void) {}

  /** Serves a dashboard on host:port unless one already answers there. */
  async open(host: string, port: number, deps: DashboardDeps): Promise<DashboardAddress> {
    checkAddress(host, port);
    const key = `${host} ${port}`;
    const existing = this.served.get(key);
    if (existing) return { ...(await existing), alreadyRunning: true };
    const opening = this.listen(host, port, deps);
    this.served.set(key, opening);
    opening.catch(() => this.served.delete(key));
    return { ...(await opening), alreadyRunning: false };
  }

  private async listen(host: string, port: number, deps: DashboardDeps): Promise<Served> {
    // loaded on first use: the page, node:http and node:crypto are no part of an agent's start (cold `pmx ls`)
    const [{ createDashboardServer }, { newToken }] = await Promise.all([import('./http-server.js'), import('./access.js')]);
    const token = newToken();
    const server = createDashboardServer({ token }, deps);
    server.listen(port, host);
    try {
      await once(server, 'listening');
    } catch (error) {
      throw listenFault(host, port, error as NodeJS.ErrnoException);
    }
    const url = dashboardUrl(host, port);
    this.log(`dashboard listening on ${url} (token required)`);
    return { url: `${url}?token=${token}`, token };
  }
}

function checkAddress(host: unknown, port: unknown): void {
  if (typeof host !== 'string' || !/^[A-Za-z0-9.:-]{1,253}$/.test(host)) {
    throw new AgentFault(`the dashboard host must be an address or a host name, got ${JSON.stringify(host)}`, { code: 'INVALID_REQUEST' });
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AgentFault(`the dashboard port must be a whole number from 1 to 65535, got ${JSON.stringify(port)}`, { code: 'INVALID_REQUEST' });
  }
}

function listenFault(host: string, port: number, error: NodeJS.ErrnoException): AgentFault {
  const why =
    error.code === 'EADDRINUSE' ? 'the port is in use' :
    error.code === 'EADDRNOTAVAIL' ? 'the address is not one of this machine' :
    error.code === 'EACCES' ? 'the port needs privileges' : error.message;
  return new AgentFault(`cannot serve the dashboard on ${host}:${port}: ${why}`, { code: 'DASHBOARD_UNAVAILABLE', data: { host, port, errno: error.code } });
}

/** The URL to open, without the token; a wildcard address is shown as this machine's name. */
function dashboardUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? hostname() : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
}
