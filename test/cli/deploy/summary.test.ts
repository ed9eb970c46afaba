// The summary's release column says what is known of each host: a query command (curr, exec, list)
// that could not reach a host says `?` there, never `none` (which a script reads as "nothing deployed").
import { describe, expect, it } from 'vitest';
import { renderSummary } from '../../../cli/deploy/output/summary.js';
import type { HostOutcome } from '../../../cli/deploy/events.js';
import { styleFor } from '../../../cli/output/style.js';

const outcome = (host: string, changes: Partial<HostOutcome>): HostOutcome => ({
  host, address: `deploy@${host}:22`, status: 'done', phase: null, message: null, release: null, sha: null, readBack: false, target: null, previous: null, recorded: true, durationMs: 10, notes: [], ...changes,
});

describe('the summary of a query command', () => {
  it('shows the release a host answered, none where nothing is deployed, and ? where the host was not reached', () => {
    const lines = renderSummary({
      command: 'curr',
      environment: 'production',
      outcomes: [
        outcome('a', { release: '20261207T000000Z-abc1234' }),
        outcome('b', {}),
        outcome('c', { status: 'failed', phase: 'check', message: 'connect ETIMEDOUT' }),
      ],
    }, styleFor(false));
    const release = (host: string): string => lines.find((line) => line.trimStart().startsWith(`${host} `))!.trim().split(/\s+/)[2]!;
    expect([release('a'), release('b'), release('c')]).toEqual(['20261207T000000Z-abc1234', 'none', '?']);
  });
});
