// The liveness keys of an app: `hang_timeout` (a Node app whose event loop stays blocked), the
// `health` block (an HTTP, TCP or exec probe with its interval, timeout, failures, start_period)
// and `watchdog` (systemd's: WATCHDOG=1 pings on the app's notify socket).
import { HEALTH_DEFAULTS, type HealthCheck, type HealthTarget } from '../../agent/protocol/app-spec.js';
import { hasNul } from '../../agent/protocol/limits.js';
import { type Parsed, parseCount, parseDuration, parsePort, parseText } from './values.js';

/** The preload reports once a second: a shorter hang_timeout would restart apps that are merely busy for a moment. */
export const MIN_HANG_TIMEOUT_MS = 2000;

/** `hang_timeout`: a duration of at least 2 s; 0, false or null turn it off. */
export function parseHangTimeout(value: unknown): Parsed<number> {
  if (value === null || value === false || value === 0) return { ok: true, value: 0 };
  const parsed = parseDuration(value);
  if (parsed.ok && parsed.value >= MIN_HANG_TIMEOUT_MS) return parsed;
  return { ok: false, expected: "a duration of at least 2s (such as '30s', or a number of ms), or 0 for none: the preload reports once a second" };
}

/**
 * A shorter watchdog than this cannot be kept by an app that pings at half of it (systemd's advice)
 * while it starts or collects garbage: one of 1 ms restarted an app 33 times a second, for ever.
 */
export const MIN_WATCHDOG_MS = 1000;

/** `watchdog`: a duration of at least 1 s (exported as WATCHDOG_USEC); 0, false or null turn it off. */
export function parseWatchdog(value: unknown): Parsed<number> {
  if (value === null || value === false || value === 0) return { ok: true, value: 0 };
  const parsed = positiveDuration(value);
  if (parsed.ok && parsed.value >= MIN_WATCHDOG_MS) return parsed;
  return { ok: false, expected: "a duration of at least 1s (such as '10s', or a number of ms) within which the app sends WATCHDOG=1 again, or 0 for none" };
}

const TARGETS = ['http', 'tcp', 'exec'] as const;
const RULES = ['interval', 'timeout', 'failures', 'start_period'] as const;

const EXPECTED =
  "an object with one of http ('http://127.0.0.1:3000/health'), tcp (a port or 'host:port') or exec (a command), and optionally interval ('10s'), timeout ('5s'), failures (3), start_period ('0s')";

/** `health: { http | tcp | exec, interval, timeout, failures, start_period }`; null or false: none. */
export function parseHealth(value: unknown): Parsed<HealthCheck | null> {
  if (value === null || value === false) return { ok: true, value: null };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, expected: EXPECTED };
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((key) => !([...TARGETS, ...RULES] as readonly string[]).includes(key));
  if (unknown.length > 0) return { ok: false, expected: `${EXPECTED} (unknown: ${unknown.join(', ')})` };
  const given = TARGETS.filter((key) => raw[key] !== undefined);
  if (given.length !== 1) return { ok: false, expected: `${EXPECTED} (${given.length === 0 ? 'no probe given' : `only one of ${given.join(', ')}`})` };
  const kind = given[0]!;
  const target = parseTarget(kind, raw[kind]);
  if (!target.ok) return { ok: false, expected: `${EXPECTED}; its ${kind} must be ${target.expected}` };
  const check: HealthCheck = { target: target.value, ...HEALTH_DEFAULTS };
  const parsers: Record<(typeof RULES)[number], (item: unknown) => Parsed<number>> = {
    interval: positiveDuration,
    timeout: positiveDuration,
    failures: (item) => parseCount(item, 1),
    start_period: parseDuration,
  };
  for (const key of RULES) {
    if (raw[key] === undefined) continue;
    const parsed = parsers[key](raw[key]);
    if (!parsed.ok) return { ok: false, expected: `${EXPECTED}; its ${key} must be ${parsed.expected}` };
    check[key] = parsed.value;
  }
  return { ok: true, value: check };
}

function parseTarget(kind: (typeof TARGETS)[number], value: unknown): Parsed<HealthTarget> {
  switch (kind) {
    case 'http': {
      const url = typeof value === 'string' && !hasNul(value) && URL.canParse(value) ? new URL(value) : null;
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return { ok: false, expected: "an http:// or https:// URL such as 'http://127.0.0.1:3000/health'" };
      return { ok: true, value: { http: url.href } };
    }
    case 'tcp': {
      const match = typeof value === 'string' ? /^(.+):(\d+)$/.exec(value) : null;
      const port = parsePort(match ? match[2] : value);
      const host = match ? match[1]!.replace(/^\[(.*)\]$/, '$1') : '127.0.0.1';
      if (!port.ok || hasNul(host)) return { ok: false, expected: "a port (3000) or 'host:port' ('127.0.0.1:3000')" };
      return { ok: true, value: { tcp: { host, port: Number(port.value) } } };
    }
    case 'exec': {
      const command = parseText(value);
      return command.ok ? { ok: true, value: { exec: command.value } } : { ok: false, expected: 'a shell command (run with /bin/sh -c in the app\'s cwd and environment)' };
    }
  }
}

function positiveDuration(value: unknown): Parsed<number> {
  const parsed = parseDuration(value);
  return parsed.ok && parsed.value > 0 ? parsed : { ok: false, expected: "a duration above 0 (such as '10s', or a number of ms)" };
}
