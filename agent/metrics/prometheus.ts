// Every process's metrics in Prometheus's text exposition format (version 0.0.4): one family per
// metric with its HELP and TYPE, one sample per process labelled by name, id and namespace.
import type { SupervisedProcess } from '../process/supervised.js';
import { isServing } from '../process/states.js';
import type { NodeMetrics } from './node-metrics.js';

/** The Content-Type of the text format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Kind = 'gauge' | 'counter' | 'summary';

/** One metric family: a sample per process, or none for a process it does not apply to. */
interface Family {
  name: string;
  kind: Kind;
  help: string;
  samples: (proc: SupervisedProcess, now: number) => Sample[];
}

interface Sample {
  suffix?: string;
  labels?: Record<string, string>;
  value: number;
}

const one = (value: number): Sample[] => [{ value }];
const online = (proc: SupervisedProcess): boolean => isServing(proc.status);
const node = (read: (metrics: NodeMetrics) => Sample[]) => (proc: SupervisedProcess): Sample[] =>
  online(proc) && proc.nodeMetrics ? read(proc.nodeMetrics) : [];

const FAMILIES: readonly Family[] = [
  { name: 'pmx_process_up', kind: 'gauge', help: '1 when the process is online, else 0.', samples: (proc) => one(online(proc) ? 1 : 0) },
  { name: 'pmx_process_cpu_percent', kind: 'gauge', help: 'CPU used by the process and its descendants, percent of one core.', samples: (proc) => one(online(proc) ? proc.monit.cpu : 0) },
  { name: 'pmx_process_memory_bytes', kind: 'gauge', help: 'Resident memory of the process and its descendants.', samples: (proc) => one(online(proc) ? proc.monit.memory : 0) },
  {
    name: 'pmx_process_healthy',
    kind: 'gauge',
    help: '1 when the health check of an online process passes, else 0 (processes with a health check only).',
    samples: (proc) => (proc.spec.health_check ? one(online(proc) && proc.health?.status === 'healthy' ? 1 : 0) : []),
  },
  { name: 'pmx_process_restarts_total', kind: 'counter', help: 'Restarts since the process was added (reset by pmx reset).', samples: (proc) => one(proc.lifecycle.restarts) },
  {
    name: 'pmx_process_uptime_seconds',
    kind: 'gauge',
    help: 'Seconds since the process last started; 0 when it is not online.',
    samples: (proc, now) => one(online(proc) && proc.lifecycle.startedAt ? Math.max(0, (now - proc.lifecycle.startedAt) / 1000) : 0),
  },
  { name: 'pmx_process_heap_used_bytes', kind: 'gauge', help: 'V8 heap in use (Node apps).', samples: node((m) => one(m.heapUsed)) },
  { name: 'pmx_process_heap_total_bytes', kind: 'gauge', help: 'V8 heap size (Node apps).', samples: node((m) => one(m.heapTotal)) },
  {
    name: 'pmx_process_event_loop_delay_seconds',
    kind: 'gauge',
    help: 'Event-loop delay over the last 10 s, by quantile (Node apps).',
    samples: node((m) => [
      { labels: { quantile: '0.5' }, value: m.loopP50 / 1000 },
      { labels: { quantile: '0.95' }, value: m.loopP95 / 1000 },
    ]),
  },
  { name: 'pmx_process_active_handles', kind: 'gauge', help: 'Active libuv handles and requests (Node apps).', samples: node((m) => one(m.handles)) },
  { name: 'pmx_process_http_requests_total', kind: 'counter', help: 'HTTP requests answered since the process started (Node apps).', samples: node((m) => one(m.requests)) },
  {
    name: 'pmx_process_http_request_duration_seconds',
    kind: 'summary',
    help: 'HTTP request latency: quantiles over the last minute, sum and count since the process started (Node apps).',
    samples: node((m) => [
      { labels: { quantile: '0.5' }, value: m.latencyP50 / 1000 },
      { labels: { quantile: '0.95' }, value: m.latencyP95 / 1000 },
      { suffix: '_sum', value: m.latencySum / 1000 },
      { suffix: '_count', value: m.requests },
    ]),
  },
];

/** The exposition text for `procs` at time `now` (ms since epoch). */
export function renderExposition(procs: readonly SupervisedProcess[], now: number): string {
  const lines: string[] = [];
  for (const family of FAMILIES) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.kind}`);
    for (const proc of procs) {
      const base = { name: proc.spec.name, id: String(proc.id), namespace: proc.spec.namespace };
      for (const sample of family.samples(proc, now)) {
        lines.push(`${family.name}${sample.suffix ?? ''}${labelSet({ ...base, ...sample.labels })} ${formatValue(sample.value)}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

function labelSet(labels: Record<string, string>): string {
  return `{${Object.entries(labels).map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
}

/** Backslash, double quote and line feed are the characters a label value must escape. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(Math.round(value * 1e6) / 1e6);
}
