// Timestamps for log lines, in the dayjs-style formats PM2's `log_date_format` uses.

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function offset(date: Date, colon: boolean): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '-';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

const TOKENS: Record<string, (d: Date) => string> = {
  YYYY: (d) => String(d.getFullYear()),
  MM: (d) => pad(d.getMonth() + 1),
  DD: (d) => pad(d.getDate()),
  HH: (d) => pad(d.getHours()),
  mm: (d) => pad(d.getMinutes()),
  ss: (d) => pad(d.getSeconds()),
  SSS: (d) => pad(d.getMilliseconds(), 3),
  ZZ: (d) => offset(d, false),
  Z: (d) => offset(d, true),
};

const TOKEN_PATTERN = /\[([^\]]*)]|YYYY|SSS|MM|DD|HH|mm|ss|ZZ|Z/g;

/** Formats `date` with YYYY MM DD HH mm ss SSS Z ZZ tokens; text in [brackets] is kept as is. */
export function formatDate(date: Date, format: string): string {
  return format.replace(TOKEN_PATTERN, (match, literal: string | undefined) =>
    literal !== undefined ? literal : TOKENS[match]!(date),
  );
}

/** The format `--time` uses when no log_date_format is given (PM2's). */
export const DEFAULT_TIME_FORMAT = 'YYYY-MM-DDTHH:mm:ss';
