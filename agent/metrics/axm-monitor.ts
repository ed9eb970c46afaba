// A Node app's runtime metrics under `pm2_env.axm_monitor`, with the names, units and value
// formats of PM2's injected module (@pm2/io), so scripts and dashboards that read them keep working.
import type { NodeMetrics } from './node-metrics.js';
import type { AxmMetric, AxmMonitor } from '../protocol/types.js';

const MIB = 2 ** 20;
const fixed = (value: number): string => value.toFixed(2);
/** A metric as @pm2/io sends it: a metric it registers with no unit has no `unit` key at all. */
const entry = (value: string | number, unit: string | null, type: string): AxmMetric => ({ value, ...(unit === null ? {} : { unit }), type, historic: true });

/**
 * PM2's metric names for a sample; `{}` when the process has none (not Node, `pmx: false`, or not
 * yet sampled). Values as @pm2/io gives them (pm2-io-bpm): the heap sizes and the event loop's
 * latencies as strings of 2 decimals (`toFixed`), the heap usage and the HTTP figures as numbers
 * (a script comparing `"3.93" > 100` in jq would get true); ids as its own (`internal/v8/...`,
 * the mean latency under `latency/p50`, its id for it).
 */
export function axmMonitor(sample: NodeMetrics | null): AxmMonitor {
  if (!sample) return {};
  return {
    'Used Heap Size': entry(fixed(sample.heapUsed / MIB), 'MiB', 'internal/v8/heap/used'),
    'Heap Usage': entry(sample.heapTotal > 0 ? Number(fixed((sample.heapUsed / sample.heapTotal) * 100)) : 0, '%', 'internal/v8/heap/usage'),
    'Heap Size': entry(fixed(sample.heapTotal / MIB), 'MiB', 'internal/v8/heap/total'),
    'Event Loop Latency': entry(fixed(sample.loopP50), 'ms', 'internal/libuv/latency/p50'),
    'Event Loop Latency p95': entry(fixed(sample.loopP95), 'ms', 'internal/libuv/latency/p95'),
    'Active handles': entry(sample.handles, null, 'internal/libuv/handles'),
    HTTP: entry(sample.requestsPerMinute, 'req/min', 'internal/http/builtin/reqs'),
    'HTTP Mean Latency': entry(Number(fixed(sample.latencyMean)), 'ms', 'internal/http/builtin/latency/p50'),
    'HTTP P95 Latency': entry(Number(fixed(sample.latencyP95)), 'ms', 'internal/http/builtin/latency/p95'),
  };
}
