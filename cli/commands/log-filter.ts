// `pmx logs --grep <regex> --since <time>`: which lines are shown, for local logs and (run by each
// host's pmx) for a fleet's. A line's time is the stamp pmx wrote in front of it (an app started
// with --time or log_date_format, or log_type json); a line without one cannot be dated, except
// that a log file only grows: a line after a line dated since then was written since then too.
import { CliError } from '../client/errors.js';
import type { ProcessDescription } from '../../agent/protocol/types.js';
import { DEFAULT_TIME_FORMAT } from '../../agent/logs/timestamp.js';

/** What --grep and --since ask; null for an option not given. */
export interface LogFilter {
  grep: RegExp | null;
  since: Date | null;
}

/** A line's time from its stamp, or null when it carries none. */
export type LineDater = (line: string) => Date | null;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Reads --grep and --since; a bad value is a BAD_ARGUMENT naming the option, what it got and what it takes. */
export function parseLogFilter(flags: { grep?: string; since?: string }, now: Date = new Date()): LogFilter {
  return { grep: flags.grep === undefined ? null : parseGrep(flags.grep), since: flags.since === undefined ? null : parseSince(flags.since, now) };
}

function parseGrep(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new CliError(`--grep takes a JavaScript regular expression, got '${source}': ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`, { code: 'BAD_ARGUMENT', hint: "escape the special characters (e.g. --grep 'GET /api\\?x') or quote the expression" });
  }
}

/** `10m`, `2h`, `90s`, `1d` before `now`, or an ISO 8601 time (`2026-12-05T10:00:00Z`; without an offset it is local time). */
export function parseSince(text: string, now: Date): Date {
  const duration = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim());
  if (duration) return new Date(now.getTime() - Number(duration[1]) * UNITS[duration[2]!]!);
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/.test(text.trim()) ? new Date(text.trim().replace(' ', 'T')) : null;
  if (iso && !Number.isNaN(iso.getTime())) return iso;
  throw new CliError(`--since takes a duration (30s, 10m, 2h, 1d) or an ISO time (2026-12-05T10:00:00Z), got '${text}'`, { code: 'BAD_ARGUMENT' });
}

/** Whether a line passes --grep. */
export function matchesGrep(filter: LogFilter, line: string): boolean {
  return filter.grep === null || filter.grep.test(line);
}

/**
 * How the lines of a process's log files are dated: the stamp its log_date_format (or --time's
 * format) puts before each line, or the `timestamp` of each JSON line; null when they carry none.
 * Stamps are compared at their own precision (a format without seconds dates a line to its minute).
 */
export function daterFor(proc: ProcessDescription): { date: LineDater; precisionMs: number } | null {
  const env = proc.pm2_env;
  const format = env.log_date_format ?? (env.time || env.log_type === 'json' ? DEFAULT_TIME_FORMAT : null);
  if (!format) return null;
  const stamp = stampReader(format);
  if (!stamp) return null;
  if (env.log_type === 'json') {
    return {
      precisionMs: stamp.precisionMs,
      date: (line) => {
        try {
          const value = (JSON.parse(line) as { timestamp?: unknown }).timestamp;
          return typeof value === 'string' ? stamp.read(value, true) : null;
        } catch {
          return null;
        }
      },
    };
  }
  return { precisionMs: stamp.precisionMs, date: (line) => stamp.read(line, false) };
}

const FIELDS: Record<string, string> = { YYYY: '(\\d{4})', MM: '(\\d{2})', DD: '(\\d{2})', HH: '(\\d{2})', mm: '(\\d{2})', ss: '(\\d{2})', SSS: '(\\d{3})', ZZ: '([+-]\\d{4})', Z: '([+-]\\d{2}:\\d{2})' };
const TOKEN = /\[([^\]]*)]|YYYY|SSS|MM|DD|HH|mm|ss|ZZ|Z/g;

// The reverse of agent/logs/timestamp.ts's formatDate for one format; null for a format that does
// not name the date and the time to the minute (HH:mm alone cannot say which day a line is from).
function stampReader(format: string): { read: (text: string, whole: boolean) => Date | null; precisionMs: number } | null {
  const order: string[] = [];
  let source = '';
  let last = 0;
  for (const match of format.matchAll(TOKEN)) {
    source += escapeRegExp(format.slice(last, match.index));
    source += match[1] !== undefined ? escapeRegExp(match[1]) : FIELDS[match[0]]!;
    if (match[1] === undefined) order.push(match[0]);
    last = match.index + match[0].length;
  }
  source += escapeRegExp(format.slice(last));
  if (!['YYYY', 'MM', 'DD', 'HH', 'mm'].every((token) => order.includes(token))) return null;
  const precisionMs = order.includes('SSS') ? 1 : order.includes('ss') ? 1000 : 60_000;
  const inLine = new RegExp(`^${source}: `);
  const alone = new RegExp(`^${source}$`);
  return {
    precisionMs,
    read: (text, whole) => {
      const match = (whole ? alone : inLine).exec(text);
      if (!match) return null;
      const field = (token: string): string | undefined => (order.includes(token) ? match[order.indexOf(token) + 1] : undefined);
      const number = (token: string): number => Number(field(token) ?? 0);
      const offset = field('Z') ?? field('ZZ');
      const parts = [number('YYYY'), number('MM') - 1, number('DD'), number('HH'), number('mm'), number('ss'), number('SSS')] as const;
      if (offset === undefined) return new Date(...parts); // formatDate writes local time
      const sign = offset.startsWith('-') ? -1 : 1;
      const minutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(-2)));
      return new Date(Date.UTC(...parts) - minutes * 60_000);
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
