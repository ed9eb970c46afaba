// `pmx logs --grep/--since`: reading the options, dating a line by the stamp pmx wrote, and which
// lines of a real log file the backlog keeps (read from its end, across read boundaries).
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDate } from '../../../agent/logs/timestamp.js';
import { readBacklog } from '../../../cli/commands/log-backlog.js';
import { daterFor, parseLogFilter, parseSince } from '../../../cli/commands/log-filter.js';
import { processDescription } from '../../fixtures/process-description.js';

const dir = mkdtempSync(join(tmpdir(), 'pmx-log-filter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const logFile = (lines: string[]): string => {
  const file = join(dir, `app-${files++}.log`);
  writeFileSync(file, lines.map((line) => `${line}\n`).join(''));
  utimesSync(file, NOW, NOW); // last written at the tests' now
  return file;
};
const NOW = new Date('2026-12-05T12:00:00Z');
const stamped = processDescription({ pm2_env: { time: true } });
const at = (iso: string, text: string): string => `${formatDate(new Date(iso), 'YYYY-MM-DDTHH:mm:ss')}: ${text}`;

describe('reading --grep and --since', () => {
  it('takes durations back from now and ISO times, with or without an offset', () => {
    expect(parseSince('10m', NOW).toISOString()).toBe('2026-12-05T11:50:00.000Z');
    expect(parseSince('2h', NOW).toISOString()).toBe('2026-12-05T10:00:00.000Z');
    expect(parseSince('90s', NOW).toISOString()).toBe('2026-12-05T11:58:30.000Z');
    expect(parseSince('1d', NOW).toISOString()).toBe('2026-12-04T12:00:00.000Z');
    expect(parseSince('2026-12-05T09:30:00+01:00', NOW).toISOString()).toBe('2026-12-05T08:30:00.000Z');
    expect(parseSince('2026-12-05T09:30:00Z', NOW).toISOString()).toBe('2026-12-05T09:30:00.000Z');
    expect(parseSince('2026-12-05 09:30', NOW).getTime()).toBe(new Date(2026, 11, 5, 9, 30).getTime()); // local, as the stamps
  });

  it('refuses what it cannot read, naming the option, the value and the forms it takes', () => {
    expect(() => parseLogFilter({ since: 'yesterday' })).toThrow("--since takes a duration (30s, 10m, 2h, 1d) or an ISO time (2026-12-05T10:00:00Z), got 'yesterday'");
    expect(() => parseLogFilter({ since: '2026-13-45' })).toThrow("got '2026-13-45'");
    expect(() => parseLogFilter({ grep: 'GET (/api' })).toThrow(/^--grep takes a JavaScript regular expression, got 'GET \(\/api': .*Unterminated group/);
    expect(parseLogFilter({})).toEqual({ grep: null, since: null });
  });
});

describe('dating a line by its stamp', () => {
  it('reads --time stamps and any log_date_format naming the day and the minute, offsets and [literals] included', () => {
    expect(daterFor(stamped)!.date(at('2026-12-05T11:00:07Z', 'hello'))).toEqual(new Date('2026-12-05T11:00:07Z'));
    const zoned = daterFor(processDescription({ pm2_env: { log_date_format: '[at] DD/MM/YYYY HH:mm:ss.SSS Z' } }))!;
    expect(zoned.date('at 05/12/2026 10:00:07.250 +02:00: hello')).toEqual(new Date('2026-12-05T08:00:07.250Z'));
    expect(zoned.precisionMs).toBe(1);
    expect(daterFor(processDescription({ pm2_env: { log_date_format: 'YYYY-MM-DD HH:mm' } }))!.precisionMs).toBe(60_000);
  });

  it('dates JSON lines by their timestamp, and nothing when the stamps cannot say the day', () => {
    const json = daterFor(processDescription({ pm2_env: { log_type: 'json' } }))!;
    const stamp = formatDate(new Date('2026-12-05T11:00:07Z'), 'YYYY-MM-DDTHH:mm:ss');
    expect(json.date(JSON.stringify({ message: 'hi', timestamp: stamp, type: 'out' }))).toEqual(new Date('2026-12-05T11:00:07Z'));
    expect(json.date('not json')).toBeNull();
    expect(daterFor(processDescription({ pm2_env: { log_date_format: 'HH:mm:ss' } }))).toBeNull();
    expect(daterFor(processDescription())).toBeNull();
    expect(daterFor(stamped)!.date('a line written before --time')).toBeNull();
  });
});

describe('the backlog of one file', () => {
  it('--grep keeps the last --lines matching lines, however far back they are (past several 64 KiB reads)', () => {
    const lines = Array.from({ length: 5000 }, (_, index) => `line-${index} ${'é'.repeat(20)} ${index % 1000 === 0 ? 'ERROR' : 'ok'}`);
    const file = logFile(lines);
    const filter = parseLogFilter({ grep: 'ERROR' });
    expect(readBacklog(file, 3, filter, null).lines).toEqual([lines[2000], lines[3000], lines[4000]]);
    expect(readBacklog(file, 100, filter, null).lines).toEqual([0, 1000, 2000, 3000, 4000].map((index) => lines[index]));
    expect(readBacklog(file, 2, parseLogFilter({}), null).lines).toEqual(lines.slice(-2));
  });

  it('--since keeps the lines stamped since then, and the unstamped lines after them (a log only grows)', () => {
    const file = logFile([
      'written before --time',
      at('2026-12-05T11:40:00Z', 'old'),
      'old continued',
      at('2026-12-05T11:55:00Z', 'new ERROR'),
      '  at stack frame',
      at('2026-12-05T11:58:00Z', 'newer'),
    ]);
    const backlog = readBacklog(file, Infinity, parseLogFilter({ since: '10m' }, NOW), daterFor(stamped));
    expect(backlog).toEqual({ lines: [at('2026-12-05T11:55:00Z', 'new ERROR'), '  at stack frame', at('2026-12-05T11:58:00Z', 'newer')], undated: 1 });
    // --grep and --lines apply to what --since keeps
    expect(readBacklog(file, Infinity, parseLogFilter({ since: '10m', grep: 'ERROR|frame' }, NOW), daterFor(stamped)).lines).toEqual([at('2026-12-05T11:55:00Z', 'new ERROR'), '  at stack frame']);
    expect(readBacklog(file, 1, parseLogFilter({ since: '10m' }, NOW), daterFor(stamped)).lines).toEqual([at('2026-12-05T11:58:00Z', 'newer')]);
  });

  it('--since leaves out unstamped lines it cannot place, and counts them; a file not written since then gives nothing', () => {
    const file = logFile([at('2026-12-05T11:40:00Z', 'old'), 'after old, before or after the time?', 'same']);
    expect(readBacklog(file, Infinity, parseLogFilter({ since: '10m' }, NOW), daterFor(stamped))).toEqual({ lines: [], undated: 2 });
    const plain = logFile(['no stamp', 'none here either']);
    expect(readBacklog(plain, Infinity, parseLogFilter({ since: '10m' }, NOW), null)).toEqual({ lines: [], undated: null });
    utimesSync(plain, new Date('2026-12-05T11:00:00Z'), new Date('2026-12-05T11:00:00Z'));
    expect(readBacklog(plain, Infinity, parseLogFilter({ since: '10m' }, NOW), null)).toEqual({ lines: [], undated: 0 });
  });

  it('compares a stamp at its own precision: a line stamped 11:50 is since 11:50:30 when the format has no seconds', () => {
    const minutes = processDescription({ pm2_env: { log_date_format: 'YYYY-MM-DD HH:mm' } });
    const file = logFile([`${formatDate(new Date('2026-12-05T11:49:00Z'), 'YYYY-MM-DD HH:mm')}: before`, `${formatDate(new Date('2026-12-05T11:50:00Z'), 'YYYY-MM-DD HH:mm')}: within the minute`]);
    expect(readBacklog(file, Infinity, parseLogFilter({ since: '2026-12-05T11:50:30Z' }, NOW), daterFor(minutes)).lines).toEqual([expect.stringMatching(/: within the minute$/)]);
  });
});
