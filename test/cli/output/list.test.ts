// `pmx ls`: PM2's columns and values, aligned, coloured only when asked, fitted to the terminal.
import { describe, expect, it } from 'vitest';
import { renderList } from '../../../cli/output/list.js';
import { displayWidth, stripAnsi } from '../../../cli/output/style.js';
import { FIXTURE_NOW, processDescription } from '../../fixtures/process-description.js';

const WIDE = 200;
const FULL_HEADERS = ['id', 'name', 'namespace', 'version', 'mode', 'pid', 'uptime', '↺', 'status', 'cpu', 'mem', 'user', 'watching'];

/** The cells of each table row (borders dropped), trimmed. */
function cells(table: string): string[][] {
  return table
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) => line.slice(1, -1).split('│').map((cell) => cell.trim()));
}

const procs = [
  processDescription({ pm_id: 0, name: 'api' }),
  processDescription({
    pm_id: 1,
    name: 'worker-queue',
    pm2_env: { status: 'stopped', exec_mode: 'cluster_mode', namespace: 'jobs', watch: ['src'], restart_time: 14, version: null },
  }),
  processDescription({ pm_id: 2, name: 'api', pm2_env: { status: 'errored', username: 'root' } }),
];

describe('renderList', () => {
  it("shows PM2 7's columns, in order, with each process's values", () => {
    const rows = cells(renderList(procs, { color: false, columns: WIDE, now: FIXTURE_NOW }));
    expect(rows[0]).toEqual(FULL_HEADERS);
    expect(rows[1]).toEqual(['0', 'api', 'default', '1.4.2', 'fork', '41200', '5m', '2', 'online', '0.3%', '40.1mb', 'deploy', 'disabled']);
    expect(rows[2]).toEqual(['2', 'api', 'default', '1.4.2', 'fork', '0', '0', '2', 'errored', '0%', '0b', 'root', 'disabled']);
    expect(rows[3]).toEqual(['1', 'worker-queue', 'jobs', 'N/A', 'cluster', '0', '0', '14', 'stopped', '0%', '0b', 'deploy', 'enabled']);
  });

  it('sorts by name, then by id, as PM2 does', () => {
    const ids = cells(renderList(procs, { color: false, columns: WIDE, now: FIXTURE_NOW })).slice(1).map((row) => row[0]);
    expect(ids).toEqual(['0', '2', '1']);
  });

  it('lines every row up: all lines have the same display width and the bars sit in the same columns', () => {
    const named = [...procs, processDescription({ pm_id: 3, name: '日本語アプリ' })];
    for (const color of [false, true]) {
      const lines = renderList(named, { color, columns: WIDE, now: FIXTURE_NOW }).split('\n');
      expect(new Set(lines.map(displayWidth)).size).toBe(1);
      const bars = (line: string): number[] => [...stripAnsi(line)].flatMap((char, at, all) => ('│┼┬┴├┤┌┐└┘'.includes(char) ? [displayWidth(all.slice(0, at).join(''))] : []));
      const expected = bars(lines[0] ?? '');
      for (const line of lines) expect(bars(line)).toEqual(expected);
    }
  });

  it('prints no escape codes when color is false, and colours the status when true', () => {
    const plain = renderList(procs, { color: false, columns: WIDE, now: FIXTURE_NOW });
    expect(plain).not.toContain('\u001b');
    const coloured = renderList(procs, { color: true, columns: WIDE, now: FIXTURE_NOW });
    expect(coloured).toContain('\u001b[32monline');
    expect(coloured).toContain('\u001b[31merrored');
    expect(stripAnsi(coloured)).toBe(plain);
  });

  it('prints the header row alone for an empty list, as PM2 does', () => {
    const lines = renderList([], { color: false, columns: WIDE, now: FIXTURE_NOW }).split('\n');
    expect(lines).toHaveLength(3);
    expect(cells(lines.join('\n'))).toEqual([FULL_HEADERS]);
    expect(lines[0]?.startsWith('┌')).toBe(true);
    expect(lines[2]?.startsWith('└')).toBe(true);
  });

  it("switches to PM2's condensed columns below 120 terminal columns", () => {
    const rows = cells(renderList(procs, { color: false, columns: 100, now: FIXTURE_NOW }));
    expect(rows[0]).toEqual(['id', 'name', 'mode', '↺', 'status', 'cpu', 'memory']);
    expect(rows[1]).toEqual(['0', 'api', 'fork', '2', 'online', '0.3%', '40.1mb']);
  });

  it('cuts an over-long name with an ellipsis so the table fits the terminal', () => {
    const long = processDescription({ name: 'payments-reconciliation-nightly-batch-worker-eu-west-1' });
    const lines = renderList([long], { color: false, columns: 70, now: FIXTURE_NOW }).split('\n');
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(70);
    expect(cells(lines.join('\n'))[1]?.[1]).toMatch(/^payments.*…$/);
  });

  it("cuts a name only past PM2's 40-column name column when the terminal is wide (or unknown)", () => {
    const long = processDescription({ name: 'payments-reconciliation-nightly-batch-worker-eu-west-1' });
    const name = cells(renderList([long], { color: false, columns: Number.POSITIVE_INFINITY, now: FIXTURE_NOW }))[1]?.[1];
    expect(name).toBe('payments-reconciliation-nightly-batch…');
    const fits = processDescription({ name: 'payments-reconciliation-nightly-batch' });
    expect(cells(renderList([fits], { color: false, now: FIXTURE_NOW }))[1]?.[1]).toBe('payments-reconciliation-nightly-batch');
  });

  it("never cuts a name that fits PM2's condensed name column at 120 to 135 terminal columns (regression: names cut to a few characters)", () => {
    const named = processDescription({ name: 'payments-worker-eu' });
    for (const columns of [120, 125, 130, 135]) {
      expect(cells(renderList([named], { color: false, columns, now: FIXTURE_NOW }))[1]?.[1], `${columns} columns`).toBe('payments-worker-eu');
    }
  });

  it('escapes control characters in a name instead of letting them break the table', () => {
    const odd = processDescription({ name: 'evil\n\u001b[2Jname' });
    const out = renderList([odd], { color: false, columns: WIDE, now: FIXTURE_NOW });
    expect(out).toContain('evil\\n\\e[2Jname');
    expect(out).not.toContain('\u001b');
  });
});
