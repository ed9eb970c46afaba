// The runtime metrics a Node app's preload (agent/metrics/preload.cjs) reports once a second over
// its metrics pipe, and the reading of that pipe into the latest sample; the same pipe carries what
// an app with no IPC channel sends with process.send, one `{"m": message}` line each.
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The module preloaded into Node apps for their metrics (`node --require`). */
export const METRICS_PRELOAD = fileURLToPath(new URL('./preload.cjs', import.meta.url));

/** The variable that tells the preload which fd is its pipe to the agent (removed before the app runs). */
export const METRICS_FD_VARIABLE = 'PMX_METRICS_FD';

/** One sample of a Node app's runtime, as the preload sends it. */
export interface NodeMetrics {
  /** bytes */
  heapUsed: number;
  heapTotal: number;
  /** Event-loop delay over the last second, ms. */
  loopP50: number;
  loopP95: number;
  /** Active handles and requests of the app (process.getActiveResourcesInfo()). */
  handles: number;
  /** HTTP requests answered since the app started. */
  requests: number;
  /** Sum of their latencies, ms. */
  latencySum: number;
  /** Requests answered in the last minute, and their mean and percentile latencies in ms. */
  requestsPerMinute: number;
  latencyMean: number;
  latencyP50: number;
  latencyP95: number;
}

const FIELDS: readonly (keyof NodeMetrics)[] = ['heapUsed', 'heapTotal', 'loopP50', 'loopP95', 'handles', 'requests', 'latencySum', 'requestsPerMinute', 'latencyMean', 'latencyP50', 'latencyP95'];

/** Longest line accepted from an app: a message relayed for process.send is at most 1 MB (a sample is about 250 bytes). */
const MAX_LINE = 1024 * 1024;

const MESSAGE_PREFIX = '{"m":';

/**
 * Calls `onSample` with the latest well-formed sample of each chunk read from `pipe`, and
 * `onMessage` with each message relayed from process.send; anything else is ignored.
 */
export function readMetrics(pipe: Readable, onSample: (sample: NodeMetrics) => void, onMessage: (message: unknown) => void = () => undefined): void {
  let partial = '';
  pipe.setEncoding('utf8');
  pipe.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    if (partial.length > MAX_LINE) partial = '';
    let last: string | undefined;
    for (const line of lines) {
      if (line.startsWith(MESSAGE_PREFIX)) relay(line, onMessage);
      else last = line;
    }
    const sample = last === undefined ? null : parseSample(last);
    if (sample) onSample(sample);
  });
  pipe.on('error', () => undefined);
}

function relay(line: string, onMessage: (message: unknown) => void): void {
  try {
    onMessage((JSON.parse(line) as { m: unknown }).m);
  } catch {
    // a torn or foreign line is not a message
  }
}

/** A sample from one line of JSON, or null when any field is missing or not a finite number. */
export function parseSample(line: string): NodeMetrics | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const sample = {} as NodeMetrics;
  for (const field of FIELDS) {
    const number = (value as Record<string, unknown>)[field];
    if (typeof number !== 'number' || !Number.isFinite(number) || number < 0) return null;
    sample[field] = number;
  }
  return sample;
}
