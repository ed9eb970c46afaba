// Cron schedules (`cron_restart`, log rotation) and the per-app `log_rotate` block.
import { createRequire } from 'node:module';
import type { LogRotation } from '../../agent/protocol/app-spec.js';
import { dateFormatProblem } from '../../agent/logs/rotated-files.js';
import { type Parsed, parseBoolean, parseCount, parseSize, parseText } from './values.js';

/** croner, loaded only when a file has a cron key: most starts never need it. */
const loadCron = (): typeof import('croner').Cron => (createRequire(import.meta.url)('croner') as typeof import('croner')).Cron;

/** A cron expression croner accepts (as PM2 uses it); null, false, '' or 0 mean none. */
export function parseCron(value: unknown): Parsed<string | null> {
  if (value === null || value === false || value === '' || value === 0 || value === '0') return { ok: true, value: null };
  if (typeof value !== 'string') return { ok: false, expected: "a cron expression such as '0 3 * * *'" };
  try {
    new (loadCron())(value, { paused: true }).stop();
    return { ok: true, value };
  } catch (error) {
    return { ok: false, expected: `a valid cron expression (${(error as Error).message})` };
  }
}

const ROTATE_KEYS = ['max_size', 'retain', 'compress', 'rotate_interval', 'date_format'] as const;

const EXPECTED =
  "an object with max_size ('10M'), retain (a count), compress (true/false), rotate_interval (a cron expression), date_format";

/** `log_rotate: { max_size: '10M', retain: 5, compress: true, rotate_interval: '0 0 * * *', date_format }`; null/false: never. */
export function parseLogRotate(value: unknown): Parsed<LogRotation | null> {
  if (value === null || value === false) return { ok: true, value: null };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, expected: EXPECTED };
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((key) => !(ROTATE_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) return { ok: false, expected: `${EXPECTED} (unknown: ${unknown.join(', ')})` };
  const rotation: LogRotation = { max_size: 0, retain: 30, compress: false, rotate_interval: null, date_format: 'YYYY-MM-DD_HH-mm-ss' };
  const parsers: { [K in keyof LogRotation]: (value: unknown) => Parsed<LogRotation[K]> } = {
    max_size: parseSize,
    retain: (item) => parseCount(item, 1),
    compress: parseBoolean,
    rotate_interval: parseCron,
    date_format: parseDateFormat,
  };
  for (const key of ROTATE_KEYS) {
    if (raw[key] === undefined) continue;
    const parsed = parsers[key](raw[key]);
    if (!parsed.ok) return { ok: false, expected: `${EXPECTED}; its ${key} must be ${parsed.expected}` };
    (rotation as unknown as Record<string, unknown>)[key] = parsed.value;
  }
  return { ok: true, value: rotation };
}

/** A date_format of rotated names: text whose dates can be in a file name (no '/'). */
function parseDateFormat(value: unknown): Parsed<string> {
  const parsed = parseText(value);
  if (!parsed.ok) return parsed;
  const problem = dateFormatProblem(parsed.value);
  return problem === null ? parsed : { ok: false, expected: problem };
}
