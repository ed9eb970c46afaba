// The words for health checks and the restarts the agent decides on its own, as describe shows them.
import { redactUrl, type HealthCheck } from '../../agent/protocol/app-spec.js';
import type { AppNotice, HealthState, SupervisionEvent } from '../../agent/protocol/types.js';
import { formatUptime } from './format.js';

/** `http http://127.0.0.1:3000/health every 10000ms, timeout 5000ms, 3 failures, start period 0ms`. */
export function describeHealthCheck(check: HealthCheck): string {
  const { target } = check;
  const probe = 'http' in target ? `http ${redactUrl(target.http)}` : 'tcp' in target ? `tcp ${target.tcp.host}:${target.tcp.port}` : `exec ${target.exec}`;
  return `${probe} every ${check.interval}ms, timeout ${check.timeout}ms, ${check.failures} failures, start period ${check.start_period}ms`;
}

/** `healthy (checked 3s ago)` or `starting, 1 failure (checked 2s ago: HTTP 500 from ...)`. */
export function describeHealth(health: HealthState, now: number): string {
  const failures = health.failures > 0 ? `, ${health.failures} failure${health.failures === 1 ? '' : 's'} in a row` : '';
  if (health.last_check === null) return `${health.status}, not checked yet`;
  const ago = `checked ${formatUptime(now - health.last_check)} ago`;
  return `${health.status}${failures} (${ago}${health.last_error ? `: ${health.last_error}` : ''})`;
}

/** `ready: Serving 12 requests` (the app's phase, then its STATUS= line), or `starting`. */
export function describeNotice(notice: AppNotice): string {
  return notice.status ? `${notice.state}: ${notice.status}` : notice.state;
}

/** `at 2026-01-01T10:00:00.000Z: event loop blocked for 30012 ms` or `...: HTTP 503 from ...`. */
export function describeEvent(event: SupervisionEvent): string {
  const what =
    event.event === 'hung'
      ? `event loop blocked for ${event.blocked_ms} ms`
      : event.event === 'watchdog'
        ? `watchdog missed: ${event.reason}`
        : event.event === 'stopping'
          ? `did not stop: ${event.reason}`
          : `health check failed: ${event.reason}`;
  return `at ${new Date(event.at).toISOString()}: ${what}`;
}
