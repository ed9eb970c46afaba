// The wording of `pmx metrics`: where the endpoint is, and what binding beyond loopback exposes.
import type { Style } from './style.js';

/** Lines that say where Prometheus can scrape, or that nothing is served. */
export function renderEndpoint(address: { host: string; port: number } | null, style: Style): string {
  if (!address) return '[PMX] The agent serves no metrics endpoint (start one with `pmx metrics --port <port>`)';
  const lines = [`[PMX] Prometheus metrics at ${style.bold(endpointUrl(address))}`];
  if (!isLoopback(address.host)) {
    lines.push(
      style.yellow(`[PMX] Warning: ${address.host} is not a loopback address: anyone who can reach port ${address.port} there can read every app's name, namespace and metrics.`),
      style.yellow('[PMX] The endpoint has no authentication or TLS: restrict it with a firewall, or keep 127.0.0.1 and put an authenticating proxy in front.'),
    );
  }
  return lines.join('\n');
}

/** http://host:port/metrics, with an IPv6 host in brackets. */
export function endpointUrl({ host, port }: { host: string; port: number }): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
