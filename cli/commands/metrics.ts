// `pmx metrics`: has the agent serve (or stop serving) a Prometheus endpoint, and says where.
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT } from '../../agent/metrics/endpoint.js';
import { CliError } from '../client/errors.js';
import { styleFor } from '../output/style.js';
import { renderEndpoint } from '../output/metrics-endpoint.js';
import { type CommandContext, withAgent } from './context.js';

/** Flags of `pmx metrics`. */
export interface MetricsFlags {
  port?: string;
  host?: string;
  stop?: boolean;
  status?: boolean;
}

/** `pmx metrics [--port N] [--host H] [--stop | --status]`. */
export async function metrics(ctx: CommandContext, flags: MetricsFlags): Promise<void> {
  const request = flags.stop
    ? ({ action: 'close' } as const)
    : flags.status
      ? ({ action: 'status' } as const)
      : ({ action: 'listen', host: flags.host ?? DEFAULT_METRICS_HOST, port: parsePort(flags.port) } as const);
  const { address } = await withAgent(ctx, (agent) => agent.call('metrics', request));
  if (flags.stop) ctx.out.write('[PMX] Stopped the metrics endpoint\n');
  else ctx.out.write(renderEndpoint(address, styleFor(ctx.color)) + '\n');
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return DEFAULT_METRICS_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new CliError(`--port must be a port number from 0 to 65535, got '${value}'`, { code: 'BAD_ARGUMENT' });
  return port;
}
