// Values as PM2 prints them: memory sizes, uptimes, CPU, and statuses in their colours.
import type { PublicStatus } from '../../agent/process/states.js';
import type { HealthState, Pm2Env } from '../../agent/protocol/types.js';
import type { Paint, Style } from './style.js';

const UNITS = ['kb', 'mb', 'gb', 'tb'] as const;

/** Bytes as PM2 shows memory: `512b`, `40.1mb`, `1.2gb` (powers of 1024, one decimal). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'N/A';
  if (bytes < 1024) return `${Math.max(0, Math.round(bytes))}b`;
  let value = bytes;
  let unit: string = 'b';
  for (const next of UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(1)}${unit}`;
}

// PM2's `timeSince` thresholds: a unit is used from 2 of it on, so 90 seconds is `90s`, not `1m`.
const SPANS: ReadonlyArray<readonly [number, string]> = [
  [31_536_000, 'Y'],
  [2_592_000, 'M'],
  [86_400, 'D'],
  [3_600, 'h'],
  [60, 'm'],
];

/** A duration in ms as PM2's uptime column: `0s`, `12s`, `5m`, `3h`, `2D`, `4M`, `2Y`. */
export function formatUptime(ms: number): string {
  const seconds = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  for (const [span, unit] of SPANS) {
    const count = Math.floor(seconds / span);
    if (count > 1) return `${count}${unit}`;
  }
  return `${seconds}s`;
}

/** CPU usage as a percentage with at most one decimal: `0%`, `12.5%`. */
export function formatCpu(cpu: number): string {
  if (!Number.isFinite(cpu)) return 'N/A';
  return `${Math.round(cpu * 10) / 10}%`;
}

type Hue = 'green' | 'gray' | 'red' | 'yellow';

// Typed on every status, so a new status does not compile without its colour.
const STATUS_HUES: Record<PublicStatus, Hue> = {
  online: 'green',
  stopping: 'gray',
  stopped: 'gray',
  errored: 'red',
  launching: 'yellow',
  'waiting restart': 'yellow',
};

/** The paint for a status: online green, stopped/stopping gray, errored red, launching/waiting restart yellow. */
export function statusPaint(status: PublicStatus, style: Style): Paint {
  const hue = style[STATUS_HUES[status] ?? 'red'];
  return (text) => style.bold(hue(text));
}

/** A status in its colour. */
export function formatStatus(status: PublicStatus, style: Style): string {
  return statusPaint(status, style)(status);
}

/** Whether a process restarts on file changes (`watch: true`, or a non-empty list of paths). */
export function isWatching(env: Pick<Pm2Env, 'watch'>): boolean {
  return Array.isArray(env.watch) ? env.watch.length > 0 : env.watch;
}

// Typed on every health status, like the statuses above.
const HEALTH_MARKS: Record<HealthState['status'], { text: string; hue: Hue }> = {
  healthy: { text: '✓', hue: 'green' },
  starting: { text: '…', hue: 'yellow' },
  unhealthy: { text: '✗', hue: 'red' },
};

/** The mark `ls` puts after `online` for a health check's status, and the paint of the whole cell. */
export function healthMark(status: HealthState['status'], style: Style): { text: string; paint: Paint } {
  const { text, hue } = HEALTH_MARKS[status];
  return { text, paint: (cell) => style.bold(style[hue](cell)) };
}
