// One dashboard's HTTP server: the page, the process list as JSON and as a live event stream, the
// live log of a process, and the restart/reload/stop actions. Every request passes the access
// policy first; nothing here logs a request (a URL may hold the token).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ProcessDescription } from '../protocol/types.js';
import type { Registry } from '../registry.js';
import { describeProcess } from '../describe.js';
import { AgentFault } from '../fault.js';
import { type AccessPolicy, checkAccess } from './access.js';
import { EventStream } from './event-stream.js';
import { ListFeed } from './list-feed.js';
import { LogFeed } from './log-feed.js';
import { processView } from './process-view.js';
import { DASHBOARD_PAGE, PAGE_SECURITY_POLICY } from './page.js';
import { limitHttpServer } from '../rpc/http-limits.js';

/** The actions the page's buttons run. */
export type DashboardAction = 'restart' | 'reload' | 'stop';

/** What a dashboard needs from the agent. */
export interface DashboardDeps {
  registry: Registry;
  /** Runs an action on process `id` exactly as the CLI's request of the same name does. */
  act: (action: DashboardAction, id: number) => Promise<ProcessDescription[]>;
  /** The agent log, told when the dashboard is at its connection cap. */
  log?: (line: string) => void;
}

/** Connections one dashboard holds at most (fewer when the descriptor limit is small). */
export const DASHBOARD_MAX_CONNECTIONS = 128;

/** The live list is sent this often, as often as the monitor samples by default. */
const LIST_INTERVAL_MS = 1000;

/** Headers on every answer: never cached, never framed, never sniffed, no Referer (the URL may hold the token). */
const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const PROCESS_ROUTE = /^\/api\/processes\/(\d+)\/(logs|restart|reload|stop)$/;

/** A server, not yet listening, that answers under `policy`. */
export function createDashboardServer(policy: AccessPolicy, deps: DashboardDeps): Server {
  const snapshot = () => deps.registry.all().map((proc) => processView(describeProcess(proc)));
  const listFeed = new ListFeed(snapshot, LIST_INTERVAL_MS);
  const logFeed = new LogFeed(deps.registry);
  // a short check interval, so that the headers and request time limits are kept to the second
  const server = createServer({ connectionsCheckingInterval: 1000 }, (request, response) => {
    for (const [name, value] of Object.entries(COMMON_HEADERS)) response.setHeader(name, value);
    const url = new URL(request.url ?? '/', 'http://dashboard');
    const verdict = checkAccess({ method: request.method ?? 'GET', url, headers: request.headers }, policy);
    if (!verdict.ok) return sendJson(response, verdict.status, { error: verdict.reason });
    void route(request, response, url).catch((error: unknown) => sendFault(response, error));
  });
  limitHttpServer(server, 'dashboard', DASHBOARD_MAX_CONNECTIONS, 1 / 16, deps.log ?? (() => undefined));

  const route = async (request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> => {
    const { pathname } = url;
    const get = request.method === 'GET';
    if (pathname === '/' && get) return sendPage(response);
    if (pathname === '/api/processes' && get) return sendJson(response, 200, snapshot());
    if (pathname === '/api/events' && get) return listFeed.add(new EventStream(response));
    const match = PROCESS_ROUTE.exec(pathname);
    if (!match) return sendJson(response, 404, { error: `no such page: ${pathname}` });
    const id = Number(match[1]);
    const verb = match[2] as 'logs' | DashboardAction;
    if (verb === 'logs') {
      if (!get) return sendJson(response, 405, { error: 'logs are read with GET' });
      const proc = deps.registry.get(id);
      if (!proc) return sendJson(response, 404, { error: `no process with id ${id}` });
      return logFeed.add(proc, new EventStream(response));
    }
    if (request.method !== 'POST') return sendJson(response, 405, { error: `${verb} is done with POST` });
    request.resume(); // the action has no body: drain whatever came
    const acted = await deps.act(verb, id);
    sendJson(response, 200, acted.map(processView));
  };

  return server;
}

function sendPage(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_SECURITY_POLICY });
  response.end(DASHBOARD_PAGE);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

/** An action that failed: a fault keeps its code; anything else is a 500. */
function sendFault(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof AgentFault) {
    sendJson(response, error.code === 'NOT_FOUND' ? 404 : 409, { error: error.message, code: error.code });
    return;
  }
  sendJson(response, 500, { error: (error as Error).message ?? String(error) });
}
