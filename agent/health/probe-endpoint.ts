// The probe endpoint of a foreground agent (`pmx-runtime --health-port`), for an orchestrator's
// liveness and readiness probes: GET /livez answers 200 while the agent's event loop does, GET
// /readyz 200 when every app is ready (health/readiness.ts) and 503 naming those that are not.
// Answered from the registry on each request: nothing is polled. Plain HTTP without authentication:
// it tells whoever reaches it the names, ids and states of the apps that are not ready, nothing more.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from '../registry.js';
import { AgentFault } from '../fault.js';
import { hostAllowed, limitHttpServer } from '../rpc/http-limits.js';
import type { EndpointAddress } from '../metrics/endpoint.js';
import { notReadyProcesses, type NotReady } from './readiness.js';

/** The host the endpoint binds to unless told otherwise: only this machine (a pod needs 0.0.0.0). */
export const DEFAULT_PROBE_HOST = '127.0.0.1';
/** Connections the endpoint holds at most: the kubelet opens one per probe. */
const PROBE_MAX_CONNECTIONS = 16;

/** Where the agent stands beside its apps: their start not asked for yet, running, or stopping them all. */
export type AgentPhase = 'starting' | 'running' | 'stopping';

/** Serves /livez and /readyz on `address`; a port that cannot be had is a LISTEN_FAILED fault. */
export async function serveProbes(registry: Registry, phase: () => AgentPhase, address: EndpointAddress, log: (line: string) => void): Promise<EndpointAddress> {
  const { createServer } = await import('node:http');
  const server: Server = createServer({ connectionsCheckingInterval: 1000 }, (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const method = request.method === 'GET' || request.method === 'HEAD';
    if (!hostAllowed(request.headers.host, address.host)) {
      response.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end('pmx-runtime answers probes on loopback to a host named by its address or localhost\n');
      return;
    }
    const answer = method && path === '/livez' ? { code: 200, body: 'ok\n' } : method && path === '/readyz' ? readiness(registry, phase()) : { code: 404, body: 'pmx-runtime answers probes at /livez and /readyz\n' };
    // a probe reads a fresh answer each time: no cache in between
    response.writeHead(answer.code, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(answer.body);
  });
  limitHttpServer(server, 'probe endpoint', PROBE_MAX_CONNECTIONS, 1 / 64, log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new AgentFault(`cannot serve health probes on ${address.host}:${address.port}: ${error.code ?? error.message}`, { code: 'LISTEN_FAILED', data: { ...address } }));
    });
    server.listen(address.port, address.host, () => resolve());
  });
  // the agent exits on its own terms: an open endpoint never keeps it alive
  server.unref();
  return { host: address.host, port: (server.address() as AddressInfo).port };
}

/** /readyz: 200 when every process is ready, else 503 with one line per process that is not. */
function readiness(registry: Registry, phase: AgentPhase): { code: number; body: string } {
  if (phase === 'starting') return { code: 503, body: 'not ready: the apps are being started\n' };
  if (phase === 'stopping') return { code: 503, body: 'not ready: stopping every app\n' };
  const processes = registry.all();
  if (processes.length === 0) return { code: 503, body: 'not ready: no app\n' };
  const waiting = notReadyProcesses(processes.map((proc) => ({ id: proc.id, name: proc.spec.name, status: proc.status, probed: Boolean(proc.spec.health_check), health: proc.health, endedByItself: proc.endedByItself, exitCode: proc.lifecycle.exitCode, wantedCodes: proc.spec.stop_exit_codes, notice: proc.spec.notify ? proc.notice : null })));
  const stopped = processes.filter((proc) => proc.status === 'stopped').length;
  if (stopped === processes.length) return { code: 503, body: 'not ready: every app is stopped\n' };
  if (waiting.length === 0) {
    const serving = processes.length - stopped;
    return { code: 200, body: `ready: ${serving} process${serving === 1 ? '' : 'es'}${stopped > 0 ? ` (${stopped} stopped)` : ''}\n` };
  }
  return { code: 503, body: `not ready:\n${waiting.map(line).join('')}` };
}

function line(proc: NotReady): string {
  return `${proc.name} (id ${proc.id}): ${proc.why}\n`;
}
