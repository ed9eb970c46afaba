// The wording of fleet commands: one table with a host column (a host that did not answer is a row
// saying why), per-host action lines without the hosts' own tables, and the summary.
import { describe, expect, it } from 'vitest';
import type { HostResult } from '../../../cli/fleet/fleet.js';
import type { FleetProcess } from '../../../cli/fleet/run-pmx.js';
import { hostJsonLine, renderActionLines, renderActionSummary, renderFleetList } from '../../../cli/output/fleet.js';
import type { ExecResult } from '../../../cli/transport/types.js';
import { FIXTURE_NOW, processDescription } from '../../fixtures/process-description.js';

const on = (host: string, ...names: string[]): FleetProcess[] => names.map((name, id) => ({ ...processDescription({ pm_id: id, name }), host }));

/** The cells of each table row (borders dropped), trimmed. */
const cells = (table: string): string[][] => table.split('\n').filter((line) => line.startsWith('│')).map((line) => line.slice(1, -1).split('│').map((cell) => cell.trim()));

describe('renderFleetList', () => {
  const results: HostResult<FleetProcess[]>[] = [
    { host: 'web-1', ok: true, value: on('web-1', 'worker', 'api') },
    { host: 'web-2', ok: false, failure: 'unreachable', reason: 'connection refused (is sshd running, on port 22?)' },
    { host: 'web-3', ok: true, value: [] },
    { host: 'web-4', ok: false, failure: 'error', reason: 'pmx is not installed for deploy (run: pmx deploy <environment> setup)' },
  ];
  const table = renderFleetList(results, { color: false, columns: 400, now: FIXTURE_NOW });

  it('is one table whose first column is the host, hosts in the given order and processes by name; a host without them says why', () => {
    expect(table.match(/┌/g)).toHaveLength(1);
    const rows = cells(table);
    expect(rows[0]!.slice(0, 3)).toEqual(['host', 'id', 'name']);
    expect(rows.slice(1).map((row) => [row[0], row[2]])).toEqual([
      ['web-1', 'api'],
      ['web-1', 'worker'],
      ['web-2', 'unreachable: connection refused (is sshd running, on port 22?)'],
      ['web-3', 'no processes'],
      ['web-4', 'error: pmx is not installed for deploy (run: pmx deploy <environment> setup)'],
    ]);
  });

  it('leaves the other cells of a host without processes empty', () => {
    const [, , unreachable, empty] = cells(table).slice(1); // rows: api, worker, then the host rows
    expect([...unreachable!.slice(3), ...empty!.slice(3), unreachable![1], empty![1]].every((cell) => cell === '')).toBe(true);
  });
});

describe('action report', () => {
  const exec = (code: number, stdout: string, stderr = ''): ExecResult => ({ code, signal: null, stdout, stderr });
  const results: HostResult<ExecResult>[] = [
    { host: 'web-1', ok: true, value: exec(0, '[PMX] reloaded api (id 0): online\n┌──┐\n│ id │\n└──┘\n') },
    { host: 'web-2', ok: true, value: exec(1, '', "[PMX][ERROR] no process matches 'api'\n") },
    { host: 'web-3', ok: false, failure: 'unreachable', reason: 'no answer within 10 s (ConnectTimeout)' },
  ];

  it("prefixes each host's messages with its name, leaves its table out and says how each failure ended", () => {
    expect(renderActionLines(results)).toEqual([
      'web-1 | [PMX] reloaded api (id 0): online',
      "web-2 | [PMX][ERROR] no process matches 'api'",
      'web-2 | [PMX][ERROR] exited with code 1',
      'web-3 | [PMX][ERROR] unreachable: no answer within 10 s (ConnectTimeout)',
    ]);
  });

  it('sums up on how many hosts it worked and names the others', () => {
    expect(renderActionSummary('reload', 'production', results)).toBe('[PMX][ERROR] reload on production: done on 1 of 3 hosts; failed on web-2, web-3');
    expect(renderActionSummary('save', 'production', results.slice(0, 1))).toBe('[PMX] save on production: done on 1 of 1 host');
  });
});

describe('hostJsonLine', () => {
  it('puts the host into each JSON log entry, and wraps any other line as a message', () => {
    expect(JSON.parse(hostJsonLine('web-1', '{"message":"up","type":"out","app_name":"api"}'))).toEqual({ host: 'web-1', message: 'up', type: 'out', app_name: 'api' });
    expect(JSON.parse(hostJsonLine('web-2', '/home/deploy/.pmx/logs/api-out.log last 15 lines:'))).toEqual({ host: 'web-2', message: '/home/deploy/.pmx/logs/api-out.log last 15 lines:' });
  });
});
