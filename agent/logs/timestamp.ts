// Timestamps for log lines, in the dayjs-style formats PM2's `log_date_format` uses.

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function offset(date: Date, colon: boolean): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const hour12 = (d: Date): number => d.getHours() % 12 || 12;

/** dayjs's format tokens (its core, English), which PM2 formats log_date_format with. */
const TOKENS: Record<string, (d: Date) => string> = {
  YY: (d) => String(d.getFullYear()).slice(-2),
  YYYY: (d) => pad(d.getFullYear(), 4),
  M: (d) => String(d.getMonth() + 1),
  MM: (d) => pad(d.getMonth() + 1),
  MMM: (d) => MONTHS[d.getMonth()]!.slice(0, 3),
  MMMM: (d) => MONTHS[d.getMonth()]!,
  D: (d) => String(d.getDate()),
  DD: (d) => pad(d.getDate()),
  d: (d) => String(d.getDay()),
  dd: (d) => DAYS[d.getDay()]!.slice(0, 2),
  ddd: (d) => DAYS[d.getDay()]!.slice(0, 3),
  dddd: (d) => DAYS[d.getDay()]!,
  H: (d) => String(d.getHours()),
  HH: (d) => pad(d.getHours()),
  h: (d) => String(hour12(d)),
  hh: (d) => pad(hour12(d)),
  a: (d) => (d.getHours() < 12 ? 'am' : 'pm'),
  A: (d) => (d.getHours() < 12 ? 'AM' : 'PM'),
  m: (d) => String(d.getMinutes()),
  mm: (d) => pad(d.getMinutes()),
  s: (d) => String(d.getSeconds()),
  ss: (d) => pad(d.getSeconds()),
  SSS: (d) => pad(d.getMilliseconds(), 3),
  Z: (d) => offset(d, true),
  ZZ: (d) => offset(d, false),
};

// dayjs's own pattern; a token it matches and does not know (Y, YYY) prints the offset, as dayjs does
const TOKEN_PATTERN = /\[([^\]]+)]|Y{1,4}|M{1,4}|D{1,2}|d{1,4}|H{1,2}|h{1,2}|a|A|m{1,2}|s{1,2}|Z{1,2}|SSS/g;

/** Formats `date` with dayjs's tokens (YYYY, MMM, dddd, hh, A, SSS, Z, ...); text in [brackets] is kept as is. */
export function formatDate(date: Date, format: string): string {
  return format.replace(TOKEN_PATTERN, (match, literal: string | undefined) => (literal !== undefined ? literal : (TOKENS[match]?.(date) ?? offset(date, false))));
}

/** A regular expression source matching what formatDate writes with `format` (any date): rotated files are told apart by it. */
export function stampPattern(format: string): string {
  let source = '';
  let last = 0;
  for (const match of format.matchAll(TOKEN_PATTERN)) {
    source += escapeRegExp(format.slice(last, match.index));
    last = match.index + match[0].length;
    const token = match[0];
    if (match[1] !== undefined) source += escapeRegExp(match[1]);
    else if (/^(MMMM?|d{2,4})$/.test(token)) source += '[A-Za-z]+';
    else if (token === 'a' || token === 'A') source += '[AaPp][Mm]';
    else if (TOKENS[token] && !token.startsWith('Z')) source += '\\d+';
    else source += '[+-]\\d\\d:?\\d\\d'; // Z, ZZ and what dayjs prints the offset for
  }
  return source + escapeRegExp(format.slice(last));
}

/** `text` matched literally in a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The format `--time` uses when no log_date_format is given (PM2's). */
export const DEFAULT_TIME_FORMAT = 'YYYY-MM-DDTHH:mm:ss';
