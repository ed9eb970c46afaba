// `pmx deploy <env> list`: one table when every host holds the same releases, else one per host;
// a release the ledger says went well but that a host no longer holds (removed by hand) says so.
import { describe, expect, it } from 'vitest';
import type { HostOutcome } from '../../../cli/deploy/events.js';
import type { LedgerEntry } from '../../../cli/deploy/ledger.js';
import { renderLedgers } from '../../../cli/deploy/output/ledger-table.js';
import { styleFor } from '../../../cli/output/style.js';

const entry = (release: string, onDisk = true, current = false): LedgerEntry => ({ release, sha: 'abcdef1234', time: '2026-12-07T23:00:00.000Z', ref: 'origin/main', user: 'me', result: 'ok', current, onDisk, message: null });
const outcome = (host: string, ledger: LedgerEntry[]): HostOutcome =>
  ({ host, address: host, status: 'done', data: { current: ledger.find((e) => e.current)?.release ?? null, releases: [], leftovers: [], pm2Deploys: [], ledger } }) as unknown as HostOutcome;

describe('the ledger tables of list', () => {
  const style = styleFor(false);
  const [r1, r2, r3] = ['20261207T210000000Z-aaaaaaa', '20261207T220000000Z-bbbbbbb', '20261207T230000000Z-ccccccc'];

  it('is one table when every host holds the same releases', () => {
    const lines = renderLedgers([outcome('h1', [entry(r3, true, true), entry(r2), entry(r1)]), outcome('h2', [entry(r3, true, true), entry(r2), entry(r1)])], style);
    expect(lines[0]).toBe('all 2 hosts (h1, h2) have the same releases:');
  });

  it('is one table per host when a release was removed by hand on one, where it says so (it said every host had it, ok)', () => {
    const lines = renderLedgers([outcome('h1', [entry(r3, true, true), entry(r2), entry(r1)]), outcome('h2', [entry(r3, true, true), entry(r2, false), entry(r1)])], style);
    expect(lines.join('\n')).not.toContain('have the same releases');
    expect(lines.filter((line) => line.includes(r2))).toEqual([expect.stringMatching(/ ok$/), expect.stringMatching(/ ok, not on disk$/)]);
  });
});
