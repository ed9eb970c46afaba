// `restart_limit: { burst: 5, interval: '10s' }`: systemd's start-rate limit (StartLimitBurst,
// StartLimitIntervalSec) on the restarts the agent decides on its own.
import type { RestartLimit } from '../../agent/protocol/app-spec.js';
import { type Parsed, parseCount, parseDuration } from './values.js';

const EXPECTED = "an object { burst: <restarts, at least 1>, interval: <a duration such as '10s'> }, or null for none";

/** `restart_limit`; null or false: none. */
export function parseRestartLimit(value: unknown): Parsed<RestartLimit | null> {
  if (value === null || value === false) return { ok: true, value: null };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, expected: EXPECTED };
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((key) => key !== 'burst' && key !== 'interval');
  if (unknown.length > 0) return { ok: false, expected: `${EXPECTED} (unknown: ${unknown.join(', ')})` };
  const burst = parseCount(raw.burst, 1);
  if (!burst.ok) return { ok: false, expected: `${EXPECTED}; its burst must be ${burst.expected}` };
  const interval = parseDuration(raw.interval);
  if (!interval.ok || interval.value < 1) return { ok: false, expected: `${EXPECTED}; its interval must be a duration above 0` };
  return { ok: true, value: { burst: burst.value, interval: interval.value } };
}
