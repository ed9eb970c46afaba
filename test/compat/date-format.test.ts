// Differential: log_date_format as PM2 formats it (with dayjs, from PM2's own install) and as pmx
// does, for every core token, over dates that exercise each (midnight, noon, single digits).
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatDate } from '../../agent/logs/timestamp.js';
import { installPm2 } from './pm2-install.js';

const modules = dirname(dirname(dirname(installPm2().bin)));
const dayjs = createRequire(join(modules, 'pm2', 'package.json'))('dayjs') as (date: Date) => { format(format: string): string };

const FORMATS = [
  'YYYY-MM-DD HH:mm:ss.SSS Z',
  'YY/M/D H:m:s ZZ',
  'DD/MMM/YYYY hh:mm:ss A dddd',
  'MMMM Do, dd ddd d h a',
  '[at] HH[h]mm [YYYY] Y YYY',
  'YYYY-MM-DDTHH:mm:ss',
];
const DATES = [new Date(2026, 0, 5, 0, 7, 3, 9), new Date(2026, 11, 31, 12, 59, 59, 999), new Date(2027, 5, 15, 23, 0, 0, 0)];

describe('log_date_format', () => {
  for (const format of FORMATS) {
    it(`formats '${format}' as PM2 (dayjs) does`, () => {
      for (const date of DATES) expect(formatDate(date, format)).toBe(dayjs(date).format(format));
    });
  }
});
